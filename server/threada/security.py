"""API-key authentication, scopes and rate limits, plugged into Connexion's security layer.

Connexion calls the key-info function with the operation's `required_scopes`
for each alternative security requirement and does not check scopes itself.
Here: an unknown, malformed, revoked or expired key is a 401 (None); a valid
key is counted against its rate limit (429 when over), then lacks or holds the
scopes (403 naming what the operation accepts). The principal and the quota
are cached in the request's scope, so an operation with alternative
requirements (read OR actions) authenticates and counts once.
"""

from __future__ import annotations

import typing as t

from connexion.exceptions import OAuthResponseProblem
from connexion.security import ApiKeySecurityHandler

from threada.domain.auth import Authenticator, Principal
from threada.domain.errors import PermissionDenied, RateLimited
from threada.domain.ratelimit import RateLimiter
from threada.errors import request_context

ROUTING = "connexion_routing"


def operation_scopes(spec: dict) -> dict[str, list[list[str]]]:
    """operationId -> its alternative scope lists (from the spec's security requirements)."""
    out: dict[str, list[list[str]]] = {}
    default = spec.get("security", [])
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            requirements = op.get("security", default)
            out[op["operationId"]] = [
                sorted({s for scopes in req.values() for s in scopes}) for req in requirements
            ]
    return out


def make_security_handler(
    *,
    authenticator: Authenticator,
    limiter: RateLimiter,
    scopes_by_operation: dict[str, list[list[str]]],
) -> type[ApiKeySecurityHandler]:
    """A Connexion apiKey handler class bound to this app's database and limiter."""

    def key_info(api_key: str, required_scopes: list[str] | None, request: t.Any) -> dict | None:
        ctx = request_context(request.scope)
        principal: Principal | None
        if "principal" in ctx:
            principal = ctx["principal"]
        else:
            principal = authenticator(api_key)
            ctx["principal"] = principal
            if principal is not None:
                try:
                    ctx["quota"] = limiter.hit(principal)
                except RateLimited as exc:
                    ctx["quota"] = exc.quota
                    ctx["limited"] = exc
                    raise
        if principal is None:
            return None
        if "limited" in ctx:
            raise ctx["limited"]
        needed = set(required_scopes or ())
        if not needed <= principal.scopes:
            raise PermissionDenied(_denied_message(request, required_scopes, scopes_by_operation))
        return {"sub": principal.key_id, "principal": principal}

    class Handler(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict) -> t.Callable:
            return key_info

        def _generic_check(self, func: t.Callable, exception_msg: str) -> t.Callable:
            # Connexion's version inspects the function's signature on every request;
            # ours is known, so call it directly (same contract: None means 401).
            def check(request: t.Any, api_key: str, required_scopes: t.Any = None) -> dict:
                info = func(api_key, required_scopes, request)
                if info is None:
                    raise OAuthResponseProblem(detail=exception_msg)
                return info

            return check

    return Handler


def _denied_message(
    request: t.Any, required: list[str] | None, table: dict[str, list[list[str]]]
) -> str:
    op_id = request.scope.get("extensions", {}).get(ROUTING, {}).get("operation_id")
    alternatives = table.get(op_id or "", []) or [sorted(required or [])]
    options = " or ".join(" and ".join(a) for a in alternatives if a)
    return f"This API key lacks the scope this operation needs: {options}."
