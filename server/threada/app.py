"""The application factory: Connexion FlaskApp bound to the committed OpenAPI 3.1 bundle."""

from __future__ import annotations

import functools
import json
import logging
import typing as t
from urllib.parse import urlsplit

import orjson
from connexion import AsyncApp, FlaskApp
from connexion.exceptions import ProblemException
from connexion.jsonifier import Jsonifier
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from threada import connexion_speedups, errors, spec
from threada.api import actions, messages, tickets
from threada.api._common import Services
from threada.config import Settings
from threada.contract_extensions import DeprecationHeadersMiddleware
from threada.domain.auth import Authenticator
from threada.domain.errors import DomainError
from threada.domain.idempotency import Idempotency
from threada.domain.pagination import PageTokens
from threada.domain.ratelimit import RateLimiter
from threada.middleware import RequestContextMiddleware, RouteTable
from threada.outbound import OutboundPolicy
from threada.security import make_security_handler, operation_scopes
from threada.storage.db import Database, interrupted_by_deadline, read_deadline

log = logging.getLogger("threada")

HANDLERS: dict[str, t.Callable] = {
    name: getattr(module, name)
    for module in (tickets, messages, actions)
    for name in dir(module)
    if name[:1].islower() and name[:1] != "_" and any(c.isupper() for c in name)
}


def base_path_of(document: dict) -> str:
    """The path of the spec's first server URL (`/api/v1/public`)."""
    return urlsplit(document["servers"][0]["url"]).path.rstrip("/")


def create_app(config: dict[str, t.Any] | Settings | None = None) -> FlaskApp | AsyncApp:
    """Build the app: defaults, then THREADA_* environment variables, then `config`.

    `config` may also carry objects that are not settings: `outbound_policy`
    (an OutboundPolicy; default from the environment) and `database` (a
    shared Database instance).
    """
    extra: dict[str, t.Any] = {}
    if isinstance(config, Settings):
        settings = config
    else:
        raw = dict(config or {})
        for name in ("outbound_policy", "database", "auto_upgrade"):
            if name in raw:
                extra[name] = raw.pop(name)
        settings = Settings.from_env(raw)

    spec.install_31_document_check()
    connexion_speedups.install()
    bundle = settings.spec_path or spec.DEFAULT_BUNDLE
    document = spec.load_spec(bundle)
    base_path = base_path_of(document)

    db: Database = extra.get("database") or Database(settings.database_url)
    if extra.get("auto_upgrade", True):
        db.upgrade()
    services = Services(
        db=db,
        tokens=PageTokens(settings.secret()),
        idempotency=Idempotency(
            db,
            ttl_seconds=settings.idempotency_ttl_seconds,
            wait_seconds=settings.idempotency_wait_seconds,
        ),
        outbound=extra.get("outbound_policy") or OutboundPolicy.from_env(),
        base_path=base_path,
    )
    limiter = RateLimiter(db, default_limit=settings.default_rate_limit)

    jsonifier = FastJsonifier()
    app: t.Any
    # Connexion's SwaggerUIMiddleware is left out: with serve_spec and swagger_ui off (below;
    # threada.docs serves both) it serves nothing, yet routes every request through a
    # Starlette Router and Mount of its own.
    middlewares = [
        EnvelopeServerErrorMiddleware if m is ServerErrorMiddleware else m
        for m in ConnexionMiddleware.default_middlewares
        if m is not SwaggerUIMiddleware
    ]
    if settings.framework == "async":
        # Same handlers (sync, run in a thread pool), no Flask and no WSGI bridge.
        app = AsyncApp(__name__, jsonifier=jsonifier, middlewares=middlewares)
    else:
        app = FlaskApp(__name__, jsonifier=jsonifier, middlewares=middlewares)
    app.add_api(
        document,
        base_path=base_path,
        resolver=Resolver(function_resolver=_resolver(document, settings, db)),
        validator_map=spec.validator_map(max_body_bytes=settings.max_body_bytes),
        security_map={
            "apiKey": make_security_handler(
                authenticator=Authenticator(db, cache_seconds=settings.key_cache_seconds),
                limiter=limiter,
                scopes_by_operation=operation_scopes(document),
            )
        },
        validate_responses=settings.validate_responses,
        # The docs module serves the committed bundle and current UIs instead.
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, swagger_ui=False),
    )
    app.add_middleware(
        RequestContextMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        routes=RouteTable(document, base_path),
        services=services,
    )
    app.add_middleware(  # Deprecation/Sunset headers on deprecated operations
        DeprecationHeadersMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        document=document,
        base_path=base_path,
    )
    _mount_docs(app, base_path=base_path, bundle=bundle)

    app.add_error_handler(DomainError, errors.domain_error)
    app.add_error_handler(ProblemException, errors.problem)
    app.add_error_handler(HTTPException, errors.http_exception)
    app.add_error_handler(Exception, errors.unhandled)
    app.threada_services = services
    if isinstance(app, FlaskApp):  # kept for callers that read it from Flask's config
        app.app.config["THREADA_SERVICES"] = services
    return app


class EnvelopeServerErrorMiddleware(ServerErrorMiddleware):
    """The outermost catch-all (errors outside Connexion's exception layer) in the envelope."""

    def __init__(self, next_app: t.Any) -> None:
        super().__init__(next_app, handler=errors.unhandled)


class FastJsonifier(Jsonifier):
    """Connexion's Jsonifier, writing response bodies with orjson: compact UTF-8, and a
    25-ticket page in 2.5 us instead of 35 with the json module."""

    def __init__(self) -> None:
        super().__init__(json)

    def dumps(self, data: t.Any, **kwargs: t.Any) -> bytes:  # type: ignore[override]
        # Bytes, which Starlette and Flask send as they are (a str is encoded again).
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)


def _resolver(document: dict, settings: Settings, db: Database) -> t.Callable[[str], t.Callable]:
    """operationId -> handler. On FlaskApp the handlers as they are; on AsyncApp each one
    wrapped as a coroutine, because Connexion runs a plain function in a worker thread, and
    that hand-off costs about 125 us of CPU per request here, more than a list page's query.
    Reads (GET) run on the event loop when they are short local calls (SQLite, or
    `inline_reads` on); everything else still goes to the thread pool, so a write waiting
    on a lock or an action's outbound request never stalls the loop."""
    methods = {
        op["operationId"]: method
        for item in document.get("paths", {}).values()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    inline_reads = db.is_sqlite if settings.inline_reads is None else settings.inline_reads

    def resolve(operation_id: str) -> t.Callable:
        try:
            handler = HANDLERS[operation_id]
        except KeyError:
            raise ImportError(f"no handler for operationId {operation_id}") from None
        if settings.framework != "async":
            return handler
        if inline_reads and methods.get(operation_id) == "get":
            return on_loop(handler, budget_seconds=settings.inline_read_budget_ms / 1000)
        return in_thread(handler)

    return resolve


def on_loop(handler: t.Callable, *, budget_seconds: float) -> t.Callable:
    """`handler` as a coroutine function that runs it right away on the event loop; if one
    of its SQLite statements runs past `budget_seconds`, SQLite interrupts it and the
    handler runs again, from the start, in the thread pool (GET handlers only read)."""

    @functools.wraps(handler)  # Connexion reads the parameters from the signature
    async def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with read_deadline(budget_seconds):
            try:
                return handler(*args, **kwargs)
            except Exception as exc:
                if not interrupted_by_deadline(exc):
                    raise
        return await run_in_threadpool(handler, *args, **kwargs)

    return run


def in_thread(handler: t.Callable) -> t.Callable:
    """`handler` as a coroutine function that runs it in Starlette's thread pool."""

    @functools.wraps(handler)
    async def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return await run_in_threadpool(handler, *args, **kwargs)

    return run


def _mount_docs(app: FlaskApp | AsyncApp, *, base_path: str, bundle: t.Any) -> None:
    try:
        from threada.docs import mount_docs
    except ImportError:  # the docs module is optional for the API itself
        log.warning("threada.docs is not available; docs pages are not served")
        return
    mount_docs(app, base_path=base_path, bundle_path=bundle)
