"""The application factory: Connexion AsyncApp (or FlaskApp) bound to the committed OpenAPI
3.1 bundle."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import typing as t

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
from threada.api._common import Services
from threada.api.actions import Actions
from threada.api.messages import Messages
from threada.api.tickets import Tickets
from threada.api.webhooks import Webhooks
from threada.config import Settings, SettingsError
from threada.contract_extensions import DeprecationHeadersMiddleware
from threada.domain import maintenance
from threada.domain.actions import InFlight
from threada.domain.auth import Authenticator
from threada.domain.errors import DomainError
from threada.domain.idempotency import Idempotency
from threada.domain.pagination import PageTokens
from threada.domain.ratelimit import RateLimiter
from threada.domain.webhook_dispatch import Dispatcher, Schedule
from threada.edge import HeaderGuard, RelativeRedirects
from threada.middleware import RequestContextMiddleware
from threada.outbound import AsyncOutbound, OutboundPolicy
from threada.outbound.webhook import webhook_policy_from_env
from threada.security import AuthStage, make_security_handler
from threada.specindex import SpecIndex
from threada.storage.db import Database, interrupted_by_deadline, read_deadline
from threada.throttle import UnauthenticatedThrottle

log = logging.getLogger("threada")


def create_app(config: dict[str, t.Any] | Settings | None = None) -> FlaskApp | AsyncApp:
    """Build the app: defaults, then THREADA_* environment variables, then `config`.

    `config` may also carry objects that are not settings: `outbound_policy`
    (an OutboundPolicy; default from the environment), `webhook_policy` (for webhook
    URLs; default `outbound_policy` when given, else from the environment), `database`
    (a shared Database instance) and `auto_upgrade` (default True). An invalid setting raises
    `threada.config.SettingsError`, whose one-line message names the variable.
    """
    extra: dict[str, t.Any] = {}
    if isinstance(config, Settings):
        settings = config
    else:
        raw = dict(config or {})
        for name in ("outbound_policy", "webhook_policy", "database", "auto_upgrade"):
            if name in raw:
                extra[name] = raw.pop(name)
        settings = Settings.from_env(raw)
    try:
        policy = extra.get("outbound_policy") or OutboundPolicy.from_env()
        webhook_policy = (
            extra.get("webhook_policy") or extra.get("outbound_policy") or webhook_policy_from_env()
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None

    spec.install_31_document_check()
    connexion_speedups.install()
    bundle = settings.spec_path or spec.DEFAULT_BUNDLE
    document = spec.load_spec(bundle)
    index = SpecIndex(document)
    errors.RETRY_AFTER_SECONDS[0] = settings.retry_after_seconds

    db: Database = extra.get("database") or Database.from_settings(settings)
    if extra.get("auto_upgrade", True):
        db.prepare()  # upgraded and writable, or StartupError saying why not
    is_async = settings.framework == "async"
    services = Services(
        db=db,
        tokens=PageTokens(settings.secret()),
        idempotency=Idempotency(
            ttl_seconds=settings.idempotency_ttl_seconds,
            wait_seconds=settings.idempotency_wait_seconds,
        ),
        outbound=policy,
        # FlaskApp runs each coroutine handler on an event loop of its own: no
        # connection could be reused there, so none is kept.
        outbound_client=AsyncOutbound(
            policy,
            max_connections=settings.max_actions_in_flight_global,
            keepalive=20 if is_async else 0,
        ),
        actions_in_flight=InFlight(settings.max_actions_in_flight_global),
        max_actions_in_flight=settings.max_actions_in_flight,
        base_path=index.base_path,
        webhook_policy=webhook_policy,
        webhook_secret_grace_seconds=settings.webhooks_secret_grace_seconds,
    )
    limiter = RateLimiter(db, default_limit=settings.default_rate_limit)
    # Only SQLite can bound a statement on the loop (its progress handler interrupts it
    # past the budget); on PostgreSQL every read goes to the thread pool.
    inline_reads = db.is_sqlite and settings.inline_reads is not False
    budget = settings.inline_read_budget_ms / 1000

    # Start-up: finish what a dead process left behind, before serving anything.
    maintain = functools.partial(
        maintenance.run,
        db,
        idempotency_ttl_seconds=settings.idempotency_ttl_seconds,
        purge_batch=settings.idempotency_purge_batch,
    )
    maintain()

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
    lifespan = _lifespan(
        maintain,
        services,
        settings.maintenance_interval_seconds,
        dispatcher=_dispatcher_factory(settings, db, webhook_policy),
    )
    if is_async:
        # Same handlers, no Flask and no WSGI bridge.
        app = AsyncApp(__name__, jsonifier=jsonifier, middlewares=middlewares, lifespan=lifespan)
    else:
        app = FlaskApp(__name__, jsonifier=jsonifier, middlewares=middlewares, lifespan=lifespan)
        # Werkzeug would answer `//tickets` with a redirect built from the request's Host
        # (which our error handler turned into a 308 envelope); it is a 404 as on AsyncApp.
        app.app.url_map.merge_slashes = False
    app.add_api(
        document,
        base_path=index.base_path,
        resolver=Resolver(
            function_resolver=resolver(
                handlers(services),
                index,
                framework=settings.framework,
                inline_budget=budget if inline_reads else None,
            )
        ),
        validator_map=spec.validator_map(max_body_bytes=settings.max_body_bytes),
        security_map={
            "apiKey": make_security_handler(
                stage=AuthStage(
                    authenticator=Authenticator(db, cache_seconds=settings.key_cache_seconds),
                    limiter=limiter,
                    inline_budget_seconds=budget if inline_reads else None,
                ),
                index=index,
            )
        },
        validate_responses=settings.validate_responses,
        # The docs module serves the committed bundle and current UIs instead.
        swagger_ui_options=SwaggerUIOptions(serve_spec=False, swagger_ui=False),
    )
    app.add_middleware(
        RequestContextMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, index=index
    )
    # Inside the request-id layer (added after it at the same position): key guessing is
    # bounded per client address, an undecodable Content-Type never reaches Connexion, and
    # redirects never carry the request's Host (threada.throttle, threada.edge).
    app.add_middleware(
        UnauthenticatedThrottle,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        limit=settings.unauthenticated_limit,
        trust_forwarded=settings.trust_forwarded_for,
    )
    app.add_middleware(HeaderGuard, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        RelativeRedirects,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        public_url=settings.public_url,
    )
    app.add_middleware(  # Deprecation/Sunset headers on deprecated operations
        DeprecationHeadersMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        document=document,
        base_path=index.base_path,
    )
    _mount_docs(app, base_path=index.base_path, bundle=bundle)

    app.add_error_handler(DomainError, errors.domain_error)
    app.add_error_handler(ProblemException, errors.problem)
    app.add_error_handler(HTTPException, errors.http_exception)
    app.add_error_handler(Exception, errors.unhandled)
    app.threada_services = services
    app.threada_settings = settings
    return app


def _dispatcher_factory(
    settings: Settings, db: Database, policy: OutboundPolicy
) -> t.Callable[[], Dispatcher] | None:
    """A new webhook Dispatcher per start of the app (an app served twice, as tests do,
    runs two: they share the work as two processes would); None when switched off."""
    if not settings.webhooks_dispatcher:
        return None
    return functools.partial(
        Dispatcher,
        db,
        policy,
        schedule=Schedule(
            base_seconds=settings.webhooks_retry_base_seconds,
            max_attempts=settings.webhooks_max_attempts,
        ),
        poll_seconds=settings.webhooks_poll_seconds,
        lease_seconds=settings.webhooks_lease_seconds,
        max_in_flight=settings.webhooks_max_in_flight,
        endpoint_max_in_flight=settings.webhooks_endpoint_max_in_flight,
        tenant_max_in_flight=settings.webhooks_tenant_max_in_flight,
    )


def _lifespan(
    maintain: t.Callable[[], t.Any],
    services: Services,
    interval: float,
    *,
    dispatcher: t.Callable[[], Dispatcher] | None = None,
) -> t.Callable[[t.Any], t.AsyncContextManager[None]]:
    """Run `maintain` every `interval` seconds (in a thread) and the webhook dispatcher
    while the app serves; close the shared outbound client at the end."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: t.Any) -> t.AsyncIterator[None]:
        async def periodically() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await run_in_threadpool(maintain)
                except Exception:  # noqa: BLE001 - logged; the next run tries again
                    log.exception("maintenance failed")

        task = asyncio.create_task(periodically())
        webhooks = dispatcher() if dispatcher is not None else None
        if webhooks is not None:
            webhooks.start()
        try:
            yield
        finally:
            if webhooks is not None:
                await webhooks.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await services.outbound_client.aclose()

    return lifespan


def handlers(services: Services) -> dict[str, t.Callable]:
    """operationId -> the handler, bound to the app's services (built once)."""
    out: dict[str, t.Callable] = {}
    for resource in (
        Tickets(services),
        Messages(services),
        Actions(services),
        Webhooks(services),
    ):
        for name in dir(resource):
            if name[:1].islower() and any(c.isupper() for c in name):
                out[name] = getattr(resource, name)
    return out


def resolver(
    table: dict[str, t.Callable],
    index: SpecIndex,
    *,
    framework: str,
    inline_budget: float | None,
) -> t.Callable[[str], t.Callable]:
    """operationId -> handler. On FlaskApp the handlers as they are. On AsyncApp each sync
    handler wrapped as a coroutine, because Connexion runs a plain function in a worker
    thread, and that hand-off costs about 125 us of CPU per request here, more than a list
    page's query: reads (GET) run on the event loop when `inline_budget` is set (SQLite,
    or `inline_reads` on), bounded by it; every other handler (a write may wait on a lock)
    runs in the thread pool. Coroutine handlers (runAction) are used as they are: they
    send their own database work to the thread pool."""

    def resolve(operation_id: str) -> t.Callable:
        try:
            handler = table[operation_id]
        except KeyError:
            raise ImportError(f"no handler for operationId {operation_id}") from None
        if framework != "async" or asyncio.iscoroutinefunction(handler):
            return handler
        op = index.operations.get(operation_id)
        if inline_budget is not None and op is not None and op.reads_only:
            return on_loop(handler, budget_seconds=inline_budget)
        return in_thread(handler)

    return resolve


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
