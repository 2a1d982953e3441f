"""Queries. Each takes a connection first and keyword-only arguments; returns rows as dicts.

Transactions belong to the caller (`Database.read()` / `Database.write()`).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement

from threada.storage.prepared import Prepared, Runner
from threada.storage.tables import (
    actions,
    api_keys,
    idempotency_records,
    key_secrets,
    messages,
    rate_windows,
    tenants,
    ticket_tags,
    tickets,
)

Row = dict[str, Any]


# Rows become dicts by zipping the result's keys with plain tuples: a third of the cost of
# `dict(row)` over `.mappings()` costs a third more (a 26-row list page: 156 us against 104).


def _dicts(result: sa.CursorResult) -> list[Row]:
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _first(result: sa.CursorResult) -> Row | None:
    keys = tuple(result.keys())
    row = result.first()
    return dict(zip(keys, row, strict=True)) if row is not None else None


def _one(conn: sa.Connection, stmt: sa.Executable) -> Row | None:
    return _first(conn.execute(stmt))


def _all(conn: sa.Connection, stmt: sa.Executable) -> list[Row]:
    return _dicts(conn.execute(stmt))


# --- tenants and keys ------------------------------------------------------------------------


def insert_tenant(
    conn: sa.Connection, *, tenant_id: str, name: str, created_at: int, testing: bool = False
) -> None:
    conn.execute(
        tenants.insert().values(
            tenant_id=tenant_id, name=name, created_at=created_at, testing=testing
        )
    )


def get_tenant(conn: sa.Connection, *, tenant: str, for_update: bool = False) -> Row | None:
    """By id or by name. `for_update` locks the row until the transaction ends
    (PostgreSQL; SQLite's write transactions hold the whole database anyway)."""
    stmt = sa.select(tenants).where(sa.or_(tenants.c.tenant_id == tenant, tenants.c.name == tenant))
    if for_update:
        stmt = stmt.with_for_update()
    return _one(conn, stmt)


def list_tenants(conn: sa.Connection) -> list[Row]:
    return _all(conn, sa.select(tenants).order_by(tenants.c.created_at, tenants.c.tenant_id))


def update_tenant(conn: sa.Connection, *, tenant_id: str, **values: Any) -> None:
    conn.execute(tenants.update().where(tenants.c.tenant_id == tenant_id).values(**values))


def insert_key(
    conn: sa.Connection,
    *,
    key_id: str,
    tenant_id: str,
    name: str,
    scopes: Sequence[str],
    secret_hash: str,
    created_at: int,
) -> None:
    conn.execute(
        api_keys.insert().values(
            key_id=key_id,
            tenant_id=tenant_id,
            name=name,
            scopes=" ".join(scopes),
            created_at=created_at,
        )
    )
    insert_secret(conn, key_id=key_id, secret_hash=secret_hash, created_at=created_at)


def insert_secret(
    conn: sa.Connection,
    *,
    key_id: str,
    secret_hash: str,
    created_at: int,
    expires_at: int | None = None,
) -> None:
    conn.execute(
        key_secrets.insert().values(
            key_id=key_id, secret_hash=secret_hash, created_at=created_at, expires_at=expires_at
        )
    )


def expire_secrets(conn: sa.Connection, *, key_id: str, expires_at: int) -> None:
    """Give every secret of the key that would outlive `expires_at` that expiry."""
    conn.execute(
        key_secrets.update()
        .where(key_secrets.c.key_id == key_id)
        .where(sa.or_(key_secrets.c.expires_at.is_(None), key_secrets.c.expires_at > expires_at))
        .values(expires_at=expires_at)
    )


def get_key(conn: sa.Connection, *, key_id: str) -> Row | None:
    return _one(conn, sa.select(api_keys).where(api_keys.c.key_id == key_id))


def list_keys(conn: sa.Connection, *, tenant_id: str | None = None) -> list[Row]:
    stmt = sa.select(api_keys, tenants.c.name.label("tenant_name")).join(tenants)
    if tenant_id is not None:
        stmt = stmt.where(api_keys.c.tenant_id == tenant_id)
    keys = _all(conn, stmt.order_by(api_keys.c.created_at, api_keys.c.key_id))
    secrets = _all(conn, sa.select(key_secrets.c.key_id, key_secrets.c.expires_at))
    by_key: dict[str, list[int | None]] = {}
    for s in secrets:
        by_key.setdefault(s["key_id"], []).append(s["expires_at"])
    for k in keys:
        k["secret_expiries"] = by_key.get(k["key_id"], [])
    return keys


def revoke_key(conn: sa.Connection, *, key_id: str, revoked_at: int) -> None:
    conn.execute(
        api_keys.update()
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )


# Built once: constructing a select costs more than running this one on SQLite.
_FIND_KEY = (
    sa.select(
        api_keys.c.key_id,
        api_keys.c.tenant_id,
        api_keys.c.scopes,
        key_secrets.c.secret_hash,
        tenants.c.rate_limit_per_minute,
    )
    .select_from(key_secrets.join(api_keys).join(tenants))
    .where(key_secrets.c.secret_hash == sa.bindparam("secret_hash"))
    .where(api_keys.c.revoked_at.is_(None))
    .where(
        sa.or_(key_secrets.c.expires_at.is_(None), key_secrets.c.expires_at > sa.bindparam("now"))
    )
)


_FIND_KEY_PREPARED = Prepared(_FIND_KEY)


def find_key_by_secret(conn: Runner, *, secret_hash: str, now: int) -> Row | None:
    """The live key holding this secret (not revoked, secret not expired), with its tenant.

    On every request's path, so it runs as a Prepared statement (one statement, 5 us
    against 50 through Connection.execute)."""
    return _FIND_KEY_PREPARED.first(conn, {"secret_hash": secret_hash, "now": now})


# --- rate limits -----------------------------------------------------------------------------


def lease_quota(
    conn: sa.Connection,
    *,
    key_id: str,
    window_start: int,
    want: int,
    limit: int,
    now: int,
) -> tuple[int, int]:
    """Claim up to `want` requests of the window's quota. Returns (granted, used after).

    One atomic UPDATE: `used` may run past `limit` (claims that were refused),
    the grant is what fitted under the limit.
    """
    upd = (
        rate_windows.update()
        .where(rate_windows.c.key_id == key_id, rate_windows.c.window_start == window_start)
        .values(used=rate_windows.c.used + want)
        .returning(rate_windows.c.used)
    )
    used = conn.execute(upd).scalar()
    if used is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    rate_windows.insert().values(
                        key_id=key_id, window_start=window_start, used=want
                    )
                )
            used = want
        except IntegrityError:
            used = conn.execute(upd).scalar()
        # Old windows are dead weight; drop them when a key opens a new one.
        conn.execute(
            rate_windows.delete().where(
                rate_windows.c.key_id == key_id, rate_windows.c.window_start < window_start
            )
        )
    assert used is not None
    before = used - want
    granted = max(0, min(want, limit - before))
    # The lease is also when "last used" is recorded: at most once per lease, not per request.
    conn.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(last_used_at=now))
    return granted, min(used, limit)


# --- tickets ---------------------------------------------------------------------------------


# Inserts are built once and take their row as parameters: `insert().values(**row)` builds
# a new statement and its cache key on every call (~100 us of a POST's CPU on SQLite).
@functools.lru_cache(maxsize=64)
def _insert(table: sa.Table, columns: tuple[str, ...]) -> Prepared:
    """INSERT of exactly these columns (the rest left to the database, as Connection.execute
    leaves the keys a row lacks), compiled once per table and set of columns; run as a
    Prepared statement: SQLAlchemy's per-call execution machinery cost about 45 us of each
    of a write's statements (bench/results/profile/writes_sqlite.txt)."""
    return Prepared(table.insert().values({c: sa.bindparam(c) for c in columns}))


def _insert_row(conn: sa.Connection, table: sa.Table, row: Row) -> None:
    _insert(table, tuple(row)).run(conn, row)


def _insert_rows(conn: sa.Connection, table: sa.Table, rows: list[Row]) -> None:
    _insert(table, tuple(rows[0])).run_many(conn, rows)


def insert_ticket(conn: sa.Connection, *, row: Row) -> None:
    _insert_row(conn, tickets, row)
    # A new ticket has no tag rows to replace: only the insert (one round trip less).
    if row["tags"]:
        _insert_rows(
            conn,
            ticket_tags,
            [
                {"ticket_id": row["ticket_id"], "tenant_id": row["tenant_id"], "tag": t}
                for t in row["tags"]
            ],
        )


def _replace_tags(conn: sa.Connection, *, ticket_id: str, tenant_id: str, tags: list[str]) -> None:
    conn.execute(ticket_tags.delete().where(ticket_tags.c.ticket_id == ticket_id))
    if tags:
        _insert_rows(
            conn,
            ticket_tags,
            [{"ticket_id": ticket_id, "tenant_id": tenant_id, "tag": t} for t in tags],
        )


# Built once, like _FIND_KEY: get, add message and update run these on every request, and
# building a select and its cache key costs about what SQLite takes to run it.
_GET_TICKET = sa.select(tickets).where(
    tickets.c.tenant_id == sa.bindparam("tenant_id"),
    tickets.c.ticket_id == sa.bindparam("ticket_id"),
)
_GET_TICKET_FOR_UPDATE = _GET_TICKET.with_for_update()
_GET_TICKET_PREPARED = {False: Prepared(_GET_TICKET), True: Prepared(_GET_TICKET_FOR_UPDATE)}


def get_ticket(
    conn: sa.Connection, *, tenant_id: str, ticket_id: str, for_update: bool = False
) -> Row | None:
    prepared = _GET_TICKET_PREPARED[for_update]
    return prepared.first(conn, {"tenant_id": tenant_id, "ticket_id": ticket_id})


@functools.lru_cache(maxsize=64)
def _update_ticket_stmt(columns: tuple[str, ...]) -> Prepared:
    """UPDATE of these columns of one ticket, built once per set of columns (as the inserts)."""
    return Prepared(
        tickets.update()
        .where(
            tickets.c.tenant_id == sa.bindparam("w_tenant_id"),
            tickets.c.ticket_id == sa.bindparam("w_ticket_id"),
        )
        .values({c: sa.bindparam(f"v_{c}") for c in columns})
    )


def update_ticket(conn: sa.Connection, *, tenant_id: str, ticket_id: str, values: Row) -> None:
    stmt = _update_ticket_stmt(tuple(sorted(values)))
    params = {f"v_{k}": v for k, v in values.items()}
    stmt.run(conn, {"w_tenant_id": tenant_id, "w_ticket_id": ticket_id, **params})
    if "tags" in values:
        _replace_tags(conn, ticket_id=ticket_id, tenant_id=tenant_id, tags=values["tags"])


# A tag filter can run two ways. Walking the tenant's tickets in list order and probing
# ticket_tags for each stops after a page when the tag is common, but walks every ticket
# when it is rare (~155 ms on SQLite at 700,000 tickets for a tag nobody uses, against
# 0.01 ms the other way). Reading the tag's rows first and sorting them costs in proportion
# to how many there are (~3 ms for 1,500). A count that stops at TAG_FIRST_MAX + 1 index
# entries picks the way. It only picks a plan (both answer the same), yet it cost as much as
# the page itself for a common tag (~110 us of 190 on SQLite for tag=vip), so each process
# keeps a tag's count for TAG_COUNT_SECONDS: a tag that grows or shrinks past the line meanwhile
# is only answered the slower way for that long.
TAG_FIRST_MAX = 2000
TAG_COUNT_SECONDS = 60.0
_tag_counts: dict[tuple[str, str], tuple[bool, float]] = {}
_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]*\Z")  # the spec's Tag pattern


class JsonTextHas(ColumnElement[bool]):
    """`needle` occurs in the JSON column's text: instr() on SQLite, strpos() on the text
    of PostgreSQL's json (which keeps the text as written)."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: Any, needle: Any) -> None:
        self.column, self.needle = column, needle


@compiles(JsonTextHas)
def _json_text_has(element: JsonTextHas, compiler: Any, **kw: Any) -> str:
    column, needle = compiler.process(element.column, **kw), compiler.process(element.needle, **kw)
    return f"(strpos(CAST({column} AS TEXT), {needle}) > 0)"


@compiles(JsonTextHas, "sqlite")
def _json_text_has_sqlite(element: JsonTextHas, compiler: Any, **kw: Any) -> str:
    column, needle = compiler.process(element.column, **kw), compiler.process(element.needle, **kw)
    return f"(instr({column}, {needle}) > 0)"


_COUNT_TAGGED = Prepared(
    sa.select(sa.func.count().label("n")).select_from(
        sa.select(sa.literal_column("1").label("one"))
        .where(
            ticket_tags.c.tenant_id == sa.bindparam("tenant_id"),
            ticket_tags.c.tag == sa.bindparam("tag"),
        )
        .limit(sa.bindparam("cap"))
        .subquery()
    )
)


def _few_tagged(conn: Runner, tenant_id: str, tag: str) -> bool:
    """Whether at most TAG_FIRST_MAX of the tenant's tickets carry `tag` (cached a while)."""
    now = time.monotonic()
    hit = _tag_counts.get((tenant_id, tag))
    if hit is not None and hit[1] > now:
        return hit[0]
    counted = _COUNT_TAGGED.first(
        conn, {"tenant_id": tenant_id, "tag": tag, "cap": TAG_FIRST_MAX + 1}
    )
    few = counted is not None and counted["n"] <= TAG_FIRST_MAX
    if len(_tag_counts) > 10_000:
        _tag_counts.clear()
    _tag_counts[tenant_id, tag] = (few, now + TAG_COUNT_SECONDS)
    return few


@functools.lru_cache(maxsize=512)
def _list_tickets_stmt(
    statuses: int,
    channels: int,
    priorities: int,
    tag: bool,
    updated_after: bool,
    after: bool,
    tag_first: bool = False,
) -> Prepared:
    """The list query for one combination of filters (and number of values in each IN list),
    built and compiled once, with bound parameters `status_0`, `status_1`, ...

    `tag_first`: read the tag's rows from ix_ticket_tags_tenant_tag and join the tickets
    to them by key. The tickets' tenant is then compared as `tenant_id || ''`, an
    expression no index of tickets covers, so the planner cannot go back to walking them.
    """
    t = tickets.c
    # The columns of a TicketSummary (no contact: a list does not show it).
    columns = [c for c in tickets.c if not c.key.startswith("contact_")]
    if tag and tag_first:
        stmt = (
            sa.select(*columns)
            .select_from(ticket_tags.join(tickets, t.ticket_id == ticket_tags.c.ticket_id))
            .where(
                ticket_tags.c.tenant_id == sa.bindparam("tenant_id"),
                ticket_tags.c.tag == sa.bindparam("tag"),
                t.tenant_id.concat(sa.literal_column("''")) == sa.bindparam("tenant_id"),
            )
        )
    else:
        stmt = sa.select(*columns).where(t.tenant_id == sa.bindparam("tenant_id"))
    for column, name, count in (
        (t.status, "status", statuses),
        (t.channel, "channel", channels),
        (t.priority, "priority", priorities),
    ):
        if count:
            stmt = stmt.where(column.in_([sa.bindparam(f"{name}_{i}") for i in range(count)]))
    if tag and not tag_first:
        # The ticket's own `tags` JSON text holds `"<tag>"` exactly when it carries the tag (a
        # tag is [a-z0-9_-], so it needs no escaping and cannot straddle two elements): tested
        # on the status index's entry, no probe of ticket_tags per ticket walked (SQLite,
        # 1,000,000 tickets: 264 -> 59 us for tag=vip). `list_tickets` passes the quoted tag.
        stmt = stmt.where(JsonTextHas(t.tags, sa.bindparam("tag_json")))
    if updated_after:
        stmt = stmt.where(t.updated_at > sa.bindparam("updated_after"))
    if after:
        stmt = stmt.where(
            sa.tuple_(t.updated_at, t.ticket_id)
            < sa.tuple_(sa.bindparam("after_updated_at"), sa.bindparam("after_ticket_id"))
        )
    return Prepared(
        stmt.order_by(t.updated_at.desc(), t.ticket_id.desc()).limit(sa.bindparam("limit"))
    )


def list_tickets(
    conn: Runner,
    *,
    tenant_id: str,
    statuses: Sequence[str] | None,
    channels: Sequence[str] | None,
    priorities: Sequence[str] | None,
    tag: str | None,
    updated_after: int | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Row]:
    """Ticket rows without the contact columns, in activity order (updated_at desc,
    ticket_id desc), keyset after `after`. One statement, run Prepared: the first page of
    a list is the most frequent request there is. With a tag, a bounded count runs first
    to choose between the two statements (TAG_FIRST_MAX); it only picks the plan, so the
    two need not share a snapshot: both statements answer the same."""
    params: dict[str, Any] = {"tenant_id": tenant_id, "limit": limit}
    counts = []
    for name, values in (("status", statuses), ("channel", channels), ("priority", priorities)):
        distinct = list(dict.fromkeys(values or ()))
        counts.append(len(distinct))
        for i, value in enumerate(distinct):
            params[f"{name}_{i}"] = value
    tag_first = False
    if tag is not None:
        params["tag"] = tag
        params["tag_json"] = f'"{tag}"'
        # A tag outside the spec's pattern (never, past validation) takes the tag index.
        tag_first = not _TAG.match(tag) or _few_tagged(conn, tenant_id, tag)
    if updated_after is not None:
        params["updated_after"] = updated_after
    if after is not None:
        params["after_updated_at"], params["after_ticket_id"] = after
    stmt = _list_tickets_stmt(
        counts[0],
        counts[1],
        counts[2],
        tag is not None,
        updated_after is not None,
        after is not None,
        tag_first,
    )
    return stmt.all(conn, params)


# --- messages --------------------------------------------------------------------------------


def insert_message(conn: sa.Connection, *, row: Row) -> None:
    _insert_row(conn, messages, row)


_FIND_MESSAGE_BY_EXTERNAL_ID = sa.select(messages).where(
    messages.c.ticket_id == sa.bindparam("ticket_id"),
    messages.c.external_message_id == sa.bindparam("external_message_id"),
)


def find_message_by_external_id(
    conn: sa.Connection, *, ticket_id: str, external_message_id: str
) -> Row | None:
    params = {"ticket_id": ticket_id, "external_message_id": external_message_id}
    return _first(conn.execute(_FIND_MESSAGE_BY_EXTERNAL_ID, params))


def list_messages(
    conn: sa.Connection, *, ticket_id: str, after: tuple[int, str] | None, limit: int
) -> list[Row]:
    """Conversation order (created_at, message_id ascending), keyset after `after`."""
    m = messages.c
    stmt = sa.select(messages).where(m.ticket_id == ticket_id)
    if after is not None:
        stmt = stmt.where(sa.tuple_(m.created_at, m.message_id) > sa.tuple_(*after))
    return _all(conn, stmt.order_by(m.created_at, m.message_id).limit(limit))


_RECENT_MESSAGES = (
    sa.select(messages)
    .where(messages.c.ticket_id == sa.bindparam("ticket_id"))
    .order_by(messages.c.created_at.desc(), messages.c.message_id.desc())
    .limit(sa.bindparam("limit"))
)


def recent_messages(conn: sa.Connection, *, ticket_id: str, limit: int) -> list[Row]:
    """The newest `limit` messages, oldest first."""
    rows = _dicts(conn.execute(_RECENT_MESSAGES, {"ticket_id": ticket_id, "limit": limit}))
    return list(reversed(rows))


# --- actions ---------------------------------------------------------------------------------


def insert_action(conn: sa.Connection, *, row: Row) -> None:
    conn.execute(actions.insert().values(**row))


def update_action(conn: sa.Connection, *, action_id: str, values: Row) -> None:
    conn.execute(actions.update().where(actions.c.action_id == action_id).values(**values))


def get_action_by_id(conn: sa.Connection, *, action_id: str) -> Row | None:
    return _one(conn, sa.select(actions).where(actions.c.action_id == action_id))


def running_actions(conn: sa.Connection, *, tenant_id: str, now: int) -> tuple[int, int | None]:
    """(how many of the tenant's actions run and are within their deadline, the earliest
    of those deadlines)."""
    a = actions.c
    row = conn.execute(
        sa.select(sa.func.count(), sa.func.min(a.deadline_at)).where(
            a.tenant_id == tenant_id, a.status == "running", a.deadline_at >= now
        )
    ).one()
    return int(row[0]), row[1]


def stale_actions(conn: sa.Connection, *, now: int, limit: int) -> list[Row]:
    """Actions still `running` past their deadline (their process died), oldest first."""
    a = actions.c
    stmt = (
        sa.select(actions)
        .where(a.status == "running", sa.or_(a.deadline_at < now, a.deadline_at.is_(None)))
        .order_by(a.deadline_at)
        .limit(limit)
    )
    return _all(conn, stmt)


def get_action(conn: sa.Connection, *, ticket_id: str, action_id: str) -> Row | None:
    return _one(
        conn,
        sa.select(actions).where(
            actions.c.ticket_id == ticket_id, actions.c.action_id == action_id
        ),
    )


def list_actions(
    conn: sa.Connection, *, ticket_id: str, after: tuple[int, str] | None, limit: int
) -> list[Row]:
    """Newest first (created_at, action_id descending), keyset after `after`."""
    a = actions.c
    stmt = sa.select(actions).where(a.ticket_id == ticket_id)
    if after is not None:
        stmt = stmt.where(sa.tuple_(a.created_at, a.action_id) < sa.tuple_(*after))
    return _all(conn, stmt.order_by(a.created_at.desc(), a.action_id.desc()).limit(limit))


# --- idempotency -----------------------------------------------------------------------------


_IDEM_WHERE = (
    idempotency_records.c.tenant_id == sa.bindparam("w_tenant_id"),
    idempotency_records.c.idem_key == sa.bindparam("w_idem_key"),
)
# Built once (like the ticket inserts); the claim is INSERT ... ON CONFLICT DO NOTHING, so it
# needs no savepoint around it (two statements less: SAVEPOINT and RELEASE). On PostgreSQL it
# waits for a concurrent transaction inserting the same key, as the plain INSERT did, and
# then inserts nothing.
# RETURNING says whether the row went in (rowcount is -1 here on psycopg).
_CLAIM_COLUMNS = ("tenant_id", "idem_key", "fingerprint", "state", "created_at", "action_id")
_CLAIM = {
    name: Prepared(
        insert(idempotency_records)
        .values({c: sa.bindparam(c) for c in _CLAIM_COLUMNS})
        .on_conflict_do_nothing()
        .returning(idempotency_records.c.idem_key)
    )
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}
_GET_IDEMPOTENCY_RECORD = Prepared(sa.select(idempotency_records).where(*_IDEM_WHERE))
_COMPLETE_IDEMPOTENCY_RECORD = Prepared(
    idempotency_records.update()
    .where(*_IDEM_WHERE)
    .values(
        state="done",
        status=sa.bindparam("v_status"),
        body=sa.bindparam("v_body"),
        headers=sa.bindparam("v_headers", type_=idempotency_records.c.headers.type),
    )
)


def claim_idempotency_key(
    conn: sa.Connection,
    *,
    tenant_id: str,
    idem_key: str,
    fingerprint: str,
    now: int,
    action_id: str | None = None,
) -> bool:
    """Insert a pending record; False when one exists already (the caller lost the race)."""
    row = {
        "tenant_id": tenant_id,
        "idem_key": idem_key,
        "fingerprint": fingerprint,
        "state": "pending",
        "created_at": now,
        "action_id": action_id,
    }
    stmt = _CLAIM.get(conn.dialect.name)
    if stmt is not None:
        return stmt.first(conn, row) is not None
    try:
        with conn.begin_nested():
            conn.execute(idempotency_records.insert(), row)
    except IntegrityError:
        return False
    return True


def get_idempotency_record(conn: sa.Connection, *, tenant_id: str, idem_key: str) -> Row | None:
    return _GET_IDEMPOTENCY_RECORD.first(conn, {"w_tenant_id": tenant_id, "w_idem_key": idem_key})


def complete_idempotency_record(
    conn: sa.Connection,
    *,
    tenant_id: str,
    idem_key: str,
    status: int,
    body: str,
    headers: dict[str, str],
) -> None:
    _COMPLETE_IDEMPOTENCY_RECORD.run(
        conn,
        {
            "w_tenant_id": tenant_id,
            "w_idem_key": idem_key,
            "v_status": status,
            "v_body": body,
            "v_headers": headers,
        },
    )


def delete_idempotency_record(conn: sa.Connection, *, tenant_id: str, idem_key: str) -> None:
    r = idempotency_records.c
    conn.execute(
        idempotency_records.delete().where(r.tenant_id == tenant_id, r.idem_key == idem_key)
    )


def purge_idempotency_records(conn: sa.Connection, *, older_than: int, limit: int) -> int:
    """Delete up to `limit` records created before `older_than`; returns how many went."""
    r = idempotency_records.c
    old = _all(
        conn,
        sa.select(r.tenant_id, r.idem_key)
        .where(r.created_at < older_than)
        .order_by(r.created_at)
        .limit(limit),
    )
    if not old:
        return 0
    pairs = [(row["tenant_id"], row["idem_key"]) for row in old]
    result = conn.execute(
        idempotency_records.delete().where(
            sa.tuple_(r.tenant_id, r.idem_key).in_(pairs), r.created_at < older_than
        )
    )
    return result.rowcount or 0
