"""The hot path's shortcuts answer exactly what the plain ways answer.

Prepared statements against SQLAlchemy's own execution (both databases), the
per-thread SQLite reader, the table-driven RFC 3339 formatter against
datetime, and which thread an AsyncApp handler runs on.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from threada import app as app_module
from threada.ids import rfc3339
from threada.spec import load_spec
from threada.storage import repo
from threada.storage.db import Database
from threada.storage.prepared import Prepared
from threada.storage.tables import tickets
from threada.validation import BadInput, fast_check_for, parse_json, text_problems, validator_for

from server.tests.conftest import new_database_url

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=-(10**12), max_value=4 * 10**12))
def test_rfc3339_matches_datetime(ms):
    moment = EPOCH + timedelta(milliseconds=ms)
    expected = moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"
    assert rfc3339(ms) == expected


@pytest.fixture
def seeded(db_backend, tmp_path_factory, pg_cluster):
    """A fresh database with 40 tickets in two tenants, varied statuses, channels and tags."""
    db = Database(new_database_url(db_backend, tmp_path_factory, pg_cluster))
    db.upgrade()
    statuses = ("open", "pending", "resolved", "closed")
    channels = ("email", "chat", "whatsapp")
    with db.write() as conn:
        for tenant in ("ten_a", "ten_b"):
            repo.insert_tenant(conn, tenant_id=tenant, name=tenant, created_at=0)
        for i in range(40):
            repo.insert_ticket(
                conn,
                row={
                    "ticket_id": f"tkt_{i:026d}",
                    "tenant_id": "ten_b" if i % 5 == 0 else "ten_a",
                    "subject": f"subject {i} \u00e9\u4e2d",
                    "status": statuses[i % 4],
                    "priority": "normal",
                    "channel": channels[i % 3],
                    # Tags that contain "vip" without being it: the text test must skip them.
                    "tags": [f"t{i % 5}", "vip"]
                    if i % 2
                    else ["vip-gold", "avip"]
                    if i % 4
                    else [],
                    "contact_name": None,
                    "contact_email": f"c{i}@example.com",
                    "contact_phone": None,
                    "created_at": 1_700_000_000_000 + i,
                    "updated_at": 1_700_000_000_000 + (i * 7919) % 40,  # ties on purpose
                    "last_message_at": None if i % 3 == 0 else 1_700_000_000_000 + i,
                },
            )
    yield db
    db.dispose()


def _plain(conn, stmt, params):
    keys = tuple(stmt.selected_columns.keys())
    return [dict(zip(keys, row, strict=True)) for row in conn.execute(stmt, params)]


LIST_CASES = [
    {"statuses": ["open"], "channels": None, "tag": None, "after": None},
    {
        "statuses": ["open", "pending", "closed"],
        "channels": ["chat", "email"],
        "tag": None,
        "after": None,
    },
    {"statuses": ["pending", "pending"], "channels": None, "tag": "vip", "after": None},
    {
        "statuses": ["open", "pending", "resolved"],
        "channels": None,
        "tag": None,
        "after": (1_700_000_000_020, "tkt_" + "0" * 24 + "21"),
    },
]


LIST_CASES += [
    {"statuses": ["open", "pending", "resolved"], "channels": None, "tag": "t1", "after": None},
    {
        "statuses": ["open", "pending", "resolved", "closed"],
        "channels": ["chat", "whatsapp"],
        "tag": "vip",
        "after": (1_700_000_000_030, "tkt_" + "0" * 24 + "33"),
    },
]


@pytest.mark.parametrize("tag_first_max", [0, 10**6], ids=["tickets-first", "tag-first"])
@pytest.mark.parametrize("case", LIST_CASES)
def test_prepared_list_returns_what_sqlalchemy_returns(seeded, case, tag_first_max, monkeypatch):
    """repo.list_tickets (Prepared) against the same filters through Connection.execute;
    with a tag, both ways of running the filter (repo.TAG_FIRST_MAX decides which)."""
    monkeypatch.setattr(repo, "TAG_FIRST_MAX", tag_first_max)
    monkeypatch.setattr(repo, "_tag_counts", {})  # the way is chosen afresh for this test
    t = tickets.c
    stmt = sa.select(tickets).where(
        t.tenant_id == "ten_a", t.status.in_(sorted(set(case["statuses"])))
    )
    if case["channels"]:
        stmt = stmt.where(t.channel.in_(case["channels"]))
    if case["tag"]:
        stmt = stmt.where(t.tags.is_not(None))  # filtered below, portably
    if case["after"]:
        stmt = stmt.where(sa.tuple_(t.updated_at, t.ticket_id) < sa.tuple_(*case["after"]))
    stmt = stmt.order_by(t.updated_at.desc(), t.ticket_id.desc())
    with seeded.read() as conn:
        expected = _plain(conn, stmt, {})
    if case["tag"]:
        expected = [r for r in expected if case["tag"] in r["tags"]]
    # A list shows summaries: the contact columns are not read.
    expected = [{k: v for k, v in r.items() if not k.startswith("contact_")} for r in expected[:7]]
    assert expected, "the case should select something"
    for reader in (seeded.quick_read, seeded.read):  # a QuickReader and a SQLAlchemy Connection
        with reader() as conn:
            got = repo.list_tickets(
                conn,
                tenant_id="ten_a",
                statuses=case["statuses"],
                channels=case["channels"],
                priorities=None,
                tag=case["tag"],
                updated_after=None,
                after=case["after"],
                limit=7,
            )
        assert got == expected
        assert all(isinstance(r["tags"], list) for r in got)  # the JSON column is decoded


@pytest.mark.parametrize("tag_first_max", [0, 10**6], ids=["tickets-first", "tag-first"])
def test_a_tag_nobody_uses_lists_nothing(seeded, tag_first_max, monkeypatch):
    monkeypatch.setattr(repo, "TAG_FIRST_MAX", tag_first_max)
    monkeypatch.setattr(repo, "_tag_counts", {})
    with seeded.quick_read() as conn:
        got = repo.list_tickets(
            conn,
            tenant_id="ten_a",
            statuses=["open", "pending", "resolved", "closed"],
            channels=None,
            priorities=None,
            tag="nobody-uses-this",
            updated_after=None,
            after=None,
            limit=7,
        )
    assert got == []


def test_a_rare_tag_is_read_from_the_tag_index_on_sqlite(tmp_path):
    # The point of the tag-first statement: SQLite starts from (tenant_id, tag) in
    # ticket_tags and reaches tickets by key, and cannot fall back to walking the tenant's
    # tickets (the plan SQLite picks on its own, whatever the tag).
    db = Database(f"sqlite:///{tmp_path / 'plan.db'}")
    db.upgrade()
    sql = (
        repo._list_tickets_stmt(1, 0, 0, True, False, False, True)._compiled(db.engine.dialect).sql
    )
    with db.engine.connect() as conn:
        plan = [
            row[3]
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, ("ten_a", "rare", "ten_a", "open", 26, 0)
            )
        ]
    assert "ix_ticket_tags_tenant_tag" in plan[0], plan
    assert not any("ix_tickets_" in step for step in plan), plan
    db.dispose()


def test_prepared_first_and_none(seeded):
    stmt = sa.select(tickets.c.ticket_id, tickets.c.tags).where(
        tickets.c.ticket_id == sa.bindparam("ticket_id")
    )
    prepared = Prepared(stmt)
    with seeded.quick_read() as conn:
        assert prepared.first(conn, {"ticket_id": "tkt_" + "0" * 24 + "01"}) == {
            "ticket_id": "tkt_" + "0" * 24 + "01",
            "tags": ["t1", "vip"],
        }
        assert prepared.first(conn, {"ticket_id": "nope"}) is None


def test_prepared_refuses_expanding_parameters(seeded):
    stmt = sa.select(tickets.c.ticket_id).where(
        tickets.c.status.in_(sa.bindparam("statuses", expanding=True))
    )
    with seeded.quick_read() as conn, pytest.raises(ValueError, match="expanding"):
        Prepared(stmt).all(conn, {"statuses": ["open"]})


def test_sqlite_quick_reader_is_one_connection_per_thread(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'q.db'}")
    db.upgrade()
    with db.quick_read() as a, db.quick_read() as b:
        assert a.connection is b.connection
        assert a.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other = []

    def in_thread():
        with db.quick_read() as c:
            other.append(c.connection)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert other[0] is not a.connection
    db.dispose()
    with pytest.raises(Exception, match="closed"):
        a.connection.execute("SELECT 1")


def test_quick_reads_see_committed_writes_at_once(seeded):
    with seeded.quick_read() as conn:
        before = repo.find_key_by_secret(conn, secret_hash="h" * 64, now=0)
    assert before is None
    with seeded.write() as conn:
        repo.insert_key(
            conn,
            key_id="key_1",
            tenant_id="ten_a",
            name="k",
            scopes=["support.read"],
            secret_hash="h" * 64,
            created_at=0,
        )
    with seeded.quick_read() as conn:
        found = repo.find_key_by_secret(conn, secret_hash="h" * 64, now=0)
    assert found is not None and found["key_id"] == "key_1"
    with seeded.write() as conn:
        repo.revoke_key(conn, key_id="key_1", revoked_at=1)
    with seeded.quick_read() as conn:
        assert repo.find_key_by_secret(conn, secret_hash="h" * 64, now=0) is None


@pytest.mark.parametrize(
    ("framework", "inline", "expect_loop"),
    [
        ("async", True, {"listTickets": True, "createTicket": False}),
        ("async", False, {"listTickets": False, "getTicket": False}),
        ("async", True, {"getAction": True, "updateTicket": False}),
    ],
)
def test_async_handlers_run_reads_on_the_loop_and_the_rest_in_threads(
    framework, inline, expect_loop
):
    from threada.specindex import SpecIndex

    seen: dict[str, int] = {}

    def recorder(name):
        def handler(**kwargs):
            seen[name] = threading.get_ident()
            return kwargs

        return handler

    table = {name: recorder(name) for name in expect_loop}
    resolve = app_module.resolver(
        table,
        SpecIndex(load_spec()),
        framework=framework,
        inline_budget=0.005 if inline else None,
    )

    async def main():
        loop_thread = threading.get_ident()
        for name, on_loop in expect_loop.items():
            handler = resolve(name)
            assert asyncio.iscoroutinefunction(handler)
            assert await handler(a=1) == {"a": 1}
            assert (seen[name] == loop_thread) is on_loop, name

    asyncio.run(main())


def test_flask_handlers_and_coroutine_handlers_are_used_as_they_are():
    from threada.specindex import SpecIndex

    def listTickets():  # noqa: N802
        return None

    async def runAction():  # noqa: N802
        return None

    table = {"listTickets": listTickets, "runAction": runAction}
    index = SpecIndex(load_spec())
    flask = app_module.resolver(table, index, framework="flask", inline_budget=0.005)
    assert flask("listTickets") is listTickets
    on_async = app_module.resolver(table, index, framework="async", inline_budget=0.005)
    assert on_async("runAction") is runAction


def _app_with_tickets(tmp_path, n, **config):
    from threada.app import create_app
    from threada.domain import auth

    app = create_app(
        {
            "framework": "async",
            "database_url": f"sqlite:///{tmp_path / 'budget.db'}",
            "var_dir": str(tmp_path),
            "secret_key": "budget-test-secret",
            **config,
        }
    )
    db = app.threada_services.db
    tenant = auth.create_tenant(db, name="budget")
    _, secret = auth.create_key(db, tenant=tenant["tenant_id"], name="k", scopes=["support.read"])
    with db.write() as conn:
        for i in range(n):
            repo.insert_ticket(
                conn,
                row={
                    "ticket_id": f"tkt_{i:026d}",
                    "tenant_id": tenant["tenant_id"],
                    "subject": f"s{i}",
                    "status": "open",
                    "priority": "high" if i == 7 else "normal",
                    "channel": "chat" if i == 7 else "email",
                    "tags": ["common"] + (["rare"] if i == 7 else []),
                    "contact_name": None,
                    "contact_email": "a@example.com",
                    "contact_phone": None,
                    "created_at": i,
                    "updated_at": i,
                    "last_message_at": i,
                },
            )
    return app, {"X-Api-Key": secret}


@pytest.mark.parametrize(("budget_ms", "offloaded"), [(0, True), (5000, False)])
def test_an_inline_read_past_its_budget_moves_to_a_thread(
    tmp_path, monkeypatch, budget_ms, offloaded
):
    """A filter that makes SQLite walk the tenant's index is interrupted on the event loop
    once it passes the budget, and answered from the thread pool, with the same answer."""
    app, headers = _app_with_tickets(tmp_path, 400, inline_read_budget_ms=budget_ms)
    calls = []
    original = app_module.run_in_threadpool

    async def counting(fn, *args, **kwargs):
        calls.append(fn.__name__)
        return await original(fn, *args, **kwargs)

    monkeypatch.setattr(app_module, "run_in_threadpool", counting)
    base = "/api/v1/public"
    with app.test_client() as c:
        # A priority no ticket has, and one only ticket 7 has: SQLite walks the tenant's
        # open tickets for both. (A rare tag or channel no longer does: the tag's rows are
        # read first, and a channel has an index of its own, migration 0006.)
        r = c.get(f"{base}/tickets?priority=urgent&limit=5", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"items": [], "next_page_token": None}
        r = c.get(f"{base}/tickets?priority=high&limit=5", headers=headers)
        assert r.status_code == 200, r.text
        assert [t["ticket_id"] for t in r.json()["items"]] == [f"tkt_{7:026d}"]
    assert calls == (["listTickets", "listTickets"] if offloaded else [])
    app.threada_services.db.dispose()


def test_page_tokens_derive_the_signing_key_once(monkeypatch):
    # The signer (and the key it derives from secret and salt) is built once, not per token;
    # tokens still verify, and those of another secret still do not.
    from itsdangerous import Signer, URLSafeSerializer
    from threada.domain.errors import InvalidRequest
    from threada.domain.pagination import PageTokens

    derived = []
    original = Signer.derive_key

    def counting(self, secret_key=None):
        derived.append(secret_key)
        return original(self, secret_key)

    monkeypatch.setattr(Signer, "derive_key", counting)
    tokens = PageTokens(b"secret")
    filters = {"status": ["open"]}
    for i in range(50):
        token = tokens.encode(tenant_id="ten_a", kind="tickets", filters=filters, position=[i, "x"])
        assert tokens.decode(token, tenant_id="ten_a", kind="tickets", filters=filters) == [i, "x"]
    assert len(derived) == 1
    with pytest.raises(InvalidRequest):
        PageTokens(b"other").decode(token, tenant_id="ten_a", kind="tickets", filters=filters)
    # Still itsdangerous's format: its stock serializer, same settings, reads the payload.
    import hashlib

    import orjson

    stock = URLSafeSerializer(
        b"secret",
        salt="threada.page-token.v1",
        serializer=orjson,
        signer_kwargs={"digest_method": hashlib.sha256},
    )
    assert stock.loads(token)["p"] == [49, "x"]


# --- the request validator's fast verdict ------------------------------------------------------

_DOC = load_spec()
_SCHEMAS = sorted(_DOC["components"]["schemas"])
_TRICKY = [
    "", "a", "vip", "vip\n", "VIP", "v i p", "\u0663", "x" * 300, "tkt_" + "0" * 26,
    "+919876543210", "+9198765432\u0661", "919876543210", "user@example.com",
    "asha.verma@example.in", "user@localhost", "a@b", "@example.com", "user@example.test",
    "https://hooks.example.com/threada", "http://127.0.0.1:9/x", "ftp://x", "not a uri",
    "/hooks/threada", "/a/../b", "//evil", "/a%2fb", "/ok?x=1", "Content-Type", "X-Source",
    "Host", "x-forwarded-for", "whsec_abc=", "2026-12-01T10:00:00.000Z", "2026-13-01",
    "open", "pending", "email", "chat", "high", "user", "agent", "POST", "ticket.created",
    0, 1, 1.0, 1.5, -1, 599, 100, 10**20, True, False, None, [], {}, ["vip", "vip"],
    ["vip", "refund"], {"a": "b"}, {"X-Source": "threada"},
]  # fmt: skip


def _examples(name: str) -> list:
    schema = _DOC["components"]["schemas"][name]
    return [*schema.get("examples", []), {}, []]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


def _set(value, path, new):
    if not path:
        return new
    out = copy.deepcopy(value)
    node = out
    for step in path[:-1]:
        node = node[step]
    if new is _DELETE and isinstance(node, dict):
        node.pop(path[-1], None)
    elif new is _DELETE:
        node.pop(path[-1])
    else:
        node[path[-1]] = new
    return out


_DELETE = object()


@st.composite
def _instances(draw):
    name = draw(st.sampled_from(_SCHEMAS))
    value = draw(st.sampled_from(_examples(name)))
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(list(_paths(value))))
        new = draw(st.sampled_from([*_TRICKY, _DELETE] if path else _TRICKY))
        if isinstance(new, str) and draw(st.booleans()):
            new = draw(st.text(alphabet=new + "\n\u0663-_./@", max_size=12)) or new
        target = _get(value, path[:-1]) if path else None
        if isinstance(target, dict) and draw(st.booleans()):
            path = (*path[:-1], draw(st.sampled_from([*_TRICKY[:8], "unknown_member"])))
            if not isinstance(path[-1], str):
                path = path[:-1] + ("unknown_member",)
        value = _set(value, path, new)
    return name, value


def _get(value, path):
    for step in path:
        value = value[step]
    return value


_CHECKERS: dict = {}


def _checkers(name: str):
    if name not in _CHECKERS:
        schema = {"$ref": f"#/components/schemas/{name}", "components": _DOC["components"]}
        _CHECKERS[name] = (validator_for(schema), fast_check_for(schema))
    return _CHECKERS[name]


def test_every_component_schema_gets_a_fast_check():
    assert [name for name in _SCHEMAS if _checkers(name)[1] is None] == []


@settings(max_examples=3000, deadline=None)
@given(_instances())
def test_the_fast_verdict_is_the_validators_verdict(case):
    name, value = case
    slow, fast = _checkers(name)
    assert fast(value) == slow.is_valid(value), (name, value, list(slow.iter_errors(value)))


def test_the_fast_verdict_on_the_bad_input_corpus():
    """Every body of the shared bad-input corpus that is JSON, against the schema of the
    operation it is sent to: the same verdict."""
    import bad_input

    targets = {
        ("POST", "/tickets"): "TicketCreate",
        ("PATCH", "/tickets/{ticket}"): "TicketPatch",
        ("POST", "/tickets/{ticket}/messages"): "MessageCreate",
        ("POST", "/tickets/{ticket}/actions"): "ActionCreate",
    }
    seen = 0
    for case in bad_input.CASES:
        name = targets.get((case.method, case.path.replace("{base}", "")))
        if name is None or not case.body:
            continue
        try:
            value = parse_json(case.body)
        except BadInput:
            continue  # refused before any schema is asked
        slow, fast = _checkers(name)
        assert fast(value) == slow.is_valid(value), (case.id, value)
        seen += 1
    assert seen > 20


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        (r"\b\u00e9", "\u00e9"),  # jsonschema-rs's own \b is Unicode-aware; ECMA-262's is not
        (r"^\d+$", "\u0663"),  # ECMA-262's \d is [0-9]
        (r"^[a-z]+$", "vip\n"),  # Python's $ would match before the final line feed
    ],
)
def test_patterns_are_ecma_262_in_the_fast_check_too(pattern, text):
    schema = {"type": "string", "pattern": pattern}
    assert validator_for(schema).is_valid(text) is False
    assert fast_check_for(schema)(text) is False


# --- the write path's Prepared statements --------------------------------------------------------


def _rows(conn, table, where):
    keys = tuple(table.c.keys())
    return [dict(zip(keys, r, strict=True)) for r in conn.execute(sa.select(table).where(where))]


def _table_text(conn, table, where):
    """The stored values as the database has them (JSON as text, NULL as None)."""
    cols = [sa.cast(c, sa.Text).label(c.key) for c in table.c]
    return [dict(r._mapping) for r in conn.execute(sa.select(*cols).where(where))]


def test_prepared_writes_store_what_sqlalchemy_stores(seeded):
    """Each INSERT and UPDATE of the write path (repo, run as Prepared) against the same
    statement through Connection.execute: the same stored values, JSON and NULLs included,
    and the same errors (a duplicate key is SQLAlchemy's IntegrityError either way)."""
    from sqlalchemy.exc import IntegrityError
    from threada.storage.tables import idempotency_records, messages, ticket_tags

    def ticket(tid):
        return {
            "ticket_id": tid,
            "tenant_id": "ten_a",
            "subject": "Prepared \u0939\u093f\u0902\u0926\u0940 'quoted' %s",
            "status": "open",
            "priority": "high",
            "channel": "email",
            "tags": ["vip", "refund"],
            "contact_name": None,
            "contact_email": "a@example.com",
            "contact_phone": "+919876543210",
            "created_at": 1_700_000_000_000,
            "updated_at": 1_700_000_000_001,
            "last_message_at": 1_700_000_000_001,
        }

    fast_id, slow_id = "tkt_" + "f" * 26, "tkt_" + "e" * 26
    with seeded.write() as conn:
        repo.insert_ticket(conn, row=ticket(fast_id))
        conn.execute(tickets.insert(), ticket(slow_id))
        conn.execute(
            ticket_tags.insert(),
            [{"ticket_id": slow_id, "tenant_id": "ten_a", "tag": t} for t in ("vip", "refund")],
        )
        for tid in (fast_id, slow_id):
            msg = {
                "message_id": f"msg_{tid[4:]}",
                "ticket_id": tid,
                "tenant_id": "ten_a",
                "role": "user",
                "content": "Hello",
                "channel": "email",
                "external_message_id": None,
                "created_at": 1_700_000_000_001,
            }
            if tid == fast_id:
                repo.insert_message(conn, row=msg)
            else:
                conn.execute(messages.insert(), msg)
        repo.update_ticket(
            conn, tenant_id="ten_a", ticket_id=fast_id, values={"status": "pending", "tags": []}
        )
        conn.execute(
            tickets.update().where(tickets.c.ticket_id == slow_id).values(status="pending", tags=[])
        )
        conn.execute(ticket_tags.delete().where(ticket_tags.c.ticket_id == slow_id))
        for key in ("fast", "slow"):
            claim = dict(tenant_id="ten_a", idem_key=key, fingerprint="f" * 64, now=5)
            if key == "fast":
                assert repo.claim_idempotency_key(conn, **claim) is True
                assert repo.claim_idempotency_key(conn, **claim) is False  # taken
                repo.complete_idempotency_record(
                    conn, tenant_id="ten_a", idem_key=key, status=201, body="{}",
                    headers={"Location": "/x"},
                )  # fmt: skip
            else:
                conn.execute(
                    idempotency_records.insert(),
                    {"tenant_id": "ten_a", "idem_key": key, "fingerprint": "f" * 64,
                     "state": "pending", "created_at": 5, "action_id": None},
                )  # fmt: skip
                conn.execute(
                    idempotency_records.update()
                    .where(idempotency_records.c.idem_key == key)
                    .values(state="done", status=201, body="{}", headers={"Location": "/x"})
                )

    def strip(rows, *names):
        return [{k: v for k, v in r.items() if k not in names} for r in rows]

    with seeded.read() as conn:
        for table, where_fast, where_slow, ids in (
            (tickets, tickets.c.ticket_id == fast_id, tickets.c.ticket_id == slow_id,
             ("ticket_id",)),
            (messages, messages.c.ticket_id == fast_id, messages.c.ticket_id == slow_id,
             ("message_id", "ticket_id")),
            (ticket_tags, ticket_tags.c.ticket_id == fast_id, ticket_tags.c.ticket_id == slow_id,
             ("ticket_id",)),
            (idempotency_records, idempotency_records.c.idem_key == "fast",
             idempotency_records.c.idem_key == "slow", ("idem_key",)),
        ):  # fmt: skip
            fast = strip(_table_text(conn, table, where_fast), *ids)
            slow = strip(_table_text(conn, table, where_slow), *ids)
            assert fast == slow, table.name
            assert strip(_rows(conn, table, where_fast), *ids) == strip(
                _rows(conn, table, where_slow), *ids
            )
        assert repo.get_ticket(conn, tenant_id="ten_a", ticket_id=fast_id)["status"] == "pending"
        record = repo.get_idempotency_record(conn, tenant_id="ten_a", idem_key="fast")
        assert (record["state"], record["headers"]) == ("done", {"Location": "/x"})
    with pytest.raises(IntegrityError), seeded.write() as conn:
        repo.insert_ticket(conn, row=ticket(fast_id))


_PARAMETERS = sorted(_DOC["components"]["parameters"])


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(_PARAMETERS),
    st.one_of(
        st.sampled_from(_TRICKY),
        st.text(max_size=20),
        st.text(alphabet="!~ az09\n\t\x7f\u0663", max_size=8),
        st.lists(st.sampled_from(["open", "pending", "email", "chat", "high", "x"]), max_size=6),
        st.integers(-5, 200),
    ),
)
def test_the_fast_verdict_on_parameters(name, value):
    """Path, query and header parameter schemas: the parameter validator asks the fast check
    first too (threada.spec.Parameter2020Validator)."""
    schema = {**_DOC["components"]["parameters"][name]["schema"], "components": _DOC["components"]}
    if text_problems(value, "") or (
        isinstance(value, list) and any(text_problems(v, "") for v in value)
    ):
        return  # refused before any schema
    slow, fast = validator_for(schema), fast_check_for(schema)
    assert fast is not None
    assert fast(value) == slow.is_valid(value), (name, value)
