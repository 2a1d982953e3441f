"""What every handler needs: the app's services (bound once), the caller, idempotent replies.

Handlers are methods of one class per resource, built once by create_app with the
app's `Services`; the resolver hands Connexion the bound methods, so nothing
app-wide travels with each request. Per-request facts (the principal, the
Idempotency-Key) come from the request context (threada.context).
"""

from __future__ import annotations

import dataclasses
import typing as t

import orjson

from threada import context
from threada.domain.actions import InFlight
from threada.domain.auth import Principal
from threada.domain.idempotency import Claim, Idempotency, StoredResponse, fingerprint
from threada.domain.pagination import PageTokens
from threada.outbound import AsyncOutbound, OutboundPolicy
from threada.storage.db import Database


@dataclasses.dataclass(frozen=True)
class Services:
    """Built once by create_app and bound to the handlers when they are resolved."""

    db: Database
    tokens: PageTokens
    idempotency: Idempotency
    outbound: OutboundPolicy
    # The shared async client for actions (guarded by `outbound`).
    outbound_client: AsyncOutbound
    # Actions in flight in this process; and the per-tenant cap unless a tenant sets one.
    actions_in_flight: InFlight
    max_actions_in_flight: int
    base_path: str
    # Webhook endpoints' URLs are checked against this policy (THREADA_WEBHOOKS_ALLOW).
    webhook_policy: OutboundPolicy | None = None
    webhook_secret_grace_seconds: int = 24 * 3600


Response = tuple[t.Any, int, dict[str, str]]


class Resource:
    """Base of the handler classes: `self.s` is the app's Services."""

    def __init__(self, services: Services) -> None:
        self.s = services


def principal() -> Principal:
    return context.require().require_principal()


def claim(body: t.Any) -> Claim:
    """This request's Idempotency-Key claim (key None when the header was not sent)."""
    ctx = context.require()
    p = ctx.require_principal()
    key = ctx.idempotency_key
    return Claim(
        tenant_id=p.tenant_id,
        key=key,
        fingerprint=fingerprint(ctx.method, ctx.path, body) if key is not None else "",
    )


def stored(payload: t.Any, status: int, headers: dict[str, str]) -> StoredResponse:
    return StoredResponse(status=status, body=orjson.dumps(payload).decode(), headers=headers)


def reply(response: StoredResponse) -> Response:
    headers = dict(response.headers)
    if response.replayed:
        headers["Idempotent-Replayed"] = "true"
    return orjson.loads(response.body), response.status, headers
