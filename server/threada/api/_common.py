"""What every handler needs: the app's services, the caller, and idempotent responses."""

from __future__ import annotations

import dataclasses
import json
import typing as t

from connexion import context

from threada.domain.auth import Principal
from threada.domain.errors import AuthenticationFailed
from threada.domain.idempotency import Idempotency, StoredResponse, fingerprint
from threada.domain.pagination import PageTokens
from threada.outbound import OutboundPolicy
from threada.storage.db import Database


@dataclasses.dataclass(frozen=True)
class Services:
    """Built once by create_app; reached by handlers through the request scope."""

    db: Database
    tokens: PageTokens
    idempotency: Idempotency
    outbound: OutboundPolicy
    base_path: str
    # Webhook endpoints' URLs are checked against this policy (THREADA_WEBHOOKS_ALLOW).
    webhook_policy: OutboundPolicy | None = None
    webhook_secret_grace_seconds: int = 24 * 3600


Response = tuple[t.Any, int, dict[str, str]]


def _ctx() -> dict:
    return context.scope["threada"]


def services() -> Services:
    return _ctx()["services"]


def principal() -> Principal:
    p = _ctx().get("principal")
    if p is None:  # only reachable if an operation were declared without security
        raise AuthenticationFailed("A valid API key is required in the X-Api-Key header.")
    return p


def idempotent(body: t.Any, produce: t.Callable[[], Response]) -> Response:
    """Run `produce` once per Idempotency-Key (when the header is sent) and replay its response."""
    scope = context.scope
    key = None
    for name, value in scope["headers"]:
        if name == b"idempotency-key":
            key = value.decode("latin-1")
            break
    if key is None:
        return produce()

    def first() -> StoredResponse:
        payload, status, headers = produce()
        return StoredResponse(status=status, body=json.dumps(payload), headers=headers)

    stored = services().idempotency.run(
        tenant_id=principal().tenant_id,
        key=key,
        fingerprint=fingerprint(scope["method"], scope["path"], body),
        produce=first,
    )
    headers = dict(stored.headers)
    if stored.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json.loads(stored.body), stored.status, headers
