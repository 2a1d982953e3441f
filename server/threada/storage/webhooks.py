"""Webhook queries: endpoints, secrets, the event outbox and deliveries.

Same rules as `repo`: a connection first, keyword-only arguments, rows as dicts;
transactions belong to the caller. The dispatcher's claim is here too: on
PostgreSQL it locks the rows it takes with `FOR UPDATE SKIP LOCKED`, so that
several processes claim disjoint deliveries; on SQLite the caller's write
transaction (BEGIN IMMEDIATE) already makes claims take turns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from threada.storage.prepared import Prepared
from threada.storage.repo import _all, _one
from threada.storage.tables import (
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
    webhook_secrets,
)

Row = dict[str, Any]
D = webhook_deliveries


# --- endpoints and secrets -------------------------------------------------------------------


def insert_endpoint(conn: sa.Connection, *, row: Row) -> None:
    conn.execute(webhook_endpoints.insert().values(**row))


def get_endpoint(conn: sa.Connection, *, tenant_id: str | None, endpoint_id: str) -> Row | None:
    """The endpoint; with `tenant_id`, only when it belongs to that tenant."""
    stmt = sa.select(webhook_endpoints).where(webhook_endpoints.c.endpoint_id == endpoint_id)
    if tenant_id is not None:
        stmt = stmt.where(webhook_endpoints.c.tenant_id == tenant_id)
    return _one(conn, stmt)


def list_endpoints(
    conn: sa.Connection, *, tenant_id: str | None, after: tuple[int, str] | None, limit: int
) -> list[Row]:
    """Oldest first (created_at, endpoint_id), after a keyset position."""
    c = webhook_endpoints.c
    stmt = sa.select(webhook_endpoints)
    if tenant_id is not None:
        stmt = stmt.where(c.tenant_id == tenant_id)
    if after is not None:
        stmt = stmt.where(sa.tuple_(c.created_at, c.endpoint_id) > sa.tuple_(*after))
    return _all(conn, stmt.order_by(c.created_at, c.endpoint_id).limit(limit))


_SUBSCRIBED = Prepared(
    sa.select(webhook_endpoints.c.endpoint_id, webhook_endpoints.c.event_types).where(
        webhook_endpoints.c.tenant_id == sa.bindparam("tenant_id")
    )
)


def subscribed_endpoints(conn: sa.Connection, *, tenant_id: str) -> list[Row]:
    """The tenant's endpoints (enabled or not: a paused endpoint's deliveries wait). Every
    ticket and message write asks, so it runs as a Prepared statement (storage.prepared)."""
    return _SUBSCRIBED.all(conn, {"tenant_id": tenant_id})


def update_endpoint(conn: sa.Connection, *, endpoint_id: str, values: Row) -> None:
    conn.execute(
        webhook_endpoints.update()
        .where(webhook_endpoints.c.endpoint_id == endpoint_id)
        .values(**values)
    )


def delete_endpoint(conn: sa.Connection, *, endpoint_id: str) -> None:
    """The endpoint with its secrets and deliveries (events stay: other endpoints share them)."""
    conn.execute(D.delete().where(D.c.endpoint_id == endpoint_id))
    conn.execute(webhook_secrets.delete().where(webhook_secrets.c.endpoint_id == endpoint_id))
    conn.execute(webhook_endpoints.delete().where(webhook_endpoints.c.endpoint_id == endpoint_id))


def insert_secret(conn: sa.Connection, *, endpoint_id: str, secret: str, created_at: int) -> None:
    conn.execute(
        webhook_secrets.insert().values(
            endpoint_id=endpoint_id, secret=secret, created_at=created_at, expires_at=None
        )
    )


def expire_secrets(conn: sa.Connection, *, endpoint_id: str, expires_at: int) -> None:
    """Every live secret of the endpoint that would outlive `expires_at` gets that expiry."""
    s = webhook_secrets.c
    conn.execute(
        webhook_secrets.update()
        .where(s.endpoint_id == endpoint_id)
        .where(sa.or_(s.expires_at.is_(None), s.expires_at > expires_at))
        .values(expires_at=expires_at)
    )


def live_secrets(conn: sa.Connection, *, endpoint_id: str, now: int) -> list[str]:
    """The secrets that sign now, newest first."""
    s = webhook_secrets.c
    stmt = (
        sa.select(s.secret)
        .where(s.endpoint_id == endpoint_id)
        .where(sa.or_(s.expires_at.is_(None), s.expires_at > now))
        .order_by(s.created_at.desc())
    )
    return list(conn.execute(stmt).scalars())


# --- events and deliveries -------------------------------------------------------------------


def insert_event(conn: sa.Connection, *, row: Row) -> int:
    """The event; returns its sequence number."""
    result = conn.execute(webhook_events.insert().values(**row).returning(webhook_events.c.seq))
    return int(result.scalar_one())


def insert_deliveries(conn: sa.Connection, *, rows: list[Row]) -> None:
    if rows:
        conn.execute(D.insert(), rows)


def get_delivery(conn: sa.Connection, *, endpoint_id: str, delivery_id: str) -> Row | None:
    return _one(
        conn, sa.select(D).where(D.c.endpoint_id == endpoint_id, D.c.delivery_id == delivery_id)
    )


def list_deliveries(
    conn: sa.Connection,
    *,
    endpoint_id: str | None = None,
    tenant_id: str | None = None,
    status: str | None = None,
    after: tuple[int, str] | None = None,
    limit: int,
) -> list[Row]:
    """Newest first (created_at, delivery_id descending), after a keyset position."""
    stmt = sa.select(D)
    if endpoint_id is not None:
        stmt = stmt.where(D.c.endpoint_id == endpoint_id)
    if tenant_id is not None:
        stmt = stmt.where(D.c.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(D.c.status == status)
    if after is not None:
        stmt = stmt.where(sa.tuple_(D.c.created_at, D.c.delivery_id) < sa.tuple_(*after))
    return _all(conn, stmt.order_by(D.c.created_at.desc(), D.c.delivery_id.desc()).limit(limit))


def update_delivery(
    conn: sa.Connection, *, delivery_id: str, values: Row, lease_owner: str | None = None
) -> bool:
    """Change a delivery; with `lease_owner`, only while that owner still holds its lease.
    Returns whether a row changed."""
    stmt = D.update().where(D.c.delivery_id == delivery_id)
    if lease_owner is not None:
        stmt = stmt.where(D.c.lease_owner == lease_owner, D.c.status == "pending")
    return conn.execute(stmt.values(**values)).rowcount > 0


def any_due(conn: sa.Connection, *, now: int) -> bool:
    """Whether some delivery may be due: a cheap read before taking a write lock."""
    stmt = (
        sa.select(D.c.delivery_id)
        .where(D.c.status == "pending", D.c.next_attempt_at <= now)
        .where(sa.or_(D.c.lease_expires_at.is_(None), D.c.lease_expires_at < now))
        .limit(1)
    )
    return conn.execute(stmt).first() is not None


def leases_in_flight(conn: sa.Connection, *, now: int) -> list[Row]:
    """(endpoint_id, tenant_id, n): deliveries being sent now, by any process."""
    stmt = (
        sa.select(D.c.endpoint_id, D.c.tenant_id, sa.func.count().label("n"))
        .where(D.c.status == "pending", D.c.lease_expires_at >= now)
        .group_by(D.c.endpoint_id, D.c.tenant_id)
    )
    return _all(conn, stmt)


def due_deliveries(
    conn: sa.Connection,
    *,
    now: int,
    limit: int,
    skip_endpoints: Iterable[str],
    skip_tenants: Iterable[str],
    skip_locked: bool,
) -> list[Row]:
    """Deliveries due now, unleased, of enabled endpoints, first due first; only the first
    pending one of each (endpoint, ticket), so that one ticket's events go out in order.
    Endpoints and tenants already at their cap are left out here, so that they cannot
    fill the batch and hide everyone else's work."""
    earlier = D.alias("earlier")
    stmt = (
        sa.select(
            D.c.delivery_id,
            D.c.endpoint_id,
            D.c.tenant_id,
            D.c.event_id,
            D.c.event_type,
            D.c.attempts,
            D.c.created_at,
            webhook_endpoints.c.url,
            webhook_endpoints.c.failing_since,
            webhook_events.c.body,
        )
        .select_from(
            D.join(webhook_endpoints, webhook_endpoints.c.endpoint_id == D.c.endpoint_id).join(
                webhook_events, webhook_events.c.seq == D.c.event_seq
            )
        )
        .where(D.c.status == "pending", D.c.next_attempt_at <= now)
        .where(sa.or_(D.c.lease_expires_at.is_(None), D.c.lease_expires_at < now))
        .where(webhook_endpoints.c.enabled.is_(True))
        .where(
            ~sa.exists().where(
                earlier.c.endpoint_id == D.c.endpoint_id,
                earlier.c.order_key == D.c.order_key,
                earlier.c.status == "pending",
                earlier.c.event_seq < D.c.event_seq,
            )
        )
        .order_by(D.c.next_attempt_at, D.c.event_seq)
        .limit(limit)
    )
    endpoints, tenants = list(skip_endpoints), list(skip_tenants)
    if endpoints:
        stmt = stmt.where(D.c.endpoint_id.not_in(endpoints))
    if tenants:
        stmt = stmt.where(D.c.tenant_id.not_in(tenants))
    if skip_locked:
        stmt = stmt.with_for_update(skip_locked=True, of=D)
    return _all(conn, stmt)


def lease(
    conn: sa.Connection, *, delivery_ids: list[str], owner: str, now: int, expires_at: int
) -> None:
    conn.execute(
        D.update()
        .where(D.c.delivery_id.in_(delivery_ids))
        .values(lease_owner=owner, lease_expires_at=expires_at, last_attempt_at=now)
    )


def release_leases(conn: sa.Connection, *, owner: str) -> int:
    """Let go of every lease `owner` holds (a clean shutdown): they are due again at once."""
    result = conn.execute(
        D.update()
        .where(D.c.lease_owner == owner, D.c.status == "pending")
        .values(lease_owner=None, lease_expires_at=None)
    )
    return result.rowcount


def next_due_at(conn: sa.Connection, *, now: int) -> int | None:
    """When the earliest delivery scheduled after `now` is due (to sleep until then)."""
    stmt = sa.select(sa.func.min(D.c.next_attempt_at)).where(
        D.c.status == "pending", D.c.next_attempt_at > now
    )
    value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def mark_endpoint_failing(conn: sa.Connection, *, endpoint_id: str, since: int) -> None:
    """Start the endpoint's failure streak at `since`, unless one is running."""
    c = webhook_endpoints.c
    conn.execute(
        webhook_endpoints.update()
        .where(c.endpoint_id == endpoint_id, c.failing_since.is_(None))
        .values(failing_since=since)
    )


def mark_endpoint_ok(conn: sa.Connection, *, endpoint_id: str) -> None:
    c = webhook_endpoints.c
    conn.execute(
        webhook_endpoints.update()
        .where(c.endpoint_id == endpoint_id, c.failing_since.is_not(None))
        .values(failing_since=None)
    )


def purge_finished(conn: sa.Connection, *, older_than: int) -> int:
    """Delete finished deliveries created before `older_than`, and the events no delivery
    refers to any more. Returns the number of deliveries deleted."""
    done = conn.execute(
        D.delete().where(D.c.status.in_(("succeeded", "failed")), D.c.created_at < older_than)
    ).rowcount
    conn.execute(
        webhook_events.delete()
        .where(webhook_events.c.created_at < older_than)
        .where(~sa.exists().where(D.c.event_seq == webhook_events.c.seq))
    )
    return done
