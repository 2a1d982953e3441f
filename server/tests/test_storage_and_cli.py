"""Storage (migrations, indexes), ids and times, page tokens, and the admin CLI."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from threada.cli import main
from threada.domain.errors import InvalidRequest
from threada.domain.pagination import PageTokens
from threada.ids import new_id, parse_rfc3339, rfc3339
from threada.storage.db import Database
from threada.storage.tables import metadata

from server.tests.apihelpers import BASE
from server.tests.conftest import new_database_url


def test_ids_and_times():
    a, b = new_id("tkt"), new_id("tkt")
    assert re.match(r"^tkt_[0-9A-HJKMNP-TV-Z]{26}$", a) and a < b
    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert rfc3339(1_764_100_000_000) == "2025-11-25T19:46:40.000Z"
    # Text order is time order, across whole seconds too.
    assert rfc3339(1_764_100_000_000) < rfc3339(1_764_100_000_013) < rfc3339(1_764_100_001_000)
    assert rfc3339(1_764_100_000_123) == "2025-11-25T19:46:40.123Z"
    assert parse_rfc3339("2025-11-25T19:46:40.123Z") == 1_764_100_000_123
    assert parse_rfc3339("2025-11-26T01:16:40.123+05:30") == 1_764_100_000_123
    for bad in ("2025-11-25", "2025-11-25T19:46:40", "soon"):
        with pytest.raises(ValueError):
            parse_rfc3339(bad)


def test_page_tokens_are_signed_and_bound():
    tokens = PageTokens(b"secret")
    token = tokens.encode(tenant_id="ten_a", kind="tickets", filters={"s": 1}, position=[1, "x"])
    assert tokens.decode(token, tenant_id="ten_a", kind="tickets", filters={"s": 1}) == [1, "x"]
    for kwargs in (
        {"tenant_id": "ten_b", "kind": "tickets", "filters": {"s": 1}},
        {"tenant_id": "ten_a", "kind": "messages", "filters": {"s": 1}},
        {"tenant_id": "ten_a", "kind": "tickets", "filters": {"s": 2}},
    ):
        with pytest.raises(InvalidRequest):
            tokens.decode(token, **kwargs)
    with pytest.raises(InvalidRequest):
        PageTokens(b"other").decode(token, tenant_id="ten_a", kind="tickets", filters={"s": 1})


@pytest.fixture
def fresh_url(db_backend, tmp_path_factory, pg_cluster):
    return new_database_url(db_backend, tmp_path_factory, pg_cluster)


def test_migrations_create_exactly_the_tables(fresh_url):
    db = Database(fresh_url)
    db.upgrade()
    db.upgrade()  # idempotent
    inspector = sa.inspect(db.engine)
    assert set(metadata.tables) <= set(inspector.get_table_names())
    for name, table in metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == set(table.columns.keys())
    db.dispose()


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_ticket_pages_use_the_activity_index(tmp_path):
    """Keyset paging walks an index; a deep page costs what the first does."""
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    db.upgrade()
    with db.read() as conn:
        compiled = sa.text(
            "EXPLAIN QUERY PLAN SELECT * FROM tickets WHERE tenant_id = 'a' AND status IN ('open')"
            " AND (updated_at, ticket_id) < (5, 'x') ORDER BY updated_at DESC, ticket_id DESC"
            " LIMIT 26"
        )
        plan = " ".join(str(row) for row in conn.execute(compiled))
    assert "ix_tickets_tenant_status_activity" in plan and "TEMP B-TREE" not in plan
    db.dispose()


def test_admin_cli_round_trip(fresh_url, tmp_path, monkeypatch):
    monkeypatch.setenv("THREADA_DATABASE_URL", fresh_url)
    monkeypatch.setenv("THREADA_VAR_DIR", str(tmp_path))
    run = CliRunner().invoke
    r = run(main, ["admin", "tenants", "create", "acme"])
    assert r.exit_code == 0, r.output
    assert run(main, ["admin", "tenants", "create", "acme"]).exit_code != 0
    r = run(
        main,
        [
            "admin",
            "keys",
            "create",
            "--tenant",
            "acme",
            "--name",
            "zapier",
            "--scope",
            "support.read",
            "--scope",
            "support.write",
        ],
    )
    assert r.exit_code == 0, r.output
    key_id = r.output.split()[0]
    secret = re.search(r"thr_live_\S+", r.output).group(0)
    r = run(main, ["admin", "keys", "list"])
    assert key_id in r.output and "state=active" in r.output and secret not in r.output
    r = run(main, ["admin", "tenants", "set-limit", "acme", "120"])
    assert "limit/min=120" in r.output
    r = run(
        main,
        ["admin", "tenants", "set", "acme", "--actions-base-url", "https://Hooks.Example.com/"],
    )
    assert "actions_base_url=https://hooks.example.com" in r.output, r.output
    r = run(main, ["admin", "tenants", "set", "acme", "--actions-base-url", "ftp://x"])
    assert r.exit_code != 0
    assert "actions-in-flight=default (4)" in run(main, ["admin", "tenants", "list"]).output
    r = run(main, ["admin", "tenants", "set", "acme", "--max-actions-in-flight", "2"])
    assert r.exit_code == 0 and "actions-in-flight=2 " in r.output, r.output
    r = run(main, ["admin", "tenants", "set", "acme", "--max-actions-in-flight", "0"])
    assert r.exit_code != 0 and "at least 1" in r.output
    r = run(main, ["admin", "tenants", "set", "acme", "--default-max-actions-in-flight"])
    assert "actions-in-flight=default (4)" in r.output, r.output
    r = run(main, ["admin", "keys", "rotate", key_id, "--grace", "60"])
    assert r.exit_code == 0 and "new secret" in r.output
    assert "state=rotating" in run(main, ["admin", "keys", "list"]).output
    r = run(main, ["admin", "keys", "revoke", key_id])
    assert r.exit_code == 0
    assert "state=revoked" in run(main, ["admin", "keys", "list", "--tenant", "acme"]).output
    assert run(main, ["admin", "keys", "revoke", "key_nope"]).exit_code != 0


def test_testing_tenants_get_thr_test_keys(fresh_url, tmp_path, monkeypatch):
    """A tenant marked for testing hands out thr_test_ keys (the contract suite's write gate)."""
    monkeypatch.setenv("THREADA_DATABASE_URL", fresh_url)
    monkeypatch.setenv("THREADA_VAR_DIR", str(tmp_path))
    run = CliRunner().invoke

    def new_key(tenant: str) -> tuple[str, str]:
        r = run(
            main,
            ["admin", "keys", "create", "--tenant", tenant, "--name", "ci"]
            + ["--scope", "support.read"],
        )
        assert r.exit_code == 0, r.output
        return r.output.split()[0], re.search(r"secret \(shown once\): (\S+)", r.output).group(1)

    r = run(main, ["admin", "tenants", "create", "sandbox", "--testing"])
    assert r.exit_code == 0 and "testing=yes" in r.output, r.output
    assert "testing=no" in run(main, ["admin", "tenants", "create", "prod"]).output
    key_id, secret = new_key("sandbox")
    assert secret.startswith("thr_test_")
    assert new_key("prod")[1].startswith("thr_live_")
    r = run(main, ["admin", "keys", "rotate", key_id, "--grace", "0"])
    assert re.search(r"new secret \(shown once\): thr_test_", r.output), r.output
    # Unmarking while a (maybe thr_test_) key works would let it write to a live tenant.
    r = run(main, ["admin", "tenants", "set", "sandbox", "--no-testing"])
    assert r.exit_code != 0 and "revoke them first" in r.output, r.output
    assert run(main, ["admin", "keys", "revoke", key_id]).exit_code == 0
    r = run(main, ["admin", "tenants", "set", "sandbox", "--no-testing"])
    assert "testing=no" in r.output, r.output
    assert new_key("sandbox")[1].startswith("thr_live_")
    assert "testing=yes" in run(main, ["admin", "tenants", "set", "prod", "--testing"]).output
    assert new_key("prod")[1].startswith("thr_test_")


def test_demo_setup_creates_once_and_its_key_works(fresh_url, tmp_path, monkeypatch):
    from threada.app import create_app
    from threada.cli import _ensure_demo

    db = Database(fresh_url)
    db.upgrade()
    secret = _ensure_demo(db, tmp_path)
    assert secret and _ensure_demo(db, tmp_path) == secret
    app = create_app({"database_url": fresh_url, "var_dir": str(tmp_path), "secret_key": "s"})
    with app.test_client() as c:
        r = c.get(f"{BASE}/tickets?limit=25", headers={"X-Api-Key": secret})
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    db.dispose()


def test_db_upgrade_command(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("THREADA_DATABASE_URL", url)
    r = CliRunner().invoke(main, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    db = Database(url)
    assert "tickets" in sa.inspect(db.engine).get_table_names()
    db.dispose()


def test_the_migrations_create_exactly_the_tables(fresh_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from threada.storage.tables import metadata

    db = Database(fresh_url)
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.dispose()
    if db.is_sqlite:
        # Migrations 0005 and 0006 give SQLite's status and channel indexes the tags' JSON
        # text as a key column (PostgreSQL INCLUDEs it, as tables.py says); nothing else
        # may differ.
        sqlite_only = ("ix_tickets_tenant_status_activity", "ix_tickets_tenant_channel_activity")
        diff = [
            d
            for d in diff
            if not (d[0] in ("add_index", "remove_index") and d[1].name in sqlite_only)
        ]
    assert diff == []


@pytest.mark.parametrize(
    "url",
    [
        "http://0177.0.0.1",
        "http://2130706433",
        "http://127.1",
        "http://0x7f.0.0.1",
        "http://0x7f000001:8080/base",
        "http://127.0.0.1:9000",
        "http://localhost:9000",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/",
        "http://10.1.2.3/",
    ],
)
def test_admin_refuses_base_urls_every_call_would_refuse(url, tmp_path, monkeypatch):
    from click.testing import CliRunner
    from threada.cli import main

    monkeypatch.setenv("THREADA_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("THREADA_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("THREADA_ACTIONS_ALLOW", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["admin", "tenants", "create", "acme"]).exit_code == 0
    r = runner.invoke(main, ["admin", "tenants", "set", "acme", "--actions-base-url", url])
    assert r.exit_code != 0, r.output
    assert "Traceback" not in r.output
    listed = runner.invoke(main, ["admin", "tenants", "list", "--json"]).output
    assert json.loads(listed)[0]["actions_base_url"] is None


def test_admin_judges_a_base_url_with_the_tenants_own_exact_targets(tmp_path, monkeypatch):
    """THREADA_ACTIONS_TENANT_TARGETS grants one tenant one exact address and port (demo
    mode's receiver): the admin check lets that tenant have it, as its calls would, and
    still refuses it to every other tenant."""
    from click.testing import CliRunner
    from threada.cli import main

    monkeypatch.setenv("THREADA_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("THREADA_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("THREADA_ACTIONS_ALLOW", raising=False)
    runner = CliRunner()
    for name in ("demo", "acme"):
        assert runner.invoke(main, ["admin", "tenants", "create", name]).exit_code == 0
    tenants = json.loads(runner.invoke(main, ["admin", "tenants", "list", "--json"]).output)
    demo_id = next(t["tenant_id"] for t in tenants if t["name"] == "demo")
    monkeypatch.setenv("THREADA_ACTIONS_TENANT_TARGETS", f"{demo_id} 127.0.0.1:8765")
    url = "http://127.0.0.1:8765/_demo"
    r = runner.invoke(main, ["admin", "tenants", "set", "demo", "--actions-base-url", url])
    assert r.exit_code == 0 and f"actions_base_url={url}" in r.output, r.output
    r = runner.invoke(main, ["admin", "tenants", "set", "acme", "--actions-base-url", url])
    assert r.exit_code != 0 and "loopback" in r.output, r.output
    other_port = "http://127.0.0.1:8766/_demo"
    r = runner.invoke(main, ["admin", "tenants", "set", "demo", "--actions-base-url", other_port])
    assert r.exit_code != 0 and "loopback" in r.output, r.output
