"""The one typed request context: set once per request by the outermost middleware.

`RequestContextMiddleware` creates a `RequestContext` and puts it in a ContextVar;
the security stage fills in the operation, the principal and the quota; handlers,
the error mapping and the middleware's response headers read it. A ContextVar
follows the request into the thread pool (AsyncApp) and the WSGI thread (FlaskApp).
"""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar

from threada.domain.auth import Principal
from threada.domain.errors import AuthenticationFailed, RateLimited
from threada.domain.ratelimit import Quota
from threada.specindex import Operation


@dataclasses.dataclass(slots=True)
class RequestContext:
    request_id: str
    method: str = ""
    path: str = ""
    idempotency_key: str | None = None
    operation: Operation | None = None
    # Set by the security stage once the key was looked up (None: no valid key).
    principal: Principal | None = None
    authenticated: bool = False
    quota: Quota | None = None
    # The rate-limit refusal, kept so alternative security requirements raise it again;
    # likewise a failure of the lookup itself (a database past its time bound).
    limited: RateLimited | None = None
    auth_error: Exception | None = None

    def require_principal(self) -> Principal:
        if self.principal is None:  # only reachable if an operation had no security
            raise AuthenticationFailed("A valid API key is required in the X-Api-Key header.")
        return self.principal


_current: ContextVar[RequestContext | None] = ContextVar("threada_request", default=None)


def current() -> RequestContext | None:
    """This request's context, or None outside a request (or before the middleware)."""
    return _current.get()


def begin(
    request_id: str, *, method: str = "", path: str = "", idempotency_key: str | None = None
) -> RequestContext:
    """A new context for this request (called once, by the middleware)."""
    ctx = RequestContext(
        request_id=request_id, method=method, path=path, idempotency_key=idempotency_key
    )
    _current.set(ctx)
    return ctx


def require() -> RequestContext:
    """This request's context; a handler always has one."""
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("no request context: is RequestContextMiddleware installed?")
    return ctx
