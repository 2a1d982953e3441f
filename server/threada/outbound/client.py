"""Make one custom_http call and describe how it went."""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from threada.domain.errors import InvalidRequest
from threada.outbound.policy import OutboundPolicy
from threada.outbound.transport import BlockedByPolicy, ResolutionFailed, guarded_transport
from threada.outbound.validation import build_target_url, validate_base_url, validate_custom_http

log = logging.getLogger(__name__)

USER_AGENT = "Threada-Actions/1.0"
EXCERPT_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one call. `succeeded` is true only for a 2xx answer.

    `http_status` is the target's status when one arrived (also for 3xx,
    4xx, 5xx, and when the body then timed out), else None. `error` is a
    short reason when not succeeded. `response_excerpt` is at most the first
    1 KiB of the body, decoded as UTF-8 with replacement, or None when there
    was no body. `response_truncated` says the body was longer than the
    policy's `max_response_bytes` and was not read to its end.
    """

    succeeded: bool
    http_status: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None
    response_truncated: bool = False

    def as_result(self) -> dict[str, object]:
        """The spec's `ActionResult` object: http_status, duration_ms, error, response_excerpt."""
        return {
            "http_status": self.http_status,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "response_excerpt": self.response_excerpt,
        }


class AsyncOutbound:
    """Guarded outbound HTTP for one policy: a shared `httpx.AsyncClient` per event loop.

    Every connection goes through the policy's guard (`transport.GuardedBackend`), at
    most `max_connections` at once, idle ones kept for reuse. `send` is the one call:
    it never raises for what the target does, and each call has its own total timeout.
    Use it from coroutines only; `aclose()` when done (the app does, at shutdown).
    """

    def __init__(
        self, policy: OutboundPolicy, *, max_connections: int = 100, keepalive: int = 20
    ) -> None:
        self.policy = policy
        self._max_connections = max_connections
        self._keepalive = keepalive
        # One client per event loop: connections belong to the loop that opened them (a
        # test may drive the same app from two loops).
        self._clients: dict[int, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = {}

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        hit = self._clients.get(id(loop))
        if hit is None or hit[0] is not loop:
            for key, (other, _) in list(self._clients.items()):
                if other.is_closed():
                    del self._clients[key]
            client = httpx.AsyncClient(
                transport=guarded_transport(
                    self.policy, max_connections=self._max_connections, keepalive=self._keepalive
                ),
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(
                    self.policy.total_timeout,
                    connect=min(self.policy.connect_timeout, self.policy.total_timeout),
                ),
            )
            hit = self._clients[id(loop)] = (loop, client)
        return hit[1]

    async def send(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,
    ) -> Outcome:
        """Send one request to `url` and describe how it went; never raises for the target.

        `method` and `url` are sent as given (absolute http/https URL; redirects are
        not followed). `headers` are added to `User-Agent: Threada-Actions/1.0` and
        `Accept-Encoding: identity` (and may replace them). `content` is the body,
        sent as is. `timeout` (seconds; default the policy's `total_timeout`) bounds the
        whole call, from name resolution to the last byte read; each connect attempt
        also gets at most the policy's `connect_timeout`. At most the policy's
        `max_response_bytes` of the body are read. An address the policy refuses gives
        a failed `Outcome` whose error starts with "blocked by policy", and no
        connection is opened.
        """
        started = time.monotonic()
        total = self.policy.total_timeout if timeout is None else timeout
        sent_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        sent_headers.update(headers or {})
        status: int | None = None
        try:
            async with asyncio.timeout(total):
                async with self._client().stream(
                    method, url, headers=sent_headers, content=content
                ) as response:
                    status = response.status_code
                    body, truncated = await _read_capped(response, self.policy.max_response_bytes)
                    excerpt = _excerpt(body, response.headers.get("content-encoding", ""))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a failed Outcome
            return Outcome(
                succeeded=False,
                http_status=status,
                duration_ms=_ms_since(started),
                error=_describe(exc, self.policy, total),
                response_excerpt=None,
            )
        error = None
        if 300 <= status < 400:
            error = f"redirect not followed ({status})"
        elif not 200 <= status < 300:
            error = f"target answered {status}"
        return Outcome(
            succeeded=error is None,
            http_status=status,
            duration_ms=_ms_since(started),
            error=error,
            response_excerpt=excerpt,
            response_truncated=truncated,
        )

    async def aclose(self) -> None:
        """Close this loop's client (and forget the others: their loops own them)."""
        clients, self._clients = self._clients, {}
        loop = asyncio.get_running_loop()
        for other, client in clients.values():
            if other is loop:
                await client.aclose()

    async def __aenter__(self) -> AsyncOutbound:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def run_custom_http_async(
    *,
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    body_json: str | None,
    policy: OutboundPolicy,
    action_id: str | None = None,
    outbound: AsyncOutbound | None = None,
) -> Outcome:
    """Send a tenant's custom_http request and return its `Outcome`; never raises for
    what the target does.

    The request is checked again first, exactly as `validate_custom_http`
    does, and a bad one raises `InvalidRequest` before any lookup or
    connection: callers validate at request time, so that only happens on a
    bug. A base URL that `validate_base_url` refuses (tenant configuration,
    not the request) gives a failed Outcome instead, so an action already
    recorded as running still gets its result. `path` is joined to `base_url`
    (`build_target_url`). The call goes through `outbound` (a shared client) when
    given, else a one-off client for `policy`; see `AsyncOutbound.send`.
    """
    started = time.monotonic()
    validate_custom_http(
        {"method": method, "url": path, "headers": headers, "body_json": body_json}
    )
    try:
        base = validate_base_url(base_url)
    except InvalidRequest as exc:
        return Outcome(False, None, _ms_since(started), f"invalid {exc.message}", None)
    url = build_target_url(base, path)
    sent_headers: dict[str, str] = {}
    if action_id is not None:
        sent_headers["X-Threada-Action-Id"] = action_id
    sent_headers.update(headers or {})
    content = None
    if body_json is not None:
        sent_headers["Content-Type"] = "application/json"
        content = body_json.encode("utf-8")
    if outbound is not None:
        return await outbound.send(method=method, url=url, headers=sent_headers, content=content)
    async with AsyncOutbound(policy, max_connections=1, keepalive=0) as once:
        return await once.send(method=method, url=url, headers=sent_headers, content=content)


def run_custom_http(
    *,
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    body_json: str | None,
    policy: OutboundPolicy,
    action_id: str | None = None,
) -> Outcome:
    """`run_custom_http_async` for a caller without an event loop (scripts, tests): the
    same code path and guard, on a loop of its own. Not for use inside a running loop."""
    return asyncio.run(
        run_custom_http_async(
            base_url=base_url,
            method=method,
            path=path,
            headers=headers,
            body_json=body_json,
            policy=policy,
            action_id=action_id,
        )
    )


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    # Raw bytes, so a compressed body cannot expand past the cap in memory.
    body = bytearray()
    async for chunk in response.aiter_raw():
        room = limit - len(body)
        if len(chunk) > room:
            body += chunk[:room]
            return bytes(body), True
        body += chunk
    return bytes(body), False


def _excerpt(body: bytes, encoding: str) -> str | None:
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        # We asked for identity; a server that compresses anyway still gets
        # a readable excerpt, inflated no further than the excerpt's size.
        try:
            body = zlib.decompressobj(zlib.MAX_WBITS | 32).decompress(body, EXCERPT_BYTES)
        except zlib.error:
            return None
    elif encoding not in ("", "identity"):
        return None
    if not body:
        return None
    # NUL cannot be stored in a PostgreSQL text column.
    return body[:EXCERPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _describe(exc: BaseException, policy: OutboundPolicy, total: float) -> str:
    """A short, stable message for a failed call."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, BlockedByPolicy):
            return f"blocked by policy: {item}"
    if isinstance(exc, TimeoutError):  # the call's total timeout (asyncio.timeout)
        return f"timeout after {_seconds(total)}s"
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            return f"connect timeout after {_seconds(policy.connect_timeout)}s"
        return f"timeout after {_seconds(total)}s"
    for item in chain:
        if isinstance(item, ResolutionFailed):
            return str(item)
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(item, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {item.verify_message}"
        if isinstance(item, ssl.SSLError):
            return f"TLS error: {item.reason or item}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"invalid response: {exc}"[:200]
    if isinstance(exc, httpx.TransportError):
        return f"connection failed: {exc or type(exc).__name__}"[:200]
    log.exception("outbound action call failed unexpectedly")
    return f"internal error ({type(exc).__name__})"


def _seconds(value: float) -> str:
    return f"{value:.1f}" if value >= 0.1 else f"{value:g}"
