"""Make one custom_http call and describe how it went."""

from __future__ import annotations

import logging
import ssl
import time
import zlib
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
    """Send the request and return its `Outcome`; never raises for what the target does.

    The request is checked again first, exactly as `validate_custom_http`
    does, and a bad one raises `InvalidRequest` before any lookup or
    connection: callers validate at request time, so that only happens on a
    bug. A base URL that `validate_base_url` refuses (tenant configuration,
    not the request) gives a failed Outcome instead, so an action already
    recorded as running still gets its result. Redirects are not followed.
    The call, from name resolution to the last byte read, ends within
    `policy.total_timeout`.
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
    sent_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if action_id is not None:
        sent_headers["X-Threada-Action-Id"] = action_id
    sent_headers.update(headers or {})
    content = None
    if body_json is not None:
        sent_headers["Content-Type"] = "application/json"
        content = body_json.encode("utf-8")

    deadline = started + policy.total_timeout
    status: int | None = None
    try:
        timeout = httpx.Timeout(
            policy.total_timeout,
            connect=min(policy.connect_timeout, policy.total_timeout),
        )
        with (
            httpx.Client(
                transport=guarded_transport(policy, deadline),
                follow_redirects=False,
                trust_env=False,
                timeout=timeout,
            ) as client,
            client.stream(method, url, headers=sent_headers, content=content) as response,
        ):
            status = response.status_code
            body, truncated = _read_capped(response, policy.max_response_bytes)
            excerpt = _excerpt(body, response.headers.get("content-encoding", ""))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a failed Outcome
        return Outcome(
            succeeded=False,
            http_status=status,
            duration_ms=_ms_since(started),
            error=_describe(exc, policy, deadline),
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


def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    # Raw bytes, so a compressed body cannot expand past the cap in memory.
    body = bytearray()
    for chunk in response.iter_raw():
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


def _describe(exc: BaseException, policy: OutboundPolicy, deadline: float) -> str:
    """A short, stable message for a failed call."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for item in chain:
        if isinstance(item, BlockedByPolicy):
            return f"blocked by policy: {item}"
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout) and time.monotonic() < deadline:
            return f"connect timeout after {_seconds(policy.connect_timeout)}s"
        return f"timeout after {_seconds(policy.total_timeout)}s"
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
