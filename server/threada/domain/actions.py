"""Actions: a tenant's custom_http automations run for a ticket, and their outcome.

The call is made within the request (bounded by the outbound policy's total
timeout) and the response carries the final status, as on the product page. It
takes two transactions with the call in between, never inside one:

1. `begin_action`: the action is recorded as `running` (with the deadline by which
   its call must have ended), within the tenant's cap of actions in flight, and,
   with an Idempotency-Key, the key's record is claimed as pending for this action,
   in the same transaction, before anything is sent.
2. `finish_action`: the outcome, and the key's completed response, in one transaction.

An action whose process died in between stays `running` until its deadline, then
`finish_stale_actions` (start-up and the maintenance task) or a replay of its key
finishes it as `failed` with the error `interrupted`; the hook is never called
twice for one key.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from threada.domain import webhooks
from threada.domain.auth import Principal
from threada.domain.errors import Conflict, NotFound, RateLimited
from threada.domain.idempotency import Claim, Idempotency, Pending, StoredResponse
from threada.domain.pagination import Keyset, PageTokens
from threada.domain.redaction import redacted
from threada.domain.tickets import require_ticket
from threada.ids import new_id, now_ms, rfc3339
from threada.outbound import OutboundPolicy, Outcome, validate_custom_http
from threada.storage import repo
from threada.storage.db import Database

log = logging.getLogger(__name__)

NOT_CONFIGURED = (
    "Actions are not configured for this tenant: an admin must set the actions base URL "
    "(threada admin tenants set --actions-base-url)."
)
INTERRUPTED = "interrupted"
# Added to the policy's total timeout for an action's deadline: the two transactions
# around the call, and clocks of several processes.
DEADLINE_GRACE_MS = 5_000

# What the API answers for an action: (status, body, headers); the handler knows the URL.
Respond = Callable[[dict], StoredResponse]


def action(row: dict) -> dict:
    """The Action shape; credential header values in the payload read "[redacted]" (the
    stored payload keeps them for the call)."""
    return {
        "action_id": row["action_id"],
        "tenant_id": row["tenant_id"],
        "ticket_id": row["ticket_id"],
        "action_type": row["action_type"],
        "status": row["status"],
        "requested_by": row["requested_by"],
        "payload": redacted(row["payload"]),
        "created_at": rfc3339(row["created_at"]),
        "completed_at": rfc3339(row["completed_at"]),
        "result": row["result"],
    }


class InFlight:
    """Actions in flight in this process, for all tenants: at most `limit` at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._count = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Take a slot, or raise RateLimited naming the server's limit."""
        with self._lock:
            if self._count >= self.limit:
                raise RateLimited(
                    f"Too many actions in flight on this server (limit {self.limit}); "
                    "retry in 1 s.",
                    retry_after=1,
                )
            self._count += 1

    def release(self) -> None:
        with self._lock:
            self._count -= 1

    @property
    def count(self) -> int:
        return self._count


@dataclasses.dataclass(frozen=True)
class Begun:
    """Either a replay of the key's first response, or a new running action to call."""

    replay: StoredResponse | None = None
    row: dict | None = None
    base_url: str | None = None


def begin_action(
    db: Database,
    *,
    principal: Principal,
    ticket_id: str,
    payload: dict,
    policy: OutboundPolicy,
    default_cap: int,
    idempotency: Idempotency,
    claim: Claim,
    respond: Respond,
) -> Begun:
    """Transaction 1: check, then record the action as running (and claim the key)."""
    validate_custom_http(payload)
    for _ in range(3):
        try:
            with db.write() as conn:
                return _begin(
                    conn,
                    principal=principal,
                    ticket_id=ticket_id,
                    payload=payload,
                    policy=policy,
                    default_cap=default_cap,
                    idempotency=idempotency,
                    claim=claim,
                )
        except _LostRace:
            continue
        except Pending:

            def settle_here(conn: sa.Connection, action_id: str | None) -> StoredResponse | None:
                return settle(conn, action_id, claim, idempotency, respond)

            stored = idempotency.wait_for(db, claim, settle_here)
            if stored is not None:
                return Begun(replay=stored)
            continue  # the key is free again (its record expired): start afresh
    raise Conflict(f"A request with Idempotency-Key {claim.key} is in progress; retry later.")


def _begin(
    conn: sa.Connection,
    *,
    principal: Principal,
    ticket_id: str,
    payload: dict,
    policy: OutboundPolicy,
    default_cap: int,
    idempotency: Idempotency,
    claim: Claim,
) -> Begun:
    if claim.key is not None:
        stored = idempotency.lookup(conn, claim)
        if stored is not None:
            return Begun(replay=stored)
    require_ticket(conn, principal, ticket_id)
    # Locked: concurrent requests of one tenant count the running actions in turn.
    tenant = repo.get_tenant(conn, tenant=principal.tenant_id, for_update=True)
    assert tenant is not None
    base_url = tenant["actions_base_url"]
    if not base_url:
        raise Conflict(NOT_CONFIGURED)
    now = now_ms()
    cap = tenant["max_actions_in_flight"] or default_cap
    running, earliest = repo.running_actions(conn, tenant_id=principal.tenant_id, now=now)
    if running >= cap:
        wait = max(1, math.ceil(((earliest or now) - now) / 1000))
        raise RateLimited(
            f"This tenant already has {running} actions in flight (its limit is {cap}); "
            f"retry in {wait} s.",
            retry_after=wait,
        )
    row: dict[str, Any] = {
        "action_id": new_id("act"),
        "ticket_id": ticket_id,
        "tenant_id": principal.tenant_id,
        "action_type": "custom_http",
        "status": "running",
        "requested_by": principal.requested_by,
        "payload": payload,
        "result": None,
        "created_at": now,
        "completed_at": None,
        "deadline_at": now + math.ceil(policy.total_timeout * 1000) + DEADLINE_GRACE_MS,
    }
    repo.insert_action(conn, row=row)
    if claim.key is not None and not idempotency.claim(conn, claim, action_id=row["action_id"]):
        raise _LostRace  # a concurrent request took the key first: undo, then replay it
    return Begun(row=row, base_url=base_url)


class _LostRace(Exception):
    pass


def finish_action(
    db: Database,
    *,
    row: dict,
    outcome: Outcome,
    idempotency: Idempotency,
    claim: Claim,
    respond: Respond,
) -> StoredResponse:
    """Transaction 2: the outcome and (with a key) its stored response, together."""
    done = {
        "status": "succeeded" if outcome.succeeded else "failed",
        "completed_at": max(now_ms(), row["created_at"]),
        "result": outcome.as_result(),
        "deadline_at": None,
    }
    finished = {**row, **done}
    response = respond(action(finished))
    with db.write() as conn:
        repo.update_action(conn, action_id=row["action_id"], values=done)
        _completed(conn, finished)
        if claim.key is not None:
            idempotency.complete(conn, claim, response)
    log.info(
        "action %s for %s: %s (%s)",
        row["action_id"],
        row["ticket_id"],
        done["status"],
        outcome.error,
    )
    return response


def settle(
    conn: sa.Connection,
    action_id: str | None,
    claim: Claim,
    idempotency: Idempotency,
    respond: Respond,
) -> StoredResponse | None:
    """For a key pending on `action_id`: once the action is finished (or past its
    deadline, then finished here as interrupted), store and return its response."""
    row = repo.get_action_by_id(conn, action_id=action_id) if action_id else None
    if row is None:
        return None
    if row["status"] == "running":
        if row["deadline_at"] is not None and row["deadline_at"] >= now_ms():
            return None
        row = _interrupt(conn, row)
    response = respond(action(row))
    idempotency.complete(conn, claim, response)
    return response


def _interrupt(conn: sa.Connection, row: dict) -> dict:
    now = max(now_ms(), row["created_at"])
    done = {
        "status": "failed",
        "completed_at": now,
        "deadline_at": None,
        "result": {
            "http_status": None,
            "duration_ms": now - row["created_at"],
            "error": INTERRUPTED,
            "response_excerpt": None,
        },
    }
    repo.update_action(conn, action_id=row["action_id"], values=done)
    _completed(conn, {**row, **done})
    log.warning("action %s was left running past its deadline: %s", row["action_id"], INTERRUPTED)
    return {**row, **done}


def _completed(conn: sa.Connection, row: dict) -> None:
    """The `action.completed` event, in the transaction that records the outcome."""
    webhooks.record_event(
        conn,
        tenant_id=row["tenant_id"],
        event_type="action.completed",
        ticket_id=row["ticket_id"],
        data={"action": action(row)},
        created_at=row["completed_at"],
    )


def finish_stale_actions(db: Database, *, batch: int = 500) -> int:
    """Finish every action left `running` past its deadline as failed (`interrupted`)."""
    total = 0
    while True:
        with db.write() as conn:
            rows = repo.stale_actions(conn, now=now_ms(), limit=batch)
            for row in rows:
                _interrupt(conn, row)
        total += len(rows)
        if len(rows) < batch:
            return total


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
