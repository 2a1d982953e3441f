"""The maintenance task: stale running actions finished as interrupted, old idempotency
records purged in bounded batches (young ones kept)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from threada.domain import maintenance
from threada.ids import new_id, now_ms
from threada.storage import repo
from threada.storage.tables import actions, idempotency_records

from server.tests.apihelpers import BASE


def _record(db, tenant_id: str, key: str, created_at: int) -> None:
    with db.write() as conn:
        assert repo.claim_idempotency_key(
            conn, tenant_id=tenant_id, idem_key=key, fingerprint="f" * 64, now=created_at
        )


def _keys(db, tenant_id: str) -> set[str]:
    r = idempotency_records.c
    with db.read() as conn:
        return set(conn.execute(sa.select(r.idem_key).where(r.tenant_id == tenant_id)).scalars())


def test_purge_deletes_records_past_the_ttl_in_batches_and_keeps_young_ones(db, tenant):
    ttl = 3600
    now = now_ms()
    old = {f"old-{i}-{uuid.uuid4().hex[:6]}" for i in range(5)}
    young = {f"young-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)}
    for key in old:
        _record(db, tenant.tenant_id, key, now - ttl * 1000 - 60_000)
    for key in young:
        _record(db, tenant.tenant_id, key, now - ttl * 1000 + 60_000)
    assert _keys(db, tenant.tenant_id) == old | young
    purged = maintenance.purge_idempotency_records(db, ttl_seconds=ttl, batch=2)
    assert purged >= len(old)
    assert _keys(db, tenant.tenant_id) == young
    assert maintenance.purge_idempotency_records(db, ttl_seconds=ttl, batch=2) == 0


def test_purge_stops_after_its_batches(db, tenant):
    now = now_ms()
    keys = {f"many-{i}-{uuid.uuid4().hex[:6]}" for i in range(5)}
    for key in keys:
        _record(db, tenant.tenant_id, key, now - 7_200_000)
    first = maintenance.purge_idempotency_records(db, ttl_seconds=3600, batch=2, max_batches=1)
    assert first == 2 and len(_keys(db, tenant.tenant_id)) == 3
    maintenance.purge_idempotency_records(db, ttl_seconds=3600, batch=2)
    assert _keys(db, tenant.tenant_id) == set()


def test_a_stale_running_action_is_finished_as_interrupted(client, db, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    now = now_ms()
    rows = {}
    for name, deadline in (("stale", now - 1000), ("live", now + 60_000)):
        rows[name] = new_id("act")
        with db.write() as conn:
            repo.insert_action(
                conn,
                row={
                    "action_id": rows[name],
                    "ticket_id": tid,
                    "tenant_id": tenant.tenant_id,
                    "action_type": "custom_http",
                    "status": "running",
                    "requested_by": "api_key:key_x",
                    "payload": {"type": "custom_http", "method": "GET", "url": "/x"},
                    "result": None,
                    "created_at": now - 20_000,
                    "completed_at": None,
                    "deadline_at": deadline,
                },
            )
    report = maintenance.run(db, idempotency_ttl_seconds=86400, purge_batch=100)
    assert report.interrupted >= 1
    stale = client.get(f"{BASE}/tickets/{tid}/actions/{rows['stale']}", headers=tenant.h()).json()
    assert stale["action"]["status"] == "failed"
    assert stale["action"]["result"]["error"] == "interrupted"
    assert stale["action"]["completed_at"] is not None
    live = client.get(f"{BASE}/tickets/{tid}/actions/{rows['live']}", headers=tenant.h()).json()
    assert live["action"]["status"] == "running"
    with db.write() as conn:  # leave nothing running for other tests' caps
        conn.execute(sa.delete(actions).where(actions.c.action_id == rows["live"]))
