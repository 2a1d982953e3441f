"""Webhooks: endpoints a tenant registers, the events its changes produce, their deliveries.

Events are recorded by `record_event`, called inside the write transaction of
the change that causes them (the outbox): the event and one delivery per
subscribed endpoint commit with the change or not at all. The dispatcher
(`threada.domain.webhook_dispatch`) sends them.

Secrets follow the Standard Webhooks form (`whsec_` + base64 of 32 random
bytes) and are kept in the clear, since signing is an HMAC with the secret
itself. A rotation keeps the old secret signing for a grace period.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

import orjson
import sqlalchemy as sa

from threada.domain.auth import Principal
from threada.domain.errors import Conflict, InvalidRequest, NotFound
from threada.domain.pagination import Keyset, PageTokens
from threada.ids import new_id, now_ms, rfc3339
from threada.outbound import BlockedByPolicy, OutboundPolicy, validate_base_url
from threada.outbound.webhook import vet_url_addresses
from threada.storage import webhooks as store
from threada.storage.db import Database

EVENT_TYPES = ("ticket.created", "ticket.updated", "message.created", "action.completed")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
PATCHABLE = ("url", "description", "event_types", "enabled")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


# --- shapes ----------------------------------------------------------------------------------


def endpoint(row: dict) -> dict:
    return {
        "endpoint_id": row["endpoint_id"],
        "tenant_id": row["tenant_id"],
        "url": row["url"],
        "description": row["description"],
        "event_types": list(row["event_types"]),
        "enabled": bool(row["enabled"]),
        "disabled_reason": row["disabled_reason"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def delivery(row: dict) -> dict:
    return {
        "delivery_id": row["delivery_id"],
        "endpoint_id": row["endpoint_id"],
        "event_id": row["event_id"],
        "event_type": row["event_type"],
        "status": row["status"],
        "attempts": row["attempts"],
        "created_at": rfc3339(row["created_at"]),
        "last_attempt_at": rfc3339(row["last_attempt_at"]) if row["attempts"] else None,
        "next_attempt_at": rfc3339(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "last_response_code": row["last_response_code"],
        "last_response_excerpt": row["last_response_excerpt"],
        "last_error": row["last_error"],
    }


# --- the outbox ------------------------------------------------------------------------------


def record_event(
    conn: sa.Connection,
    *,
    tenant_id: str,
    event_type: str,
    ticket_id: str,
    data: dict,
    created_at: int | None = None,
) -> str | None:
    """Record an event and queue it for every endpoint of the tenant subscribed to its type,
    in the caller's transaction. Returns the event id, or None when nobody subscribes
    (then nothing is written)."""
    assert event_type in EVENT_TYPES, event_type
    targets = [
        e["endpoint_id"]
        for e in store.subscribed_endpoints(conn, tenant_id=tenant_id)
        if event_type in e["event_types"]
    ]
    if not targets:
        return None
    at = now_ms() if created_at is None else created_at
    event_id = new_id("evt")
    body = orjson.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": rfc3339(at),
            "tenant_id": tenant_id,
            "data": data,
        }
    ).decode()
    seq = store.insert_event(
        conn,
        row={
            "event_id": event_id,
            "tenant_id": tenant_id,
            "event_type": event_type,
            "ticket_id": ticket_id,
            "body": body,
            "created_at": at,
        },
    )
    store.insert_deliveries(
        conn,
        rows=[
            {
                "delivery_id": new_id("whd"),
                "endpoint_id": endpoint_id,
                "tenant_id": tenant_id,
                "event_seq": seq,
                "event_id": event_id,
                "event_type": event_type,
                "order_key": ticket_id,
                "status": "pending",
                "attempts": 0,
                "created_at": at,
                "next_attempt_at": at,
                "last_attempt_at": None,
                "last_response_code": None,
                "last_response_excerpt": None,
                "last_error": None,
                "lease_owner": None,
                "lease_expires_at": None,
            }
            for endpoint_id in targets
        ],
    )
    after_commit(conn, _wake_dispatchers)
    return event_id


# The dispatchers of this process register here to hear about new events at once
# (others find them on their next poll).
_wakeups: list[Callable[[], None]] = []


def on_new_events(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` (from any thread) after a transaction that recorded events commits.
    Returns a function that unregisters it."""
    _wakeups.append(callback)
    return lambda: _wakeups.remove(callback) if callback in _wakeups else None


def _wake_dispatchers() -> None:
    for callback in list(_wakeups):
        callback()


def after_commit(conn: sa.Connection, callback: Callable[[], None]) -> None:
    """Run `callback` once `Database.write()`'s transaction on `conn` has committed."""
    callbacks = conn.info.setdefault("after_commit", [])
    if callback not in callbacks:
        callbacks.append(callback)


# --- URLs ------------------------------------------------------------------------------------


def check_url(url: Any, policy: OutboundPolicy) -> str:
    """The URL normalised, or `InvalidRequest`: not http(s), user info, query or fragment, or a
    host that resolves to an address the outbound policy refuses (loopback, private,
    link-local, metadata...; the same guard as every delivery's connection). A name that
    does not resolve now is accepted: each delivery resolves and checks it again."""
    try:
        normalised = validate_base_url(url)
    except InvalidRequest as exc:
        reason = exc.message.removeprefix("actions_base_url ")
        raise InvalidRequest(
            f"url {reason}", details=[{"field": "body.url", "reason": reason}]
        ) from None
    try:
        vet_url_addresses(normalised, policy)
    except BlockedByPolicy as exc:
        reason = f"points to an address that may not be reached: {exc}"
        raise InvalidRequest(
            f"url {reason}", details=[{"field": "body.url", "reason": reason}]
        ) from None
    return normalised


# --- endpoints -------------------------------------------------------------------------------


def _require(conn: sa.Connection, principal: Principal, endpoint_id: str) -> dict:
    row = store.get_endpoint(conn, tenant_id=principal.tenant_id, endpoint_id=endpoint_id)
    if row is None:
        raise NotFound(f"Webhook endpoint {endpoint_id} was not found.")
    return row


def _event_types(value: Any) -> list[str]:
    types = list(dict.fromkeys(value))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown or not types:
        raise InvalidRequest(
            "event_types must list known event types",
            details=[{"field": "body.event_types", "reason": f"unknown: {unknown}"}],
        )
    return types


def create_endpoint(
    db: Database, *, principal: Principal, body: dict, policy: OutboundPolicy
) -> tuple[dict, str]:
    """Register an endpoint; returns (endpoint, secret). The secret is not shown again."""
    url = check_url(body.get("url"), policy)
    with db.write() as conn:
        return insert_endpoint(conn, principal=principal, body=body, url=url)


def insert_endpoint(
    conn: sa.Connection, *, principal: Principal, body: dict, url: str
) -> tuple[dict, str]:
    """`create_endpoint` within the caller's write transaction; `url` already checked
    (`check_url`, which resolves the host: keep it out of the transaction)."""
    now = now_ms()
    endpoint_id = new_id("whe")
    row: dict[str, Any] = {
        "endpoint_id": endpoint_id,
        "tenant_id": principal.tenant_id,
        "url": url,
        "description": body.get("description"),
        "event_types": _event_types(body.get("event_types") or EVENT_TYPES),
        "enabled": bool(body.get("enabled", True)),
        "disabled_reason": None,
        "failing_since": None,
        "created_at": now,
        "updated_at": now,
    }
    secret = new_secret()
    store.insert_endpoint(conn, row=row)
    store.insert_secret(conn, endpoint_id=endpoint_id, secret=secret, created_at=now)
    return endpoint(row), secret


def get_endpoint(db: Database, *, principal: Principal, endpoint_id: str) -> dict:
    with db.read() as conn:
        return endpoint(_require(conn, principal, endpoint_id))


def list_endpoints(
    db: Database,
    *,
    principal: Principal,
    tokens: PageTokens,
    limit: int = 25,
    page_token: str | None = None,
) -> dict:
    keyset = Keyset(
        tokens, principal.tenant_id, "webhook_endpoints", {}, ("created_at", "endpoint_id")
    )
    after = keyset.after(page_token)
    with db.read() as conn:
        rows = store.list_endpoints(
            conn, tenant_id=principal.tenant_id, after=after, limit=limit + 1
        )
    return keyset.page(rows, limit, endpoint)


def update_endpoint(
    db: Database, *, principal: Principal, endpoint_id: str, patch: dict, policy: OutboundPolicy
) -> dict:
    """JSON merge patch of url, description, event_types, enabled. `enabled: true` clears
    `disabled_reason` and the failure streak."""
    changes: dict[str, Any] = {}
    for field, value in patch.items():
        if field not in PATCHABLE:
            raise InvalidRequest(
                f"{field} cannot be changed",
                details=[{"field": f"body.{field}", "reason": "not a changeable field"}],
            )
        if value is None and field != "description":
            raise InvalidRequest(
                f"{field} cannot be removed",
                details=[{"field": f"body.{field}", "reason": "null is not allowed"}],
            )
    if "url" in patch:
        changes["url"] = check_url(patch["url"], policy)
    if "event_types" in patch:
        changes["event_types"] = _event_types(patch["event_types"])
    if "description" in patch:
        changes["description"] = patch["description"]
    if "enabled" in patch:
        changes["enabled"] = bool(patch["enabled"])
        if changes["enabled"]:
            changes["disabled_reason"] = None
            changes["failing_since"] = None
    with db.write() as conn:
        row = _require(conn, principal, endpoint_id)
        changed = {k: v for k, v in changes.items() if row[k] != v}
        if changed:
            changed["updated_at"] = max(now_ms(), row["updated_at"])
            store.update_endpoint(conn, endpoint_id=endpoint_id, values=changed)
            row.update(changed)
            if changed.get("enabled"):
                after_commit(conn, _wake_dispatchers)
    return endpoint(row)


def delete_endpoint(db: Database, *, principal: Principal, endpoint_id: str) -> dict:
    """Delete the endpoint with its secrets and deliveries; returns it as it was."""
    with db.write() as conn:
        row = _require(conn, principal, endpoint_id)
        store.delete_endpoint(conn, endpoint_id=endpoint_id)
    return endpoint(row)


def rotate_secret(
    conn: sa.Connection, *, principal: Principal, endpoint_id: str, grace_seconds: int
) -> tuple[dict, str]:
    """A new secret; the current ones keep signing for `grace_seconds` more. In the
    caller's write transaction."""
    now = now_ms()
    secret = new_secret()
    row = _require(conn, principal, endpoint_id)
    store.expire_secrets(conn, endpoint_id=endpoint_id, expires_at=now + grace_seconds * 1000)
    store.insert_secret(conn, endpoint_id=endpoint_id, secret=secret, created_at=now)
    row["updated_at"] = max(now, row["updated_at"])
    store.update_endpoint(conn, endpoint_id=endpoint_id, values={"updated_at": row["updated_at"]})
    return endpoint(row), secret


# --- deliveries ------------------------------------------------------------------------------


def list_deliveries(
    db: Database,
    *,
    principal: Principal,
    tokens: PageTokens,
    endpoint_id: str,
    status: str | None = None,
    limit: int = 25,
    page_token: str | None = None,
) -> dict:
    keyset = Keyset(
        tokens,
        principal.tenant_id,
        "webhook_deliveries",
        {"endpoint_id": endpoint_id, "status": status},
        ("created_at", "delivery_id"),
    )
    after = keyset.after(page_token)
    with db.read() as conn:
        _require(conn, principal, endpoint_id)
        rows = store.list_deliveries(
            conn, endpoint_id=endpoint_id, status=status, after=after, limit=limit + 1
        )
    return keyset.page(rows, limit, delivery)


def redeliver(
    db: Database, *, principal: Principal | None, endpoint_id: str, delivery_id: str
) -> dict:
    """Queue a delivery again, due now, with a fresh retry schedule (same event id and body).
    `principal` None: the operator (`threada admin webhooks replay`), any tenant."""
    with db.write() as conn:
        return requeue(conn, principal=principal, endpoint_id=endpoint_id, delivery_id=delivery_id)


def requeue(
    conn: sa.Connection, *, principal: Principal | None, endpoint_id: str, delivery_id: str
) -> dict:
    """`redeliver` within the caller's write transaction."""
    now = now_ms()
    if principal is None:
        ep = store.get_endpoint(conn, tenant_id=None, endpoint_id=endpoint_id)
        if ep is None:
            raise NotFound(f"Webhook endpoint {endpoint_id} was not found.")
    else:
        ep = _require(conn, principal, endpoint_id)
    if not ep["enabled"]:
        raise Conflict(
            f"Webhook endpoint {endpoint_id} is disabled: enable it (PATCH enabled: true) "
            "before redelivering."
        )
    row = store.get_delivery(conn, endpoint_id=endpoint_id, delivery_id=delivery_id)
    if row is None:
        raise NotFound(f"Delivery {delivery_id} was not found on endpoint {endpoint_id}.")
    values = {
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    store.update_delivery(conn, delivery_id=delivery_id, values=values)
    row.update(values)
    after_commit(conn, _wake_dispatchers)
    return delivery(row)


def admin_list_deliveries(
    db: Database, *, tenant_id: str | None, status: str | None, limit: int
) -> list[dict]:
    """The newest deliveries of a tenant (or of all), for `threada admin webhooks list`."""
    with db.read() as conn:
        rows = store.list_deliveries(conn, tenant_id=tenant_id, status=status, limit=limit)
    return [{**delivery(r), "tenant_id": r["tenant_id"]} for r in rows]


def admin_failed_delivery_ids(db: Database, *, endpoint_id: str) -> list[str]:
    """Every failed delivery of an endpoint, oldest first (for `threada admin webhooks replay`)."""
    with db.read() as conn:
        if store.get_endpoint(conn, tenant_id=None, endpoint_id=endpoint_id) is None:
            raise NotFound(f"Webhook endpoint {endpoint_id} was not found.")
        rows = store.list_deliveries(conn, endpoint_id=endpoint_id, status="failed", limit=10_000)
    return [r["delivery_id"] for r in reversed(rows)]
