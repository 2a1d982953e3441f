"""Tickets and their messages: the rules, and the shapes the API returns.

Input arrives already validated against the spec's schemas; what the schemas
cannot say (at least email or phone, defaults, merge-patch `null`, timestamps)
is decided here.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from threada.domain import webhooks
from threada.domain.auth import Principal
from threada.domain.errors import Conflict, InvalidRequest, NotFound
from threada.domain.pagination import Keyset, PageTokens
from threada.ids import new_id, now_ms, rfc3339
from threada.storage import repo
from threada.storage.db import Database

TICKET_MESSAGES = 20  # the most recent messages embedded in a Ticket
DEFAULT_STATUSES = ("open",)
PATCHABLE = ("subject", "status", "priority", "tags")


# --- shapes ----------------------------------------------------------------------------------


def summary(row: dict) -> dict:
    updated_at, last_message_at = row["updated_at"], row["last_message_at"]
    updated = rfc3339(updated_at)
    return {
        "ticket_id": row["ticket_id"],
        "tenant_id": row["tenant_id"],
        "subject": row["subject"],
        "status": row["status"],
        "priority": row["priority"],
        "channel": row["channel"],
        "tags": row["tags"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": updated,
        # The same instant whenever the last change was a message: formatted once.
        "last_message_at": updated if last_message_at == updated_at else rfc3339(last_message_at),
    }


def contact(row: dict) -> dict:
    out = {}
    for field in ("name", "email", "phone"):
        value = row[f"contact_{field}"]
        if value is not None:
            out[field] = value
    return out


def message(row: dict) -> dict:
    return {
        "message_id": row["message_id"],
        "ticket_id": row["ticket_id"],
        "role": row["role"],
        "content": row["content"],
        "channel": row["channel"],
        "external_message_id": row["external_message_id"],
        "created_at": rfc3339(row["created_at"]),
    }


def _ticket(conn: Any, row: dict) -> dict:
    recent = repo.recent_messages(conn, ticket_id=row["ticket_id"], limit=TICKET_MESSAGES)
    return {
        "summary": summary(row),
        "contact": contact(row),
        "messages": [message(m) for m in recent],
    }


def _dedupe(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


# --- operations ------------------------------------------------------------------------------


def new_ticket(*, tenant_id: str, body: dict, now: int) -> tuple[dict, dict]:
    """The rows of a new ticket and of its initial message, from a validated body.

    The rules the schema cannot say: the contact needs an email or a phone,
    the ticket starts `open`, `priority` defaults to `normal`, tags lose
    duplicates, and the first message takes the ticket's channel. Pure (no
    storage), so that the stateful mock applies exactly these rules too.
    """
    person = body["contact"]
    if not person.get("email") and not person.get("phone"):
        raise InvalidRequest(
            "the contact needs an email or a phone",
            details=[{"field": "body.contact", "reason": "needs email or phone"}],
        )
    first = body["initial_message"]
    ticket_id = new_id("tkt")
    row = {
        "ticket_id": ticket_id,
        "tenant_id": tenant_id,
        "subject": body["subject"],
        "status": "open",
        "priority": body.get("priority", "normal"),
        "channel": body["channel"],
        "tags": _dedupe(body.get("tags", [])),
        "contact_name": person.get("name"),
        "contact_email": person.get("email"),
        "contact_phone": person.get("phone"),
        "created_at": now,
        "updated_at": now,
        "last_message_at": now,
    }
    msg = {
        "message_id": new_id("msg"),
        "ticket_id": ticket_id,
        "tenant_id": tenant_id,
        "role": first["role"],
        "content": first["content"],
        "channel": body["channel"],
        "external_message_id": first.get("external_message_id"),
        "created_at": now,
    }
    return row, msg


def create_ticket(db: Database, *, principal: Principal, body: dict) -> dict:
    """Open a ticket with its contact and initial message; returns the Ticket shape."""
    with db.write() as conn:
        return insert_ticket(conn, principal=principal, body=body)


def insert_ticket(conn: sa.Connection, *, principal: Principal, body: dict) -> dict:
    """`create_ticket` within the caller's write transaction (with its Idempotency-Key
    record, or anything else that must commit with the ticket)."""
    now = now_ms()
    row, msg = new_ticket(tenant_id=principal.tenant_id, body=body, now=now)
    ticket_id = row["ticket_id"]
    ticket = {"summary": summary(row), "contact": contact(row), "messages": [message(msg)]}
    repo.insert_ticket(conn, row=row)
    repo.insert_message(conn, row=msg)
    webhooks.record_event(
        conn,
        tenant_id=principal.tenant_id,
        event_type="ticket.created",
        ticket_id=ticket_id,
        data={"ticket": ticket},
        created_at=now,
    )
    return ticket


def get_ticket(db: Database, *, principal: Principal, ticket_id: str) -> dict:
    with db.read() as conn:
        row = require_ticket(conn, principal, ticket_id)
        return _ticket(conn, row)


def patch_changes(patch: dict) -> dict:
    """The changes a JSON merge patch (RFC 7396) asks for, checked.

    Only subject, status, priority and tags change. `null` removes a member:
    for `tags` that means no tags; the other fields cannot be removed.
    """
    changes: dict[str, Any] = {}
    for field, value in patch.items():
        if field not in PATCHABLE:
            raise InvalidRequest(
                f"{field} cannot be changed",
                details=[{"field": f"body.{field}", "reason": "not a changeable field"}],
            )
        if value is None:
            if field != "tags":
                raise InvalidRequest(
                    f"{field} cannot be removed",
                    details=[{"field": f"body.{field}", "reason": "null is not allowed"}],
                )
            value = []
        changes[field] = _dedupe(value) if field == "tags" else value
    return changes


def apply_changes(row: dict, changes: dict, *, now: int) -> dict:
    """What really changes on a writable ticket row (`updated_at` moves only then)."""
    refuse_closed(row)
    changed = {k: v for k, v in changes.items() if row[k] != v}
    if changed:
        changed["updated_at"] = max(now, row["updated_at"])
    return changed


def update_ticket(db: Database, *, principal: Principal, ticket_id: str, patch: dict) -> dict:
    """JSON merge patch of subject, status, priority and tags (see `patch_changes`)."""
    changes = patch_changes(patch)
    with db.write() as conn:
        row = require_ticket(conn, principal, ticket_id, for_update=True)
        changed = apply_changes(row, changes, now=now_ms())
        if changed:
            repo.update_ticket(
                conn, tenant_id=principal.tenant_id, ticket_id=ticket_id, values=changed
            )
            row.update(changed)
        ticket = _ticket(conn, row)
        if changed:
            webhooks.record_event(
                conn,
                tenant_id=principal.tenant_id,
                event_type="ticket.updated",
                ticket_id=ticket_id,
                data={"ticket": ticket, "changed_fields": [f for f in PATCHABLE if f in changed]},
                created_at=changed["updated_at"],
            )
        return ticket


def list_tickets(
    db: Database,
    *,
    principal: Principal,
    tokens: PageTokens,
    status: list[str] | None = None,
    channel: list[str] | None = None,
    priority: list[str] | None = None,
    tag: str | None = None,
    updated_after: int | None = None,
    limit: int = 25,
    page_token: str | None = None,
) -> dict:
    statuses = sorted(set(status or DEFAULT_STATUSES))
    channels = sorted(set(channel)) if channel else None
    priorities = sorted(set(priority)) if priority else None
    filters = {
        "status": statuses,
        "channel": channels,
        "priority": priorities,
        "tag": tag,
        "updated_after": updated_after,
    }
    keyset = Keyset(tokens, principal.tenant_id, "tickets", filters, ("updated_at", "ticket_id"))
    after = keyset.after(page_token)
    with db.quick_read() as conn:
        rows = repo.list_tickets(
            conn,
            tenant_id=principal.tenant_id,
            statuses=statuses,
            channels=channels,
            priorities=priorities,
            tag=tag,
            updated_after=updated_after,
            after=after,
            limit=limit + 1,
        )
    return keyset.page(rows, limit, summary)


def list_messages(
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
        "messages",
        {"ticket_id": ticket_id},
        ("created_at", "message_id"),
    )
    after = keyset.after(page_token)
    with db.read() as conn:
        require_ticket(conn, principal, ticket_id)
        rows = repo.list_messages(conn, ticket_id=ticket_id, after=after, limit=limit + 1)
    return keyset.page(rows, limit, message)


def add_message(
    db: Database, *, principal: Principal, ticket_id: str, body: dict
) -> tuple[dict, bool]:
    """Append a message; returns (message, created).

    An `external_message_id` already on the ticket returns that message and
    adds nothing (created is False), also when two requests race.
    """
    with db.write() as conn:
        return insert_message(conn, principal=principal, ticket_id=ticket_id, body=body)


def new_message(ticket: dict, body: dict, *, now: int) -> tuple[dict, dict]:
    """The row of a message added to a writable ticket, and the ticket's changes.

    The message takes the ticket's channel unless it names one; the ticket's
    `updated_at` and `last_message_at` move to the message's time; a customer
    (`user`) writing on a `solved` ticket reopens it. A duplicate
    `external_message_id` is the caller's to find first (it answers the
    existing message, even on a closed ticket).
    """
    refuse_closed(ticket)
    now = max(now, ticket["updated_at"])
    row = {
        "message_id": new_id("msg"),
        "ticket_id": ticket["ticket_id"],
        "tenant_id": ticket["tenant_id"],
        "role": body["role"],
        "content": body["content"],
        "channel": body.get("channel") or ticket["channel"],
        "external_message_id": body.get("external_message_id"),
        "created_at": now,
    }
    touch: dict[str, Any] = {"updated_at": now, "last_message_at": now}
    # A customer writing again reopens a solved ticket.
    if ticket["status"] == "solved" and row["role"] == "user":
        touch["status"] = "open"
    return row, touch


def insert_message(
    conn: sa.Connection, *, principal: Principal, ticket_id: str, body: dict
) -> tuple[dict, bool]:
    """`add_message` within the caller's write transaction."""
    external_id = body.get("external_message_id")
    ticket = require_ticket(conn, principal, ticket_id, for_update=True)
    if external_id is not None:
        existing = repo.find_message_by_external_id(
            conn, ticket_id=ticket_id, external_message_id=external_id
        )
        if existing is not None:
            return message(existing), False
    row, touch = new_message(ticket, body, now=now_ms())
    now = row["created_at"]
    if external_id is None:
        # Nothing to race on: no savepoint (two round trips less on PostgreSQL).
        repo.insert_message(conn, row=row)
    else:
        try:
            with conn.begin_nested():
                repo.insert_message(conn, row=row)
        except IntegrityError:
            existing = repo.find_message_by_external_id(
                conn, ticket_id=ticket_id, external_message_id=external_id
            )
            if existing is None:
                raise
            return message(existing), False
    repo.update_ticket(
        conn,
        tenant_id=principal.tenant_id,
        ticket_id=ticket_id,
        values=touch,
    )
    webhooks.record_event(
        conn,
        tenant_id=principal.tenant_id,
        event_type="message.created",
        ticket_id=ticket_id,
        data={"message": message(row)},
        created_at=now,
    )
    if "status" in touch:
        webhooks.record_event(
            conn,
            tenant_id=principal.tenant_id,
            event_type="ticket.updated",
            ticket_id=ticket_id,
            data={"ticket": _ticket(conn, {**ticket, **touch}), "changed_fields": ["status"]},
            created_at=now,
        )
    return message(row), True


# --- helpers ---------------------------------------------------------------------------------


def require_ticket(
    conn: Any, principal: Principal, ticket_id: str, *, for_update: bool = False
) -> dict:
    """The tenant's ticket; another tenant's ticket is exactly as absent as a missing one."""
    row = repo.get_ticket(
        conn, tenant_id=principal.tenant_id, ticket_id=ticket_id, for_update=for_update
    )
    if row is None:
        raise NotFound(f"Ticket {ticket_id} was not found.")
    return row


def refuse_closed(row: dict) -> None:
    """A closed ticket can no longer change (409 conflict)."""
    if row["status"] == "closed":
        raise Conflict(f"Ticket {row['ticket_id']} is closed and can no longer change.")
