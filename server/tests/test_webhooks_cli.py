"""`threada admin keys create --scope support.webhooks`, `threada admin webhooks list|replay`."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from click.testing import CliRunner
from threada.cli import main
from threada.domain import auth, tickets
from threada.domain import webhooks as domain
from threada.outbound import OutboundPolicy
from threada.storage.db import Database

from server.tests.apihelpers import example_ticket


def test_admin_webhooks_list_and_replay(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("THREADA_DATABASE_URL", url)
    monkeypatch.setenv("THREADA_VAR_DIR", str(tmp_path))
    run = CliRunner().invoke
    assert run(main, ["admin", "tenants", "create", "acme"]).exit_code == 0
    r = run(
        main,
        ["admin", "keys", "create", "--tenant", "acme", "--name", "hooks"]
        + ["--scope", "support.webhooks", "--scope", "support.write"],
    )
    assert r.exit_code == 0, r.output
    secret = re.search(r"thr_live_\S+", r.output).group(0)
    db = Database(url)
    principal = auth.authenticate(db, secret)
    assert principal is not None and principal.scopes == {"support.webhooks", "support.write"}
    ep, _s = domain.create_endpoint(
        db,
        principal=principal,
        body={"url": "http://127.0.0.1:9/wh"},
        policy=OutboundPolicy.allowing("127.0.0.1"),
    )
    eid = ep["endpoint_id"]
    tickets.create_ticket(db, principal=principal, body=example_ticket())

    r = run(main, ["admin", "webhooks", "list", "--tenant", "acme", "--json"])
    assert r.exit_code == 0, r.output
    [d] = json.loads(r.output)
    assert d["endpoint_id"] == eid and d["status"] == "pending" and d["attempts"] == 0
    assert d["event_type"] == "ticket.created" and d["tenant_id"] == principal.tenant_id
    r = run(main, ["admin", "webhooks", "list", "--status", "failed"])
    assert r.exit_code == 0 and r.output == ""

    with db.write() as conn:  # as if it had failed all its attempts
        conn.execute(
            sa.text(
                "UPDATE webhook_deliveries SET status='failed', attempts=9, next_attempt_at=NULL"
            )
        )
    assert d["delivery_id"] in run(main, ["admin", "webhooks", "list", "--status", "failed"]).output
    r = run(main, ["admin", "webhooks", "replay", eid, "--failed"])
    assert r.exit_code == 0 and f"{d['delivery_id']}  queued again" in r.output, r.output
    with db.read() as conn:
        row = conn.execute(sa.text("SELECT status, attempts FROM webhook_deliveries")).one()
    assert tuple(row) == ("pending", 0)

    assert run(main, ["admin", "webhooks", "replay", "whe_nope", "whd_nope"]).exit_code != 0
    assert run(main, ["admin", "webhooks", "replay", eid]).exit_code != 0
    db.dispose()
