"""API-key authentication, scopes and rate limits: an async stage in Connexion's security layer.

Connexion 3.3 awaits a key-info function that returns a coroutine
(`connexion/security.py`, `verify_security`), calls it with the operation's
`required_scopes` for each alternative security requirement, and does not check
scopes itself. Here: an unknown, malformed, revoked or expired key is a 401 (None);
a valid key is counted against its rate limit (429 when over), then lacks or holds
the scopes (403 naming what the operation accepts). The operation, principal and
quota go into the request's context (threada.context), so an operation with
alternative requirements (read OR actions) authenticates and counts once.

Nothing here waits on the database on the event loop. The key lookup runs on the
loop only on SQLite with inline reads on, under the inline-read budget (a statement
past it is interrupted and the lookup reruns in the thread pool); the quota is
counted on the loop only from this process's lease; everything else (a PostgreSQL
lookup, a lease refill, which writes) runs in the thread pool, bounded by the
database's timeouts.
"""

from __future__ import annotations

import typing as t

from connexion.exceptions import OAuthResponseProblem
from connexion.security import ApiKeySecurityHandler
from starlette.concurrency import run_in_threadpool

from threada import context
from threada.domain.auth import Authenticator, Principal
from threada.domain.errors import PermissionDenied, RateLimited
from threada.domain.ratelimit import Quota, RateLimiter
from threada.specindex import SpecIndex
from threada.storage.db import interrupted_by_deadline, read_deadline

ROUTING = "connexion_routing"

Checked = tuple[Principal | None, Quota | None, RateLimited | None]


class AuthStage:
    """Key lookup and quota for one request, without blocking the event loop."""

    def __init__(
        self,
        *,
        authenticator: Authenticator,
        limiter: RateLimiter,
        inline_budget_seconds: float | None,
    ) -> None:
        self.authenticator = authenticator
        self.limiter = limiter
        # None: never look keys up on the loop.
        self.inline_budget = inline_budget_seconds

    def _count(self, principal: Principal) -> Checked:
        try:
            return principal, self.limiter.hit(principal), None
        except RateLimited as exc:
            return principal, t.cast(Quota, exc.quota), exc

    def _blocking(self, api_key: str) -> Checked:
        principal = self.authenticator(api_key)
        return (None, None, None) if principal is None else self._count(principal)

    async def check(self, api_key: str) -> Checked:
        """(principal, quota, refusal): (None, None, None) for a key that is not valid;
        a RateLimited refusal when the key is over its limit."""
        if self.inline_budget is None:
            return await run_in_threadpool(self._blocking, api_key)
        principal: Principal | None
        with read_deadline(self.inline_budget):
            try:
                principal = self.authenticator(api_key)
            except Exception as exc:  # noqa: BLE001 - kept and raised below
                if not interrupted_by_deadline(exc):
                    raise
                return await run_in_threadpool(self._blocking, api_key)
        if principal is None:
            return None, None, None
        try:
            quota = self.limiter.try_local(principal)
        except RateLimited as exc:
            return principal, t.cast(Quota, exc.quota), exc
        if quota is None:
            return await run_in_threadpool(self._count, principal)
        return principal, quota, None


def make_security_handler(*, stage: AuthStage, index: SpecIndex) -> type[ApiKeySecurityHandler]:
    """A Connexion apiKey handler class bound to this app's auth stage and spec index."""

    async def key_info(
        api_key: str, required_scopes: list[str] | None, request: t.Any
    ) -> dict | None:
        ctx = context.current()
        if ctx is None:  # outside our middleware (never, under create_app)
            ctx = context.begin("-")
        if not ctx.authenticated:
            routing = request.scope.get("extensions", {}).get(ROUTING, {})
            ctx.operation = index.operations.get(routing.get("operation_id") or "")
            try:
                ctx.principal, ctx.quota, ctx.limited = await stage.check(api_key)
            except Exception as exc:  # noqa: BLE001 - kept and raised below
                # Raised again for every alternative requirement: Connexion would
                # otherwise prefer the next alternative's 401 to this failure.
                ctx.auth_error = exc
            ctx.authenticated = True
        if ctx.auth_error is not None:
            raise ctx.auth_error
        principal = ctx.principal
        if principal is None:
            return None
        if ctx.limited is not None:
            raise ctx.limited
        needed = set(required_scopes or ())
        if not needed <= principal.scopes:
            op_id = ctx.operation.operation_id if ctx.operation else None
            raise PermissionDenied(
                "This API key lacks the scope this operation needs: "
                f"{index.scopes_text(op_id, required_scopes)}."
            )
        return {"sub": principal.key_id, "principal": principal}

    class Handler(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict) -> t.Callable:
            return key_info

        def _generic_check(self, func: t.Callable, exception_msg: str) -> t.Callable:
            # Connexion's version inspects the function's signature on every request;
            # ours is known, so call it directly (same contract: None means 401).
            async def check(request: t.Any, api_key: str, required_scopes: t.Any = None) -> dict:
                info = await func(api_key, required_scopes, request)
                if info is None:
                    raise OAuthResponseProblem(detail=exception_msg)
                return info

            return check

    return Handler
