"""Messages: add, list in conversation order, external_message_id dedupe, ticket timestamps."""

from __future__ import annotations

import time

from threada.ids import parse_rfc3339

from server.tests.apihelpers import BASE, assert_error, count_rows


def _add(client, t, tid, **body):
    body.setdefault("role", "agent")
    body.setdefault("content", "Thanks, we are on it.")
    return client.post(f"{BASE}/tickets/{tid}/messages", json=body, headers=t.h("write"))


def test_add_message_moves_the_ticket(client, tenant, create_ticket):
    created = create_ticket(tenant)["summary"]
    tid = created["ticket_id"]
    time.sleep(0.002)
    r = _add(client, tenant, tid, channel="chat")
    assert r.status_code == 201, r.text
    msg = r.json()["message"]
    assert msg["channel"] == "chat" and msg["role"] == "agent"
    assert msg["external_message_id"] is None
    s = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json()["ticket"]["summary"]
    assert s["updated_at"] == s["last_message_at"] == msg["created_at"]
    assert parse_rfc3339(s["last_message_at"]) > parse_rfc3339(created["last_message_at"])
    # The message takes the ticket's channel when none is given
    assert _add(client, tenant, tid).json()["message"]["channel"] == "email"


def test_external_message_id_is_unique_per_ticket(client, db, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    first = _add(client, tenant, tid, external_message_id="wa-123", content="first")
    assert first.status_code == 201
    again = _add(client, tenant, tid, external_message_id="wa-123", content="different text")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert count_rows(db, "messages", tenant.tenant_id) == 2  # initial + one
    # The same external id on another ticket is another message
    other = create_ticket(tenant)["summary"]["ticket_id"]
    assert _add(client, tenant, other, external_message_id="wa-123").status_code == 201


def test_customer_message_reopens_a_solved_ticket(client, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    client.patch(f"{BASE}/tickets/{tid}", json={"status": "solved"}, headers=tenant.h())
    _add(client, tenant, tid, role="agent")
    s = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json()["ticket"]["summary"]
    assert s["status"] == "solved"
    _add(client, tenant, tid, role="user", content="It is still broken.")
    s = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json()["ticket"]["summary"]
    assert s["status"] == "open"


def test_list_messages_in_conversation_order_with_pages(client, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    for i in range(6):
        assert _add(client, tenant, tid, content=f"m{i}").status_code == 201
    seen, token = [], None
    while True:
        q = "?limit=4" + (f"&page_token={token}" if token else "")
        r = client.get(f"{BASE}/tickets/{tid}/messages{q}", headers=tenant.h("read"))
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        token = r.json()["next_page_token"]
        if not token:
            break
    assert [m["content"] for m in seen][1:] == [f"m{i}" for i in range(6)]
    assert len({m["message_id"] for m in seen}) == 7
    # Compare parsed times: "…:11Z" (no fraction) sorts after "…:11.5Z" as text.
    keys = [(parse_rfc3339(m["created_at"]), m["message_id"]) for m in seen]
    assert keys == sorted(keys)


def test_message_page_token_is_bound_to_its_ticket(client, tenant, create_ticket):
    a = create_ticket(tenant)["summary"]["ticket_id"]
    b = create_ticket(tenant)["summary"]["ticket_id"]
    _add(client, tenant, a)
    token = client.get(f"{BASE}/tickets/{a}/messages?limit=1", headers=tenant.h()).json()[
        "next_page_token"
    ]
    r = client.get(f"{BASE}/tickets/{b}/messages?limit=1&page_token={token}", headers=tenant.h())
    assert_error(r, 400, "invalid_request")


def test_messages_of_missing_ticket_are_404(client, tenant):
    assert_error(
        client.get(f"{BASE}/tickets/tkt_none/messages", headers=tenant.h()), 404, "not_found"
    )
    assert_error(_add(client, tenant, "tkt_none"), 404, "not_found")
