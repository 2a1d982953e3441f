"""Actions: a tenant's custom_http automations run for a ticket, and their outcome.

The call is made within the request (bounded by the outbound policy's total
timeout) and the response carries the final status, as on the product page.
The action is recorded as `running` before anything is sent, so a crash in
between leaves a trace rather than a silent call.
"""

from __future__ import annotations

import logging
from typing import Any

from threada.domain import webhooks
from threada.domain.auth import Principal
from threada.domain.errors import Conflict, NotFound
from threada.domain.pagination import Keyset, PageTokens
from threada.domain.tickets import require_ticket
from threada.ids import new_id, now_ms, rfc3339
from threada.outbound import OutboundPolicy, run_custom_http, validate_custom_http
from threada.storage import repo
from threada.storage.db import Database

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "Actions are not configured for this tenant: an admin must set the actions base URL "
    "(threada admin tenants set --actions-base-url)."
)


def action(row: dict) -> dict:
    return {
        "action_id": row["action_id"],
        "tenant_id": row["tenant_id"],
        "ticket_id": row["ticket_id"],
        "action_type": row["action_type"],
        "status": row["status"],
        "requested_by": row["requested_by"],
        "payload": row["payload"],
        "created_at": rfc3339(row["created_at"]),
        "completed_at": rfc3339(row["completed_at"]),
        "result": row["result"],
    }


def run_action(
    db: Database,
    *,
    principal: Principal,
    ticket_id: str,
    payload: dict,
    policy: OutboundPolicy,
) -> dict:
    """Validate, record, send, record the outcome; returns the Action shape."""
    with db.read() as conn:
        require_ticket(conn, principal, ticket_id)
        tenant = repo.get_tenant(conn, tenant=principal.tenant_id)
    assert tenant is not None
    validate_custom_http(payload)
    base_url = tenant["actions_base_url"]
    if not base_url:
        raise Conflict(NOT_CONFIGURED)
    row: dict[str, Any] = {
        "action_id": new_id("act"),
        "ticket_id": ticket_id,
        "tenant_id": principal.tenant_id,
        "action_type": "custom_http",
        "status": "running",
        "requested_by": principal.requested_by,
        "payload": payload,
        "result": None,
        "created_at": now_ms(),
        "completed_at": None,
    }
    with db.write() as conn:
        repo.insert_action(conn, row=row)
    try:
        outcome = run_custom_http(
            base_url=base_url,
            method=payload["method"],
            path=payload["url"],
            headers=payload.get("headers"),
            body_json=payload.get("body_json"),
            policy=policy,
            action_id=row["action_id"],
        )
    except Exception:
        # Not the target's doing (the executor reports those as outcomes): a bug. The
        # action must not stay "running" forever.
        failed = {
            "status": "failed",
            "completed_at": max(now_ms(), row["created_at"]),
            "result": {
                "http_status": None,
                "duration_ms": 0,
                "error": "internal error before sending",
                "response_excerpt": None,
            },
        }
        with db.write() as conn:
            repo.update_action(conn, action_id=row["action_id"], values=failed)
            _completed(conn, {**row, **failed})
        raise
    done = {
        "status": "succeeded" if outcome.succeeded else "failed",
        "completed_at": max(now_ms(), row["created_at"]),
        "result": outcome.as_result(),
    }
    row.update(done)
    with db.write() as conn:
        repo.update_action(conn, action_id=row["action_id"], values=done)
        _completed(conn, row)
    log.info("action %s for %s: %s (%s)", row["action_id"], ticket_id, row["status"], outcome.error)
    return action(row)


def _completed(conn: Any, row: dict) -> None:
    """The `action.completed` event, in the transaction that records the outcome."""
    webhooks.record_event(
        conn,
        tenant_id=row["tenant_id"],
        event_type="action.completed",
        ticket_id=row["ticket_id"],
        data={"action": action(row)},
        created_at=row["completed_at"],
    )


def get_action(db: Database, *, principal: Principal, ticket_id: str, action_id: str) -> dict:
    with db.read() as conn:
        require_ticket(conn, principal, ticket_id)
        row = repo.get_action(conn, ticket_id=ticket_id, action_id=action_id)
    if row is None:
        raise NotFound(f"Action {action_id} was not found on ticket {ticket_id}.")
    return action(row)


def list_actions(
    db: Database,
    *,
    principal: Principal,
    tokens: PageTokens,
    ticket_id: str,
    limit: int = 25,
    page_token: str | None = None,
) -> dict:
    keyset = Keyset(
        tokens,
        principal.tenant_id,
        "actions",
        {"ticket_id": ticket_id},
        ("created_at", "action_id"),
    )
    after = keyset.after(page_token)
    with db.read() as conn:
        require_ticket(conn, principal, ticket_id)
        rows = repo.list_actions(conn, ticket_id=ticket_id, after=after, limit=limit + 1)
    return keyset.page(rows, limit, action)
