"""The error envelope, everywhere under the base path, from one mapping.

`{"error": {"type", "message", "code", "request_id"?, "details"?}}`, `code`
equal to the HTTP status. Registered on the Connexion app (not the inner Flask
app) so that errors raised by Connexion's routing, security and validation
middleware are covered too.
"""

from __future__ import annotations

import json
import logging
import typing as t

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from threada import context
from threada.domain.errors import DomainError, RateLimited, ServiceUnavailable
from threada.storage.db import unavailable

log = logging.getLogger("threada.errors")

_TYPES = {
    400: "invalid_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}
_MESSAGES = {
    401: "A valid API key is required in the X-Api-Key header.",
    404: "No such resource.",
    405: "This method is not allowed on this resource.",
    413: "The request body is too large.",
    415: "Unsupported Content-Type.",
    500: "Something went wrong on our side. Quote the request_id when contacting support.",
}


# Retry-After on a 503 for a busy or unreachable database (create_app sets it).
RETRY_AFTER_SECONDS = [1]


def default_message(status: int) -> str | None:
    """The message the server gives for a status it answers itself (401, 404, 405, 413...)."""
    return _MESSAGES.get(status)


def envelope(
    status: int,
    message: str,
    *,
    type_: str | None = None,
    request_id: str | None = None,
    details: list | None = None,
) -> dict:
    error: dict[str, t.Any] = {
        "type": type_
        or _TYPES.get(status, "internal_error" if status >= 500 else "invalid_request"),
        "message": message,
        "code": status,
    }
    if request_id:
        error["request_id"] = request_id
    if details:
        error["details"] = details
    return {"error": error}


def error_response(
    request: ConnexionRequest,
    status: int,
    message: str,
    *,
    type_: str | None = None,
    details: list | None = None,
    headers: dict | None = None,
) -> ConnexionResponse:
    rid = _rid(request)
    body = envelope(status, message, type_=type_, request_id=rid, details=details)
    return ConnexionResponse(
        status_code=status,
        mimetype="application/json",
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":")),
        headers=headers or {},
    )


def domain_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, DomainError)
    headers = {}
    if isinstance(exc, RateLimited | ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status >= 500:
        log.error("request %s failed: %s", _rid(request), exc.message)
    return error_response(
        request, exc.status, exc.message, type_=exc.type, details=exc.details, headers=headers
    )


def problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Connexion's own problems (401 from security, 400/415 from validation, 404/405 routing)."""
    assert isinstance(exc, ProblemException)
    status = exc.status or 500
    if status >= 500:
        return unhandled(request, exc)
    message = _MESSAGES.get(status) if status in (401, 404) else None
    if message is None:
        message = str(exc.detail or exc.title or _MESSAGES.get(status, "Bad request."))
    # On 405 the middleware adds `Allow` from the spec index.
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "allow"}
    return error_response(request, status, message, headers=headers)


def http_exception(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """Starlette/werkzeug HTTP errors: unknown routes, wrong methods, and the like."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status >= 500:
        return unhandled(request, exc)
    # Starlette's router names only the first matching operation's methods; the
    # middleware adds `Allow` from the spec index, which knows them all.
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() != "allow"}
    message = _MESSAGES.get(status) or str(exc.detail)
    return error_response(request, status, message, headers=headers)


def unhandled(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """500 with the request id; the trace goes to the log only. A database that was busy,
    slow or unreachable past its configured bounds is a 503 with Retry-After instead."""
    if unavailable(exc):
        log.warning("request %s: database unavailable: %s", _rid(request), exc)
        return domain_error(request, database_unavailable())
    log.error("request %s failed", _rid(request), exc_info=exc)
    return error_response(request, 500, _MESSAGES[500], type_="internal_error")


def database_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The service is busy; retry after the time in Retry-After.",
        retry_after=RETRY_AFTER_SECONDS[0],
    )


def _rid(request: ConnexionRequest) -> str | None:
    ctx = context.current()
    return ctx.request_id if ctx is not None else None
