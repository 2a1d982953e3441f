"""The mock as a raw ASGI application.

Per request it does only what the request needs: a dict lookup (or a few
regexes) for the route, header scans, the pre-built validators, and a
pre-serialized body with pre-built headers. Everything else happened in
`build_app`.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO
from urllib.parse import parse_qsl

from threada.validation import MAX_INT_DIGITS, BadInput, parse_json, text_problems

from .config import KeyPolicy
from .generate import Generator
from .model import JSON_TYPES, CompiledSpec, Operation, Param, Variant, dumps

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

#: Prism's query-parameter names for choosing a response; removed before validation.
SELECT_PARAMS = ("__code", "__example", "__dynamic")
#: The status answered when a request asks for a code or example that is not documented.
SELECTION_ERROR_STATUS = 400
DEFAULT_MAX_BODY = 1024 * 1024
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


@dataclass
class Reply:
    status: int
    value: Any
    headers: Headers = field(default_factory=list)


class Store(Protocol):
    """What `--stateful` plugs in: an answer for the request, or None for "use examples"."""

    def handle(self, request: Request) -> Reply | None: ...


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
        self.gen = Generator(spec.doc, seed=seed)
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
        self.details_allowed = self._details_allowed()

    # -- ASGI -------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
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
        note = ""
        op_id = ""
        try:
            status, body, headers, op_id, note = await self._route(
                scope, receive, method, path, hdrs
            )
        except MockError as e:
            status, body, headers = self._error(
                None, e.status, e.message, e.details, e.headers, e.type
            )
        except Exception:  # noqa: BLE001 - a mock bug must still answer in the envelope
            traceback.print_exc(file=sys.stderr)
            status, body, headers = self._error(None, 500, "The mock failed on this request.")
            note = "mock bug"
        if cors:
            headers = headers + cors
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.log is not None:
            qs = scope.get("query_string") or b""
            target = path + ("?" + qs.decode("latin-1") if qs else "")
            ms = (time.perf_counter() - started) * 1000
            self.log.write(f"{method} {target} {status}{op_id}{note} {ms:.2f}ms\n")
            self.log.flush()

    async def _route(
        self, scope: Scope, receive: Receive, method: str, path: str, hdrs: dict[str, str]
    ) -> tuple[int, bytes, Headers, str, str]:
        base = self.base
        if method == "OPTIONS" and "access-control-request-method" in hdrs:
            # Answer every preflight, so that the browser lets the real request through
            # and the page can read its 404/405 envelope instead of a CORS failure.
            item, _ = self.spec.match(path[len(base) :] or "/")
            allow = item.allow if item is not None else self.all_methods
            return self._options(allow, hdrs) + ("", " preflight")
        if base and not (path == base or path.startswith(base + "/")):
            raise MockError(404, f"No such path: {path} (the API is under {base}/).")
        rel = path[len(base) :] or "/"
        item, raw = self.spec.match(rel)
        if item is None:
            raise MockError(404, f"No such path: {path}.")
        if method == "OPTIONS" and "OPTIONS" not in item.ops:
            return self._options(item.allow, hdrs) + ("", " preflight")
        op = item.ops.get(method)
        if op is None:
            raise MockError(
                405,
                f"{method} is not allowed on {path}; allowed: {item.allow}.",
                headers=[(b"allow", item.allow.encode())],
            )
        path_params = {item.names[k]: v for k, v in raw.items()} if raw else {}
        try:
            status, body, headers, note = await self._operation(
                op, scope, receive, path_params, hdrs
            )
        except MockError as e:
            status, body, headers = self._error(
                op, e.status, e.message, e.details, e.headers, e.type
            )
            note = ""
        return status, body, headers, " " + op.op_id, note

    # -- one operation --------------------------------------------------------

    async def _operation(
        self,
        op: Operation,
        scope: Scope,
        receive: Receive,
        path_params: dict[str, str],
        hdrs: dict[str, str],
    ) -> tuple[int, bytes, Headers, str]:
        qs: bytes = scope.get("query_string") or b""
        query: dict[str, list[str]] = {}
        if qs:
            for k, v in parse_qsl(qs.decode("utf-8", "replace"), keep_blank_values=True):
                query.setdefault(k, []).append(v)
        select = _selection(hdrs.get("prefer"), query)
        key = self._authenticate(op, hdrs, query)
        body = await self._read_body(op, receive, hdrs)
        params, problems = self._params(op, path_params, query, hdrs)
        if body is not _NO_BODY and op.body is not None:
            problems += body[1]
            body_value = body[0]
        else:
            body_value = None
        if problems:
            raise self._invalid(problems)
        if not select:
            if self.store is not None:
                base_url = self.base
                reply = self.store.handle(
                    Request(op, path_params, params, body_value, key, base_url, hdrs)
                )
                if reply is not None:
                    return self._reply(op, reply) + (" stateful",)
            if not self.dynamic_default:
                variant = op.variants.get(op.default_status)
                if variant is not None and variant.default_example is not None:
                    name = variant.default_example
                    body_bytes, headers = self._prebuilt[(op.op_id, variant.status, name)]
                    return variant.status, body_bytes, headers, f" example={name}"
        if self.dynamic_default and "example" not in select:
            select.setdefault("dynamic", "true")
        return self._selected(op, select)

    def _selected(self, op: Operation, select: dict[str, str]) -> tuple[int, bytes, Headers, str]:
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
        if variant is None:
            return status, b"", [(b"content-length", b"0")], ""
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
            value = self._fix_envelope(self._generate(variant), status)
            body = dumps(value)
            return status, body, self._headers(variant, body, variant.headers), " dynamic"
        else:
            name = variant.default_example or ""
        if not name:
            return status, b"", self._headers(variant, b"", variant.headers), ""
        if status == variant.status:
            body, headers = self._prebuilt[(op.op_id, variant.status, name)]
        else:  # a range response ("4XX") served under the code asked for
            body = dumps(self._fix_envelope(copy.deepcopy(variant.values[name]), status))
            headers = self._headers(variant, body, variant.headers)
        return status, body, headers, f" example={name}"

    def _fix_envelope(self, value: Any, status: int) -> Any:
        """The envelope's rules that a schema cannot say: `code` equals the status, and
        `type` is the one that goes with it."""
        err = value.get("error") if isinstance(value, dict) else None
        if isinstance(err, dict) and status >= 400:
            err["code"] = status
            err["type"] = self.spec.error_types.get(status, err.get("type"))
        return value

    def _generate(self, variant: Variant) -> Any:
        assert variant.check is not None
        value = None
        for _ in range(30):
            value = self.gen.generate(variant.schema)
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
        self, op: Operation, hdrs: dict[str, str], query: dict[str, list[str]]
    ) -> str | None:
        if not op.security or any(not alt for alt in op.security):
            return None  # no requirement, or an explicit anonymous alternative
        presented: str | None = None
        wanted: list[str] = []
        have: frozenset[str] | None = None
        for alt in op.security:
            scopes_needed: set[str] = set()
            ok = True
            for _name, scheme, scopes in alt:
                cred = _credential(scheme, hdrs, query)
                if cred is None:
                    ok = False
                    break
                presented = cred
                granted = self.policy.scopes_for(cred)
                if granted is None:
                    raise MockError(
                        401,
                        f"The API key {_redact(cred)} is not valid "
                        "(the mock treats it as revoked).",
                    )
                have = granted
                if not scopes <= granted:
                    ok = False
                    scopes_needed |= scopes - granted
            if ok:
                return presented
            if scopes_needed:
                wanted.append(" and ".join(sorted(scopes_needed)))
        if presented is None:
            where = _credential_names(op)
            raise MockError(401, f"Send your API key in the {where}.")
        needs = " or ".join(f"the {w} scope" for w in dict.fromkeys(wanted))
        has = ", ".join(sorted(have or ())) or "none"
        raise MockError(403, f"This operation needs {needs}; the key has: {has}.")

    # -- request validation -------------------------------------------------

    async def _read_body(self, op: Operation, receive: Receive, hdrs: dict[str, str]) -> Any:
        if op.body is None:
            return _NO_BODY
        length = hdrs.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body:
            raise MockError(413, f"The request body is over the {self.max_body}-byte limit.")
        chunks = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise MockError(413, f"The request body is over the {self.max_body}-byte limit.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        ctype = hdrs.get("content-type")
        if not raw and ctype is None:
            if op.body.required:
                return None, [("body", "A request body is required.")]
            return None, []
        media = (ctype or "").split(";")[0].strip().lower()
        check = op.body.media.get(media) or _wildcard(op.body.media, media)
        if check is None:
            accepted = ", ".join(op.body.media)
            raise MockError(
                415, f"Content-Type {ctype or '(none)'} is not supported here; send {accepted}."
            )
        if media not in JSON_TYPES and not media.endswith("+json"):
            return raw, []
        if not raw:
            if op.body.required:
                return None, [("body", "A request body is required.")]
            return None, []
        try:
            value = parse_json(raw)
        except BadInput as e:
            return None, [(e.field, e.reason)]
        return value, [(_field("body", path), msg) for path, msg in check(value)]

    def _params(
        self,
        op: Operation,
        path_params: dict[str, str],
        query: dict[str, list[str]],
        hdrs: dict[str, str],
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for p in op.params:
            raw: list[str] | None
            if p.location == "query":
                raw = query.get(p.name)
            elif p.location == "path":
                raw = [path_params[p.name]] if p.name in path_params else None
            elif p.location == "header":
                h = hdrs.get(p.name.lower())
                raw = None if h is None else [h]
            else:
                raw = _cookie(hdrs.get("cookie"), p.name)
            if raw is None:
                if p.required:
                    problems.append((p.field, "This parameter is required."))
                elif p.has_default:
                    values[p.name] = p.default
                continue
            bad = text_problems(raw, p.field)
            if bad:
                problems.append((p.field, bad[0][1]))
                continue
            value = _coerce(p, raw)
            for path, msg in p.check(value):
                problems.append((_field(p.field, path), msg))
            values[p.name] = value
        return values, problems

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
        status: int,
        message: str,
        details: list[dict[str, str]] | None = None,
        extra: Headers | None = None,
        type_: str | None = None,
    ) -> tuple[int, bytes, Headers]:
        if type_ is not None and type_ not in self.spec.error_enum:
            type_ = None
        err: dict[str, Any] = {
            "type": type_
            or self.spec.error_types.get(status)
            or self.spec.error_types.get(status // 100 * 100)
            or self.spec.error_types.get(400 if status < 500 else 500, "error"),
            "message": message,
            "code": status,
        }
        if details and self.details_allowed:
            err["details"] = details
        body = dumps({"error": err})
        variant = op.variant_for(status) if op is not None else None
        headers = self._headers(variant, body, variant.headers if variant else [])
        if extra:
            headers += extra
        return status, body, headers

    def _invalid(self, problems: list[tuple[str, str]]) -> MockError:
        text = "; ".join(f"{f}: {r}" for f, r in problems[:5])
        if len(problems) > 5:
            text += f"; and {len(problems) - 5} more"
        return MockError(
            400,
            f"The request is invalid: {text}",
            [{"field": f, "reason": r} for f, r in problems[:50]],
        )

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

    def _details_allowed(self) -> bool:
        """Whether the spec's error schema takes `details` as the mock writes them."""
        for op in self.spec.operations.values():
            v = op.variants.get(400)
            if v is not None and v.check is not None:
                sample = {
                    "error": {
                        "type": self.spec.error_types.get(400, "invalid_request"),
                        "message": "m",
                        "code": 400,
                        "details": [{"field": "query.limit", "reason": "r"}],
                    }
                }
                return not v.check(sample)
        return False


_NO_BODY: Any = object()


def _selection(prefer: str | None, query: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    if prefer:
        for part in re.split(r"[,;]", prefer):
            if "=" in part:
                k, v = part.split("=", 1)
                k = k.strip().lower()
                if k in ("code", "example", "dynamic"):
                    out[k] = v.strip().strip('"')
    for name in SELECT_PARAMS:
        if name in query:
            out[name[2:]] = query.pop(name)[-1]
    if out.get("dynamic", "true").lower() not in _TRUE:
        del out["dynamic"]  # dynamic=false is the default: no selection at all
    return out


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


def _credential_names(op: Operation) -> str:
    names = []
    for alt in op.security:
        for _n, scheme, _s in alt:
            if scheme.get("type") == "apiKey":
                names.append(f"{scheme.get('name')} {scheme.get('in')}")
            else:
                names.append("Authorization header")
    return " or ".join(dict.fromkeys(names))


def _redact(key: str) -> str:
    return key if len(key) <= 16 else key[:12] + "..."


def _cookie(header: str | None, name: str) -> list[str] | None:
    if not header:
        return None
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return [v]
    return None


def _wildcard(media: dict[str, Any], wanted: str) -> Any:
    if "*/*" in media:
        return media["*/*"]
    major = wanted.split("/")[0] + "/*"
    return media.get(major)


def _field(prefix: str, path: list[str | int]) -> str:
    return ".".join([prefix, *(str(p) for p in path)])


def _scalar(kind: str | None, raw: str) -> Any:
    if kind == "integer":
        # More digits than any integer the API takes stay text (a type error), not int()'s
        # ValueError past 4300 digits.
        return int(raw) if _INT.match(raw) and len(raw) <= MAX_INT_DIGITS else raw
    if kind == "number":
        try:
            value = float(raw)
        except ValueError:
            return raw
        if value != value or value in (float("inf"), float("-inf")):
            return raw
        return int(value) if _INT.match(raw) and len(raw) <= MAX_INT_DIGITS else value
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _coerce(p: Param, raw: list[str]) -> Any:
    if p.kind == "array":
        items = raw if p.explode else [x for x in raw[0].split(",")] if raw[0] else []
        return [_scalar(p.item_kind, x) for x in items]
    if p.kind == "object":
        try:
            return json.loads(raw[0])
        except ValueError:
            return raw[0]
    return _scalar(p.kind, raw[0])
