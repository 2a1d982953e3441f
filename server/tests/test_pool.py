"""The PostgreSQL pool: no request holds two connections at once, so a pool of one
connection (and no overflow, the default) serves every operation, one after another and
many at once. A request that took a second connection while holding one would wait for
itself until the pool timeout and answer 503 here (server/README.md, "Pool size per
worker", rests on this)."""

from __future__ import annotations

import concurrent.futures
import uuid
from typing import Any

import pytest
from threada.app import create_app
from threada.domain import auth

from server.tests.apihelpers import ALL_SCOPES, BASE, example_ticket
from server.tests.conftest import new_database_url, outbound_policy_for_tests


@pytest.fixture(scope="module", params=["async", "flask"])
def one_connection(request: Any, tmp_path_factory: Any, pg_cluster: Any) -> Any:
    url = new_database_url("postgresql", tmp_path_factory, pg_cluster)
    app = create_app(
        {
            "framework": request.param,
            "database_url": url,
            "var_dir": str(tmp_path_factory.mktemp("var")),
            "secret_key": "test-secret-" + uuid.uuid4().hex,
            "outbound_policy": outbound_policy_for_tests(),
            "unauthenticated_limit": 0,
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout_seconds": 3,
        }
    )
    db = app.threada_services.db
    tenant = auth.create_tenant(db, name=f"pool-{uuid.uuid4().hex[:8]}")
    _, secret = auth.create_key(
        db, tenant=tenant["tenant_id"], name="all", scopes=[*ALL_SCOPES, "support.webhooks"]
    )
    with app.test_client() as client:
        yield client, {"X-Api-Key": secret}


def test_every_operation_on_a_pool_of_one(one_connection):
    client, h = one_connection
    idem = {**h, "Idempotency-Key": uuid.uuid4().hex}
    body = example_ticket()
    r = client.post(f"{BASE}/tickets", json=body, headers=idem)
    assert r.status_code == 201, r.text
    tid = r.json()["ticket"]["summary"]["ticket_id"]
    replay = client.post(f"{BASE}/tickets", json=body, headers=idem)
    assert (replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, "true")
    steps = [
        client.get(f"{BASE}/tickets?limit=5", headers=h),
        client.get(f"{BASE}/tickets?channel=email&tag=vip", headers=h),
        client.get(f"{BASE}/tickets/{tid}", headers=h),
        client.patch(
            f"{BASE}/tickets/{tid}",
            json={"status": "pending"},
            headers={**h, "Content-Type": "application/merge-patch+json"},
        ),
        client.post(
            f"{BASE}/tickets/{tid}/messages",
            json={"role": "agent", "content": "On it"},
            headers={**h, "Idempotency-Key": uuid.uuid4().hex},
        ),
        client.get(f"{BASE}/tickets/{tid}/messages", headers=h),
        client.get(f"{BASE}/tickets/{tid}/actions", headers=h),
        client.post(
            f"{BASE}/webhook_endpoints",
            json={"url": "https://hooks.example.invalid/t", "event_types": ["ticket.created"]},
            headers={**h, "Idempotency-Key": uuid.uuid4().hex},
        ),
        client.get(f"{BASE}/webhook_endpoints", headers=h),
        client.get(f"{BASE}/tickets/tkt_{'0' * 26}", headers=h),  # 404 after a lookup
    ]
    got = [(r.status_code, r.text[:200]) for r in steps]
    assert [s for s, _ in got] == [200, 200, 200, 200, 201, 200, 200, 201, 200, 404], got


def test_many_requests_at_once_share_the_one_connection(one_connection):
    client, h = one_connection

    def create(i: int) -> int:
        body = example_ticket(subject=f"at once {i}")
        return client.post(f"{BASE}/tickets", json=body, headers=h).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(create, range(24)))
    assert statuses == [201] * 24
    listed = client.get(f"{BASE}/tickets?limit=100", headers=h).json()["items"]
    assert sum(t["subject"].startswith("at once") for t in listed) == 24
