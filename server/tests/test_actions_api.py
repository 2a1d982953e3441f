"""Actions through the API: a real receiver on 127.0.0.1 gets exactly what was asked."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx

from server.tests.apihelpers import BASE, assert_error, count_rows

PAGE_PAYLOAD = {
    "type": "custom_http",
    "method": "POST",
    "url": "/hooks/zapier",
    "headers": {"X-Source": "threada"},
    "body_json": '{"event":"ticket_updated"}',
}


def _run(client, t, tid, payload=None, **headers):
    return client.post(
        f"{BASE}/tickets/{tid}/actions",
        json={"payload": payload or PAGE_PAYLOAD},
        headers=t.h("actions", **headers),
    )


def test_page_example_succeeds_and_sends_exactly_that(client, make_tenant, create_ticket, receiver):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    r = _run(client, t, tid)
    assert r.status_code == 201, r.text
    action = r.json()["action"]
    assert action["action_type"] == "custom_http"
    assert action["status"] == "succeeded"
    assert action["tenant_id"] == t.tenant_id and action["ticket_id"] == tid
    assert action["requested_by"] == f"api_key:{t.key_ids['actions']}"
    assert action["payload"] == PAGE_PAYLOAD
    assert action["result"]["http_status"] == 200 and action["result"]["error"] is None
    assert action["completed_at"] >= action["created_at"]
    [sent] = receiver.requests
    assert sent["method"] == "POST" and sent["path"] == "/hooks/zapier"
    assert sent["headers"]["X-Source"] == "threada"
    assert sent["headers"]["Content-Type"] == "application/json"
    assert json.loads(sent["body"]) == {"event": "ticket_updated"}
    # recorded: get and list return the same
    got = client.get(f"{BASE}/tickets/{tid}/actions/{action['action_id']}", headers=t.h("read"))
    assert got.status_code == 200 and got.json() == {"action": action}
    listed = client.get(f"{BASE}/tickets/{tid}/actions", headers=t.h("actions")).json()
    assert listed == {"items": [action], "next_page_token": None}


def test_target_500_is_failed_with_status(client, make_tenant, create_ticket, receiver):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    r = _run(client, t, tid, {**PAGE_PAYLOAD, "url": "/status/500"})
    assert r.status_code == 201
    action = r.json()["action"]
    assert action["status"] == "failed"
    assert action["result"]["http_status"] == 500 and action["result"]["error"]


def test_hanging_target_fails_with_timeout_and_server_keeps_serving(
    live_server, make_tenant, create_ticket, receiver
):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    result = {}

    def slow():
        with httpx.Client(base_url=live_server, timeout=30) as c:
            started = time.monotonic()
            result["r"] = c.post(
                f"{BASE}/tickets/{tid}/actions",
                json={"payload": {**PAGE_PAYLOAD, "url": "/hang"}},
                headers=t.h("actions"),
            )
            result["took"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.3)
    with httpx.Client(base_url=live_server, timeout=30) as c:
        started = time.monotonic()
        assert c.get(f"{BASE}/tickets", headers=t.h("read")).status_code == 200
        assert time.monotonic() - started < 1.0
    thread.join()
    action = result["r"].json()["action"]
    assert action["status"] == "failed" and action["result"]["http_status"] is None
    assert "tim" in action["result"]["error"].lower()
    assert result["took"] < 2.0 + 1.0  # the test policy's total timeout, plus slack


def test_no_base_url_is_409_and_nothing_recorded(client, db, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    err = assert_error(_run(client, tenant, tid), 409, "conflict")
    assert "actions-base-url" in err["message"]
    assert count_rows(db, "actions", tenant.tenant_id) == 0


def test_path_escapes_and_absolute_urls_are_400_and_nothing_sent(
    client, db, make_tenant, create_ticket, receiver
):
    t = make_tenant(actions_base_url=receiver.url + "/base")
    tid = create_ticket(t)["summary"]["ticket_id"]
    for url in ("/../admin", "/a/%2e%2e/%2e%2e/x", "//evil.example.com/x", "/a\\b"):
        r = _run(client, t, tid, {**PAGE_PAYLOAD, "url": url})
        assert_error(r, 400, "invalid_request")
    r = _run(client, t, tid, {**PAGE_PAYLOAD, "headers": {"Host": "evil.example.com"}})
    assert_error(r, 400, "invalid_request")
    assert receiver.requests == []
    assert count_rows(db, "actions", t.tenant_id) == 0


def test_blocked_address_is_failed_without_connection(client, db, make_tenant, create_ticket):
    # 10.x is private and not in the test policy's allow list.
    t = make_tenant(actions_base_url="http://10.255.255.1:9")
    tid = create_ticket(t)["summary"]["ticket_id"]
    r = _run(client, t, tid)
    assert r.status_code == 201
    action = r.json()["action"]
    assert action["status"] == "failed" and action["result"]["http_status"] is None
    assert "polic" in action["result"]["error"].lower() or "block" in action["result"]["error"]


def test_replay_never_fires_twice(client, db, make_tenant, create_ticket, receiver):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    key = str(uuid.uuid4())
    a = _run(client, t, tid, **{"Idempotency-Key": key})
    b = _run(client, t, tid, **{"Idempotency-Key": key})
    assert a.status_code == b.status_code == 201
    assert a.json() == b.json() and b.headers["idempotent-replayed"] == "true"
    assert len(receiver.requests) == 1
    assert count_rows(db, "actions", t.tenant_id) == 1


def test_actions_list_newest_first_with_pages(client, make_tenant, create_ticket, receiver):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    ids = [_run(client, t, tid).json()["action"]["action_id"] for _ in range(3)]
    seen, token = [], None
    while True:
        q = "?limit=2" + (f"&page_token={token}" if token else "")
        page = client.get(f"{BASE}/tickets/{tid}/actions{q}", headers=t.h("read")).json()
        seen += [a["action_id"] for a in page["items"]]
        token = page["next_page_token"]
        if not token:
            break
    assert seen == list(reversed(ids))


def test_unknown_action_is_404(client, make_tenant, create_ticket, receiver):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    other = create_ticket(t)["summary"]["ticket_id"]
    aid = _run(client, t, tid).json()["action"]["action_id"]
    assert_error(client.get(f"{BASE}/tickets/{tid}/actions/act_x", headers=t.h()), 404, "not_found")
    # an action is found only under its own ticket
    assert_error(
        client.get(f"{BASE}/tickets/{other}/actions/{aid}", headers=t.h()), 404, "not_found"
    )


def test_past_the_servers_cap_is_429_naming_the_server_limit(
    app, client, db, make_tenant, create_ticket, receiver
):
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    in_flight = app.threada_services.actions_in_flight
    held = 0
    try:
        while in_flight.count < in_flight.limit:  # other tenants' actions fill the server
            in_flight.acquire()
            held += 1
        r = _run(client, t, tid)
        err = assert_error(r, 429, "rate_limited")
        assert f"on this server (limit {in_flight.limit})" in err["message"]
        assert int(r.headers["retry-after"]) >= 1
    finally:
        for _ in range(held):
            in_flight.release()
    assert receiver.requests == [] and count_rows(db, "actions", t.tenant_id) == 0
    assert _run(client, t, tid).status_code == 201


def test_past_the_tenants_cap_is_429_naming_the_tenant_limit(
    client, db, make_tenant, create_ticket, receiver
):
    from threada.domain import auth
    from threada.ids import new_id, now_ms
    from threada.storage import repo

    t = make_tenant(actions_base_url=receiver.url)
    auth.set_max_actions_in_flight(db, tenant=t.tenant_id, limit=1)
    tid = create_ticket(t)["summary"]["ticket_id"]
    running = new_id("act")
    with db.write() as conn:  # one action of the tenant in flight (another process's)
        repo.insert_action(
            conn,
            row={
                "action_id": running,
                "ticket_id": tid,
                "tenant_id": t.tenant_id,
                "action_type": "custom_http",
                "status": "running",
                "requested_by": "api_key:key_x",
                "payload": PAGE_PAYLOAD,
                "result": None,
                "created_at": now_ms(),
                "completed_at": None,
                "deadline_at": now_ms() + 30_000,
            },
        )
    r = _run(client, t, tid)
    err = assert_error(r, 429, "rate_limited")
    assert "its limit is 1" in err["message"]
    assert 1 <= int(r.headers["retry-after"]) <= 30
    assert receiver.requests == []
    with db.write() as conn:
        repo.update_action(conn, action_id=running, values={"status": "succeeded"})
    assert _run(client, t, tid).status_code == 201
