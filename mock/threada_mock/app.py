"""The mock as a raw ASGI application.

Per request it does only what the request needs: a dict lookup (or a few
regexes) for the route, header scans, the pre-built validators, and a
pre-serialized body with pre-built headers. Everything else happened in
`build_app`.

It answers like the server (`threada`), and shares the server's code for it
rather than copying its rules: parameters and bodies are judged by the
server's own validators (`threada.spec`: the same JSON Schema 2020-12
validator, the same `details[].field` paths and the same body parsing and
size limit), errors are the server's envelope (`threada.errors.envelope`)
with a fresh `request_id` equal to `X-Request-Id`, and the rate-limit
headers count down per key in the server's one-minute windows, with a `429`
and `Retry-After` past the limit. The checks run in the server's order:
routing (404/405), the key (401), the rate limit (429), scopes (403),
parameters (400), `Content-Type` (415), the body (413, 400).

The frontend features (latency, chaos, the request log, reset) cost one
attribute test each per request while they are off.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import math
import random
import re
import secrets
import sys
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO
from urllib.parse import parse_qsl

from threada.domain.errors import DomainError, RateLimited
from threada.errors import default_message, envelope
from threada.middleware import INCOMING_REQUEST_ID

from .checks import OperationChecks
from .config import KeyPolicy
from .generate import Generator
from .model import CompiledSpec, Operation, Variant, dumps

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

#: Prism's query-parameter names for choosing a response; removed before validation.
SELECT_PARAMS = ("__code", "__example", "__dynamic", "__delay")
#: The status answered when a request asks for a code or example that is not documented.
SELECTION_ERROR_STATUS = 400
#: The server's default (`THREADA_MAX_BODY_BYTES`); `build_app` reads the same setting.
DEFAULT_MAX_BODY = 256 * 1024
#: The server's default per-key limit (`THREADA_DEFAULT_RATE_LIMIT`), requests per minute.
DEFAULT_RATE_LIMIT = 600
#: What the rate-limit headers say with `--rate-limit 0` (no limit).
UNLIMITED = 1_000_000_000
#: The statuses `--chaos` may answer, when the operation documents them.
CHAOS_STATUSES = (429, 500, 502, 503, 504)
#: The longest `Prefer: delay` honoured, in milliseconds.
MAX_DELAY_MS = 60_000
#: Where the mock's own endpoints live (at the root, and under the base path).
ADMIN_PREFIX = "/__mock/"
#: The server's rate-limit window (threada.domain.ratelimit.WINDOW_MS; not imported, as that
#: module brings the storage layer along).
WINDOW_MS = 60_000
_INT = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "1", "yes", "on"}


class MockError(Exception):
    """An answer in the error envelope, raised anywhere while handling a request."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: Headers | None = None,
        *,
        type_: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or []
        self.type = type_  # an ErrorType value; None: the usual one for the status


def _from_domain(e: DomainError) -> MockError:
    """A server domain error (raised by the shared validators and rules) as the mock's."""
    headers: Headers = []
    if isinstance(e, RateLimited):
        headers.append((b"retry-after", b"%d" % e.retry_after))
    return MockError(e.status, e.message, e.details, headers, type_=e.type)


@dataclass
class Request:
    """What the stateful store sees of a validated request."""

    op: Operation
    path_params: dict[str, str]
    params: dict[str, Any]
    body: Any
    key: str | None
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    path: str = ""  # the full path, base path included


@dataclass
class Reply:
    status: int
    value: Any
    headers: Headers = field(default_factory=list)


class Store(Protocol):
    """What `--stateful` plugs in: an answer for the request, or None for "use examples"."""

    def handle(self, request: Request) -> Reply | None: ...

    def reset(self) -> None: ...


class RateLimits:
    """The server's rule, per key: a fixed one-minute window of `limit` requests.

    One process, so plain counters (the server shares its counts through the
    database). `limit` None or 0: no limit (the headers count down from
    `UNLIMITED`, so that they stay consistent).
    """

    def __init__(self, limit: int | None, clock: Callable[[], float] = time.time) -> None:
        self.enforce = bool(limit)
        self.limit = limit or UNLIMITED
        self.clock = clock
        self.windows: dict[str, list[int]] = {}

    def hit(self, key: str) -> tuple[int, int, int]:
        """(limit, remaining, reset seconds) after this request; RateLimited past the limit."""
        now = int(self.clock() * 1000)
        window = now - now % WINDOW_MS
        reset = max(1, math.ceil((window + WINDOW_MS - now) / 1000))
        slot = self.windows.get(key)
        if slot is None or slot[0] != window:
            if len(self.windows) > 100_000:
                self.windows.clear()
            slot = self.windows[key] = [window, 0]
        limit = self.limit
        if slot[1] >= limit and self.enforce:
            # The server's message (threada.domain.ratelimit).
            raise RateLimited(
                f"Rate limit of {limit} requests per minute exceeded for this key; "
                f"retry in {reset} s.",
                retry_after=reset,
                quota=(limit, 0, reset),
            )
        slot[1] += 1
        return limit, max(0, limit - slot[1]), reset

    def reset(self) -> None:
        self.windows.clear()


class _Ctx:
    """What one request learns on its way through (set once, read when answering)."""

    __slots__ = ("rid", "quota", "delay_ms", "example", "mode")

    def __init__(self, rid: str) -> None:
        self.rid = rid
        self.quota: tuple[int, int, int] | None = None
        self.delay_ms: float | None = None
        self.example = ""
        self.mode = ""


class MockApp:
    def __init__(
        self,
        spec: CompiledSpec,
        *,
        policy: KeyPolicy | None = None,
        cors_origins: Iterable[str] = ("*",),
        store: Store | None = None,
        dynamic: bool = False,
        max_body: int = DEFAULT_MAX_BODY,
        log: TextIO | None = None,
        seed: int | None = None,
        rate_limit: int | None = DEFAULT_RATE_LIMIT,
        latency: tuple[float, float] | None = None,
        chaos: float = 0.0,
        docs: Any = None,
        request_log_size: int = 1000,
    ) -> None:
        self.spec = spec
        self.base = spec.base_path
        self.policy = policy or KeyPolicy(all_scopes=spec.all_scopes)
        self.cors_origins = list(cors_origins)
        self.cors_any = "*" in self.cors_origins
        self.store = store
        self.dynamic_default = dynamic
        self.max_body = max_body
        self.log = log
        self.seed = seed
        self.gen = Generator(spec.doc, seed=seed)
        self.limits = RateLimits(rate_limit)
        self.latency = latency
        self.chaos = chaos
        self.rnd = random.Random(seed)  # latency and chaos draws, reproducible with --seed
        self.requests: deque[tuple[Any, ...]] = deque(maxlen=request_log_size)
        self.docs_routes: dict[str, Callable[[], Any]] = docs.routes if docs is not None else {}
        # Request ids are unique, not secret: a random prefix and a counter (as the server).
        self._rid_prefix = "req_" + secrets.token_hex(4)
        self._rid_counter = itertools.count(1)
        self._query_keys = any(
            scheme.get("type") == "apiKey" and scheme.get("in") == "query"
            for op in spec.operations.values()
            for alt in op.security
            for _n, scheme, _s in alt
        )
        self._defaults = {
            op.op_id: {p.name: p.default for p in op.params if p.has_default}
            for op in spec.operations.values()
        }
        self.checks = {
            op.op_id: OperationChecks(op.param_defs, op.body_def, max_body=max_body)
            for op in spec.operations.values()
        }
        self.expose = ", ".join(spec.expose_headers).encode()
        methods = {m for op in spec.operations.values() for m in (op.method, "OPTIONS")}
        self.all_methods = ", ".join(sorted(methods))
        self.allow_headers = ", ".join(spec.request_headers).encode()
        self._cors_static: Headers = []
        if self.cors_any:
            self._cors_static = [(b"access-control-allow-origin", b"*")]
            if self.expose:
                self._cors_static.append((b"access-control-expose-headers", self.expose))
        self._prebuilt: dict[tuple[str, int, str], tuple[bytes, Headers]] = {}
        for op in spec.operations.values():
            for v in [*op.variants.values(), *op.range_variants.values()]:
                for name, body in v.examples.items():
                    self._prebuilt[(op.op_id, v.status, name)] = (
                        body,
                        self._headers(v, body, v.headers),
                    )
        self.details_allowed, self.request_id_allowed = self._error_members_allowed()

    # -- ASGI -------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.docs_routes and scope["method"] in ("GET", "HEAD"):
                page = self.docs_routes.get(scope["path"])
                if page is not None:
                    await page()(scope, receive, send)
                    return
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        hdrs = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        origin = hdrs.get("origin")
        cors = self._cors_static if self.cors_any else self._cors_for(origin)
        incoming = hdrs.get("x-request-id")
        if incoming is not None and INCOMING_REQUEST_ID.match(incoming):
            rid = incoming
        else:
            rid = f"{self._rid_prefix}{next(self._rid_counter):08x}"
        ctx = _Ctx(rid)
        op_id = ""
        if ADMIN_PREFIX in path and self._is_admin(path):
            status, body, headers = self._admin(method, path, scope, hdrs)
            op_id = "__mock"
            ctx.mode = "admin"
        else:
            try:
                status, body, headers, op_id = await self._route(
                    scope, receive, method, path, hdrs, ctx
                )
            except MockError as e:
                status, body, headers = self._error(
                    None, ctx, e.status, e.message, e.details, e.headers, e.type
                )
            except DomainError as de:
                me = _from_domain(de)
                status, body, headers = self._error(
                    None, ctx, me.status, me.message, me.details, me.headers, me.type
                )
            except Exception:  # noqa: BLE001 - a mock bug must still answer in the envelope
                traceback.print_exc(file=sys.stderr)
                status, body, headers = self._error(
                    None, ctx, 500, "The mock failed on this request."
                )
                ctx.mode = "mock bug"
        headers = headers + [(b"x-request-id", rid.encode("latin-1"))]
        quota = ctx.quota
        if quota is not None and status != 401 and status != 500:
            headers.append((b"x-ratelimit-limit", b"%d" % quota[0]))
            headers.append((b"x-ratelimit-remaining", b"%d" % quota[1]))
            headers.append((b"x-ratelimit-reset", b"%d" % quota[2]))
        if cors:
            headers += cors
        delay = ctx.delay_ms
        if delay is None and self.latency is not None and ctx.mode != "preflight":
            delay = self.rnd.uniform(*self.latency)
        if delay:
            await asyncio.sleep(delay / 1000)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if ctx.mode == "admin":
            return
        qs = scope.get("query_string") or b""
        ms = (time.perf_counter() - started) * 1000
        self.requests.append(
            (time.time(), rid, method, path, qs, status, op_id, ctx.example, ctx.mode, ms, delay)
        )
        if self.log is not None:
            target = path + ("?" + qs.decode("latin-1") if qs else "")
            note = f" example={ctx.example}" if ctx.example else ""
            if ctx.mode and ctx.mode != "example":
                note += f" {ctx.mode}"
            op = f" {op_id}" if op_id else ""
            self.log.write(f"{method} {target} {status}{op}{note} {ms:.2f}ms\n")
            self.log.flush()

    async def _route(
        self,
        scope: Scope,
        receive: Receive,
        method: str,
        path: str,
        hdrs: dict[str, str],
        ctx: _Ctx,
    ) -> tuple[int, bytes, Headers, str]:
        base = self.base
        if method == "OPTIONS" and "access-control-request-method" in hdrs:
            # Answer every preflight, so that the browser lets the real request through
            # and the page can read its 404/405 envelope instead of a CORS failure.
            item, _ = self.spec.match(path[len(base) :] or "/")
            allow = item.allow if item is not None else self.all_methods
            ctx.mode = "preflight"
            return self._options(allow, hdrs) + ("",)
        if base and not (path == base or path.startswith(base + "/")):
            raise MockError(404, default_message(404) or "No such resource.")
        rel = path[len(base) :] or "/"
        item, raw = self.spec.match(rel)
        if item is None:
            raise MockError(404, default_message(404) or "No such resource.")
        if method == "OPTIONS" and "OPTIONS" not in item.ops:
            ctx.mode = "preflight"
            return self._options(item.allow, hdrs) + ("",)
        op = item.ops.get(method)
        if op is None:
            raise MockError(
                405,
                default_message(405) or f"{method} is not allowed here.",
                headers=[(b"allow", item.allow.encode())],
            )
        path_params = {item.names[k]: v for k, v in raw.items()} if raw else {}
        try:
            status, body, headers = await self._operation(
                op, scope, receive, path, path_params, hdrs, ctx
            )
        except MockError as e:
            status, body, headers = self._error(
                op, ctx, e.status, e.message, e.details, e.headers, e.type
            )
        except DomainError as de:
            me = _from_domain(de)
            status, body, headers = self._error(
                op, ctx, me.status, me.message, me.details, me.headers, me.type
            )
        return status, body, headers, op.op_id

    # -- one operation --------------------------------------------------------

    async def _operation(
        self,
        op: Operation,
        scope: Scope,
        receive: Receive,
        path: str,
        path_params: dict[str, str],
        hdrs: dict[str, str],
        ctx: _Ctx,
    ) -> tuple[int, bytes, Headers]:
        qs: bytes = scope.get("query_string") or b""
        query: dict[str, list[str]] = {}
        # Parameters are parsed by the server's validator; the mock reads the query itself
        # only for `__code`-style selection and for keys sent in the query.
        if qs and (b"__" in qs or self._query_keys):
            for k, v in parse_qsl(qs.decode("utf-8", "replace"), keep_blank_values=True):
                query.setdefault(k, []).append(v)
        prefer = hdrs.get("prefer")
        select = _selection(prefer, query) if prefer or query else {}
        if "delay" in select:
            ctx.delay_ms = _delay(select.pop("delay"))
        key = self._authenticate(op, hdrs, query, ctx)
        if self.chaos and self.rnd.random() < self.chaos:
            return self._chaos(op, ctx)
        params = self._params(op, scope, path_params)
        body_value = await self._read_body(op, scope, receive, hdrs)
        if not select:
            if self.store is not None:
                reply = self.store.handle(
                    Request(
                        op,
                        path_params,
                        params,
                        body_value,
                        key,
                        self.base,
                        hdrs,
                        op.method,
                        path,
                    )
                )
                if reply is not None:
                    ctx.mode = "stateful"
                    return self._reply(op, reply)
            if not self.dynamic_default:
                variant = op.variants.get(op.default_status)
                if variant is not None and variant.default_example is not None:
                    name = variant.default_example
                    body_bytes, headers = self._prebuilt[(op.op_id, variant.status, name)]
                    ctx.example = name
                    ctx.mode = "example"
                    return variant.status, body_bytes, headers
        if self.dynamic_default and "example" not in select:
            select.setdefault("dynamic", "true")
        return self._selected(op, select, ctx, params)

    def _chaos(self, op: Operation, ctx: _Ctx) -> tuple[int, bytes, Headers]:
        """A documented fault, as if the server or its limiter had answered it."""
        choices = [s for s in CHAOS_STATUSES if op.variant_for(s) is not None] or [500]
        status = self.rnd.choice(choices)
        ctx.mode = "chaos"
        extra: Headers = []
        if status == 429:
            limit, _, reset = ctx.quota or (self.limits.limit, 0, 60)
            ctx.quota = (limit, 0, reset)
            extra.append((b"retry-after", b"%d" % reset))
            message = f"Rate limit of {limit} requests per minute exceeded for this key; "
            message += f"retry in {reset} s."
        else:
            message = default_message(500) or "Something went wrong."
        type_ = "rate_limited" if status == 429 else None
        return self._error(op, ctx, status, message, None, extra, type_)

    def _selected(
        self, op: Operation, select: dict[str, str], ctx: _Ctx, params: dict[str, Any]
    ) -> tuple[int, bytes, Headers]:
        code = select.get("code")
        example = select.get("example")
        dynamic = select.get("dynamic", "false").lower() in _TRUE
        variant: Variant | None
        if code is not None:
            status = int(code) if _INT.match(code) else -1
            variant = op.variant_for(status) if 100 <= status <= 599 else None
            if variant is None:
                raise self._selection_error(
                    op,
                    "code",
                    f"{op.op_id} documents no response with code {code!r}; "
                    f"available codes: {', '.join(op.statuses())}.",
                    op.statuses(),
                )
        else:
            status = op.default_status
            variant = op.variants.get(status)
            if example is not None and (variant is None or example not in variant.examples):
                for s in sorted(op.variants):
                    if example in op.variants[s].examples:
                        status, variant = s, op.variants[s]
                        break
        ctx.mode = "selected"
        if variant is None:
            return status, b"", [(b"content-length", b"0")]
        if example is not None:
            if example not in variant.examples:
                names = _example_listing(op) if code is None else sorted(variant.examples)
                where = f"for code {code}" if code is not None else "in any response"
                raise self._selection_error(
                    op,
                    "example",
                    f"{op.op_id} has no example named {example!r} {where}; "
                    f"available examples: {', '.join(names) or 'none'}.",
                    names,
                )
            name = example
        elif dynamic and variant.schema is not None:
            value = self._fix_envelope(self._generate(variant, params), status, ctx)
            body = dumps(value)
            ctx.mode = "dynamic"
            return status, body, self._headers(variant, body, variant.headers)
        else:
            name = variant.default_example or ""
        if not name:
            return status, b"", self._headers(variant, b"", variant.headers)
        ctx.example = name
        if status == variant.status and status < 400:
            body, headers = self._prebuilt[(op.op_id, variant.status, name)]
        else:  # an error example gets this request's id; a range one ("4XX") the code asked
            value = self._fix_envelope(copy.deepcopy(variant.values[name]), status, ctx)
            body = dumps(value)
            headers = self._headers(variant, body, variant.headers)
        return status, body, headers

    def _fix_envelope(self, value: Any, status: int, ctx: _Ctx | None = None) -> Any:
        """The envelope's rules that a schema cannot say: `code` equals the status, `type`
        is the one that goes with it, and `request_id` is this request's."""
        err = value.get("error") if isinstance(value, dict) else None
        if isinstance(err, dict) and status >= 400:
            err["code"] = status
            err["type"] = self.spec.error_types.get(status, err.get("type"))
            if ctx is not None and "request_id" in err:
                err["request_id"] = ctx.rid
        return value

    def _generate(self, variant: Variant, params: dict[str, Any] | None = None) -> Any:
        assert variant.check is not None
        value = None
        for _ in range(30):
            value = self.gen.generate(variant.schema)
            if params is not None:
                value = self.gen.realistic(value, params)
            if not variant.check(value):
                return value
        if variant.default_example is not None:  # give up on generation, stay valid
            return variant.values[variant.default_example]
        return value

    def _reply(self, op: Operation, reply: Reply) -> tuple[int, bytes, Headers]:
        variant = op.variant_for(reply.status)
        body = b"" if reply.value is None else dumps(reply.value)
        documented = variant.headers if variant is not None else []
        overridden = {k for k, _ in reply.headers}
        headers = [h for h in documented if h[0] not in overridden] + reply.headers
        return reply.status, body, self._headers(variant, body, headers)

    # -- auth -------------------------------------------------------------

    def _authenticate(
        self, op: Operation, hdrs: dict[str, str], query: dict[str, list[str]], ctx: _Ctx
    ) -> str | None:
        """The server's order: a missing or unknown key is 401, then the key's request is
        counted (429 past the limit), then a key without the scopes is 403."""
        if not op.security or any(not alt for alt in op.security):
            return None  # no requirement, or an explicit anonymous alternative
        presented: str | None = None
        for alt in op.security:
            for _name, scheme, _scopes in alt:
                cred = _credential(scheme, hdrs, query)
                if cred is not None:
                    presented = cred
                    break
            if presented is not None:
                break
        if presented is None:
            raise MockError(401, default_message(401) or "An API key is required.")
        granted = self.policy.scopes_for(presented)
        if granted is None:
            raise MockError(401, default_message(401) or "The API key is not valid.")
        try:
            ctx.quota = self.limits.hit(presented)
        except RateLimited as e:
            ctx.quota = e.quota  # type: ignore[assignment]
            raise
        for alt in op.security:
            if all(scopes <= granted for _n, _s, scopes in alt):
                return presented
        # The server's message (threada.security).
        options = " or ".join(
            " and ".join(sorted({s for _n, _s, scopes in alt for s in scopes}))
            for alt in op.security
        )
        has = ", ".join(sorted(granted)) or "none"
        raise MockError(
            403,
            f"This API key lacks the scope this operation needs: {options}. "
            f"(Mock: the key has {has}.)",
        )

    # -- request validation (the server's validators) ------------------------

    def _params(self, op: Operation, scope: Scope, path_params: dict[str, str]) -> dict[str, Any]:
        """Parameter values, coerced and judged by the server's parameter validator, with
        the spec's defaults for those not given."""
        return self.checks[op.op_id].params(scope, path_params, self._defaults[op.op_id])

    async def _read_body(
        self, op: Operation, scope: Scope, receive: Receive, hdrs: dict[str, str]
    ) -> Any:
        """The body, checked by the server's body validator; None when there is none."""
        if op.body is None:
            return None
        ctype = hdrs.get("content-type")
        # Connexion takes a request without Content-Type for the operation's first type.
        media = ctype.split(";")[0].strip().lower() if ctype else next(iter(op.body.media), "")
        if media not in op.body.media and _wildcard_key(op.body.media, media) is None:
            accepted = ", ".join(op.body.media)
            # Connexion's UnsupportedMediaTypeProblem, as the server words it.
            raise MockError(415, f"Invalid Content-type ({media}), expected [{accepted}]")
        return await self.checks[op.op_id].read_body(scope, receive, media)

    # -- responses ----------------------------------------------------------

    def _headers(self, variant: Variant | None, body: bytes, documented: Headers) -> Headers:
        headers: Headers = []
        if body:
            ctype = (variant.content_type if variant else None) or "application/json"
            headers.append((b"content-type", ctype.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        return headers + documented

    def _error(
        self,
        op: Operation | None,
        ctx: _Ctx,
        status: int,
        message: str,
        details: list[dict[str, str]] | None = None,
        extra: Headers | None = None,
        type_: str | None = None,
    ) -> tuple[int, bytes, Headers]:
        if type_ is not None and self.spec.error_enum and type_ not in self.spec.error_enum:
            type_ = None
        kind = (
            type_
            or self.spec.error_types.get(status)
            or self.spec.error_types.get(status // 100 * 100)
            or self.spec.error_types.get(400 if status < 500 else 500, "error")
        )
        value = envelope(
            status,
            message,
            type_=kind,
            request_id=ctx.rid if self.request_id_allowed else None,
            details=details if self.details_allowed else None,
        )
        body = dumps(value)
        variant = op.variant_for(status) if op is not None else None
        headers = self._headers(variant, body, [])
        if extra:
            headers += extra
        return status, body, headers

    def _selection_error(
        self, op: Operation, what: str, message: str, available: list[str]
    ) -> MockError:
        return MockError(
            SELECTION_ERROR_STATUS,
            "Mock: " + message,
            [{"field": f"prefer.{what}", "reason": f"available: {', '.join(available)}"}],
        )

    def _options(self, allow: str, hdrs: dict[str, str]) -> tuple[int, bytes, Headers]:
        headers: Headers = [(b"allow", allow.encode()), (b"content-length", b"0")]
        if "access-control-request-method" in hdrs:
            origin = hdrs.get("origin")
            if self.cors_any or origin in self.cors_origins:
                requested = hdrs.get("access-control-request-headers")
                headers += [
                    (b"access-control-allow-methods", allow.encode()),
                    (
                        b"access-control-allow-headers",
                        requested.encode("latin-1") if requested else self.allow_headers,
                    ),
                    (b"access-control-max-age", b"600"),
                ]
        return 204, b"", headers

    def _cors_for(self, origin: str | None) -> Headers:
        if origin is None or origin not in self.cors_origins:
            return [(b"vary", b"Origin")]
        out = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if self.expose:
            out.append((b"access-control-expose-headers", self.expose))
        return out

    def _error_members_allowed(self) -> tuple[bool, bool]:
        """Whether the spec's error schema takes `details` and `request_id` as the mock
        writes them (a spec whose envelope lacks them gets neither)."""
        for op in self.spec.operations.values():
            v = op.variants.get(400)
            if v is not None and v.check is not None:
                err = {
                    "type": self.spec.error_types.get(400, "invalid_request"),
                    "message": "m",
                    "code": 400,
                }
                details = [{"field": "query.limit", "reason": "r"}]
                return (
                    not v.check({"error": {**err, "details": details}}),
                    not v.check({"error": {**err, "request_id": "req_0123456789abcdef"}}),
                )
        return False, False

    # -- the mock's own endpoints ---------------------------------------------

    def _is_admin(self, path: str) -> bool:
        return path.startswith(ADMIN_PREFIX) or path.startswith(self.base + ADMIN_PREFIX)

    def _admin(
        self, method: str, path: str, scope: Scope, hdrs: dict[str, str]
    ) -> tuple[int, bytes, Headers]:
        """`POST /__mock/reset` and `GET /__mock/requests` (also under the base path)."""
        name = path[path.index(ADMIN_PREFIX) + len(ADMIN_PREFIX) :].rstrip("/")
        routes = {"reset": "POST", "requests": "GET"}
        if method == "OPTIONS" and name in routes:
            return self._options(f"{routes[name]}, OPTIONS", hdrs)
        if name not in routes:
            return self._admin_json(
                404,
                {
                    "error": f"no mock endpoint {path}",
                    "endpoints": [f"POST {ADMIN_PREFIX}reset", f"GET {ADMIN_PREFIX}requests"],
                },
            )
        if method != routes[name]:
            status, body, headers = self._admin_json(405, {"error": f"{name} takes {routes[name]}"})
            return status, body, [*headers, (b"allow", routes[name].encode())]
        if name == "reset":
            self.reset()
            return self._admin_json(200, {"reset": True})
        query = dict(parse_qsl((scope.get("query_string") or b"").decode("latin-1")))
        limit = int(query["limit"]) if query.get("limit", "").isdigit() else None
        return self._admin_json(200, {"items": self.request_log(limit)})

    def _admin_json(self, status: int, value: Any) -> tuple[int, bytes, Headers]:
        body = dumps(value)
        return status, body, self._headers(None, body, [(b"cache-control", b"no-store")])

    def reset(self) -> None:
        """Back to the state at start: the store (spec examples or fixtures), the request
        log, the rate-limit counters, and the random draws of `--seed`."""
        if self.store is not None:
            self.store.reset()
        self.requests.clear()
        self.limits.reset()
        self.rnd = random.Random(self.seed)
        self.gen = Generator(self.spec.doc, seed=self.seed, fake=self.gen.fake_locales)

    def request_log(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The requests answered, newest first, with the operation and example chosen."""
        out = []
        for entry in reversed(self.requests):
            when, rid, method, path, qs, status, op_id, example, mode, ms, delay = entry
            out.append(
                {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when))
                    + f".{int(when * 1000) % 1000:03d}Z",
                    "request_id": rid,
                    "method": method,
                    "path": path,
                    "query": qs.decode("latin-1"),
                    "status": status,
                    "operation": op_id or None,
                    "example": example or None,
                    "mode": mode or None,
                    "delay_ms": round(delay, 1) if delay else 0,
                    "duration_ms": round(ms, 3),
                }
            )
            if limit is not None and len(out) >= limit:
                break
        return out


def _selection(prefer: str | None, query: dict[str, list[str]]) -> dict[str, str]:
    """What the request asks of the mock: `code`, `example`, `dynamic` and `delay`, from
    `Prefer` (RFC 7240 preferences) or the `__code`-style query parameters (which win)."""
    out: dict[str, str] = {}
    if prefer:
        for part in re.split(r"[,;]", prefer):
            if "=" in part:
                k, v = part.split("=", 1)
                k = k.strip().lower()
                if k in ("code", "example", "dynamic", "delay"):
                    out[k] = v.strip().strip('"')
    for name in SELECT_PARAMS:
        if name in query:
            out[name[2:]] = query.pop(name)[-1]
    if out.get("dynamic", "true").lower() not in _TRUE:
        del out["dynamic"]  # dynamic=false is the default: no selection at all
    return out


def _delay(raw: str) -> float:
    """`Prefer: delay=300` (milliseconds) as a number; anything else is a 400."""
    try:
        ms = float(raw)
    except ValueError:
        ms = -1.0
    if not 0 <= ms <= MAX_DELAY_MS:
        raise MockError(
            SELECTION_ERROR_STATUS,
            f"Mock: delay must be a number of milliseconds from 0 to {MAX_DELAY_MS}, got {raw!r}.",
            [{"field": "prefer.delay", "reason": f"0 to {MAX_DELAY_MS} milliseconds"}],
        )
    return ms


def _example_listing(op: Operation) -> list[str]:
    return [f"{name} ({s})" for s in sorted(op.variants) for name in op.variants[s].examples]


def _credential(
    scheme: dict[str, Any], hdrs: dict[str, str], query: dict[str, list[str]]
) -> str | None:
    kind = scheme.get("type")
    if kind == "apiKey":
        where, name = scheme.get("in"), scheme.get("name", "")
        if where == "header":
            value = hdrs.get(name.lower())
        elif where == "query":
            got = query.pop(name, None)
            value = got[-1] if got else None
        else:
            cookie = _cookie(hdrs.get("cookie"), name)
            value = cookie[0] if cookie else None
        return value or None
    auth = hdrs.get("authorization")
    if not auth:
        return None
    if kind == "http":
        prefix = scheme.get("scheme", "bearer").lower() + " "
        return auth[len(prefix) :].strip() or None if auth.lower().startswith(prefix) else None
    return auth.split(" ", 1)[-1].strip() or None  # oauth2 / openIdConnect bearer tokens


def _cookie(header: str | None, name: str) -> list[str] | None:
    if not header:
        return None
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return [v]
    return None


def _wildcard_key(media: dict[str, Any], wanted: str) -> str | None:
    """The media-range key (`*/*`, `text/*`) of the body that takes `wanted`, if any."""
    if "*/*" in media:
        return "*/*"
    major = wanted.split("/")[0] + "/*"
    return major if major in media else None
