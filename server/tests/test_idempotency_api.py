"""Idempotency-Key on POSTs, and pagination while rows are inserted (concurrency, real HTTP)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from server.tests.apihelpers import BASE, assert_error, count_rows, example_ticket


def test_replay_returns_the_first_response_and_creates_nothing(client, db, tenant):
    key = str(uuid.uuid4())
    body = example_ticket()
    first = client.post(f"{BASE}/tickets", json=body, headers=tenant.h(**{"Idempotency-Key": key}))
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = client.post(f"{BASE}/tickets", json=body, headers=tenant.h(**{"Idempotency-Key": key}))
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert count_rows(db, "tickets", tenant.tenant_id) == 1


def test_same_key_different_body_is_409(client, db, tenant):
    key = str(uuid.uuid4())
    h = tenant.h(**{"Idempotency-Key": key})
    assert client.post(f"{BASE}/tickets", json=example_ticket(), headers=h).status_code == 201
    r = client.post(f"{BASE}/tickets", json=example_ticket(subject="Other"), headers=h)
    assert_error(r, 409, "idempotency_conflict")
    assert count_rows(db, "tickets", tenant.tenant_id) == 1


def test_keys_are_per_tenant(client, make_tenant):
    key = str(uuid.uuid4())
    t1, t2 = make_tenant(), make_tenant()
    r1 = client.post(
        f"{BASE}/tickets", json=example_ticket(), headers=t1.h(**{"Idempotency-Key": key})
    )
    r2 = client.post(
        f"{BASE}/tickets", json=example_ticket(), headers=t2.h(**{"Idempotency-Key": key})
    )
    assert r1.status_code == r2.status_code == 201
    assert "idempotent-replayed" not in r2.headers
    assert (
        r1.json()["ticket"]["summary"]["ticket_id"] != r2.json()["ticket"]["summary"]["ticket_id"]
    )


def test_add_message_replay(client, db, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    h = tenant.h(**{"Idempotency-Key": "msg-" + uuid.uuid4().hex})
    body = {"role": "agent", "content": "On it."}
    a = client.post(f"{BASE}/tickets/{tid}/messages", json=body, headers=h)
    b = client.post(f"{BASE}/tickets/{tid}/messages", json=body, headers=h)
    assert a.status_code == b.status_code == 201
    assert a.json() == b.json() and b.headers["idempotent-replayed"] == "true"
    assert count_rows(db, "messages", tenant.tenant_id) == 2


def test_failed_first_request_leaves_the_key_free(client, db, tenant):
    h = tenant.h(**{"Idempotency-Key": "retry-" + uuid.uuid4().hex})
    r = client.post(
        f"{BASE}/tickets/tkt_missing/messages", json={"role": "user", "content": "x"}, headers=h
    )
    assert_error(r, 404, "not_found")
    r = client.post(
        f"{BASE}/tickets/tkt_missing/messages", json={"role": "user", "content": "x"}, headers=h
    )
    assert_error(r, 404, "not_found")
    assert "idempotent-replayed" not in r.headers


def test_invalid_idempotency_key_is_400(client, tenant):
    r = client.post(
        f"{BASE}/tickets", json=example_ticket(), headers=tenant.h(**{"Idempotency-Key": "a b"})
    )
    err = assert_error(r, 400, "invalid_request")
    assert err["details"][0]["field"] == "header.Idempotency-Key"


def test_records_expire(client, db, tenant):
    from threada.storage import repo

    key = "old-" + uuid.uuid4().hex
    h = tenant.h(**{"Idempotency-Key": key})
    assert client.post(f"{BASE}/tickets", json=example_ticket(), headers=h).status_code == 201
    # Age the record past 24 h
    import sqlalchemy as sa
    from threada.storage.tables import idempotency_records as rec

    with db.write() as conn:
        conn.execute(
            sa.update(rec)
            .where(rec.c.idem_key == key)
            .values(created_at=rec.c.created_at - 25 * 3600 * 1000)
        )
    r = client.post(f"{BASE}/tickets", json=example_ticket(subject="New"), headers=h)
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert count_rows(db, "tickets", tenant.tenant_id) == 2
    with db.write() as conn:
        assert repo.purge_idempotency_records(conn, older_than=0, limit=100) == 0


def test_twenty_concurrent_requests_with_one_key_create_one_ticket(live_server, db, tenant):
    key = "burst-" + uuid.uuid4().hex
    body = example_ticket()
    barrier = threading.Barrier(20)

    def send(_):
        with httpx.Client(base_url=live_server, timeout=30) as c:
            barrier.wait()
            return c.post(
                f"{BASE}/tickets", json=body, headers=tenant.h(**{"Idempotency-Key": key})
            )

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(send, range(20)))
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]
    ids = {r.json()["ticket"]["summary"]["ticket_id"] for r in responses}
    assert len(ids) == 1
    assert sum(1 for r in responses if "idempotent-replayed" not in r.headers) == 1
    assert count_rows(db, "tickets", tenant.tenant_id) == 1


def test_pagination_while_inserting_returns_each_row_once(live_server, tenant):
    h = tenant.h()
    before = []
    with httpx.Client(base_url=live_server, timeout=30) as c:
        for _ in range(30):
            r = c.post(f"{BASE}/tickets", json=example_ticket(), headers=h)
            assert r.status_code == 201
            before.append(r.json()["ticket"]["summary"]["ticket_id"])
    stop = threading.Event()

    def insert():
        with httpx.Client(base_url=live_server, timeout=30) as c:
            while not stop.is_set():
                c.post(f"{BASE}/tickets", json=example_ticket(), headers=h)

    writer = threading.Thread(target=insert)
    writer.start()
    try:
        seen, token = [], None
        with httpx.Client(base_url=live_server, timeout=30) as c:
            while True:
                q = "?limit=4" + (f"&page_token={token}" if token else "")
                page = c.get(f"{BASE}/tickets{q}", headers=h).json()
                assert "items" in page, page
                seen += [t["ticket_id"] for t in page["items"]]
                token = page["next_page_token"]
                if not token:
                    break
    finally:
        stop.set()
        writer.join()
    assert len(seen) == len(set(seen))
    # No gaps: every ticket that existed before the walk began was seen, in order.
    assert [t for t in seen if t in set(before)] == list(reversed(before))
