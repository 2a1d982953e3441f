"""Tickets: create, get, merge-patch, list with every filter, keyset pages (both DBs)."""

from __future__ import annotations

import re
import time

from threada.ids import parse_rfc3339

from server.tests.apihelpers import BASE, assert_error, count_rows, example_ticket

ID = re.compile(r"^tkt_[0-9A-HJKMNP-TV-Z]{26}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


def test_create_ticket_returns_the_page_shape(client, tenant):
    body = example_ticket()
    r = client.post(f"{BASE}/tickets", json=body, headers=tenant.h("write"))
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    summary = ticket["summary"]
    assert ID.match(summary["ticket_id"])
    assert r.headers["location"] == f"{BASE}/tickets/{summary['ticket_id']}"
    assert summary["tenant_id"] == tenant.tenant_id
    assert summary["subject"] == body["subject"]
    assert (summary["status"], summary["priority"], summary["channel"]) == (
        "open",
        "normal",
        "email",
    )
    assert summary["tags"] == ["vip", "returns"]
    for field in ("created_at", "updated_at", "last_message_at"):
        assert TIME.match(summary[field]), summary[field]
    assert summary["created_at"] == summary["updated_at"] == summary["last_message_at"]
    assert ticket["contact"] == body["contact"]
    [msg] = ticket["messages"]
    assert msg["role"] == "user"
    assert msg["content"] == body["initial_message"]["content"]
    assert msg["channel"] == "email"
    assert msg["external_message_id"] == body["initial_message"]["external_message_id"]
    assert msg["ticket_id"] == summary["ticket_id"]
    assert msg["message_id"].startswith("msg_")
    for h in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-request-id"):
        assert h in r.headers


def test_create_defaults_and_phone_contact(client, tenant):
    body = example_ticket(contact={"phone": "+919812345678"}, channel="whatsapp")
    del body["priority"], body["tags"]
    r = client.post(f"{BASE}/tickets", json=body, headers=tenant.h())
    assert r.status_code == 201, r.text
    summary = r.json()["ticket"]["summary"]
    assert summary["priority"] == "normal" and summary["tags"] == []
    assert r.json()["ticket"]["contact"] == {"phone": "+919812345678"}


def test_contact_needs_email_or_phone(client, tenant, db):
    r = client.post(
        f"{BASE}/tickets", json=example_ticket(contact={"name": "No Way"}), headers=tenant.h()
    )
    assert_error(r, 400, "invalid_request")
    assert count_rows(db, "tickets", tenant.tenant_id) == 0


def test_get_ticket(client, tenant, create_ticket):
    created = create_ticket(tenant)
    tid = created["summary"]["ticket_id"]
    r = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h("read"))
    assert r.status_code == 200
    assert r.json() == {"ticket": created}


def test_get_missing_ticket_is_404(client, tenant):
    err = assert_error(client.get(f"{BASE}/tickets/tkt_NOPE", headers=tenant.h()), 404, "not_found")
    assert "tkt_NOPE" in err["message"]


def test_ticket_embeds_the_20_most_recent_messages_oldest_first(client, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    for i in range(22):
        r = client.post(
            f"{BASE}/tickets/{tid}/messages",
            json={"role": "agent", "content": f"reply {i}"},
            headers=tenant.h(),
        )
        assert r.status_code == 201
    msgs = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json()["ticket"]["messages"]
    assert [m["content"] for m in msgs] == [f"reply {i}" for i in range(2, 22)]


def test_merge_patch_updates_only_given_fields(client, tenant, create_ticket):
    created = create_ticket(tenant)
    tid = created["summary"]["ticket_id"]
    time.sleep(0.002)
    r = client.patch(
        f"{BASE}/tickets/{tid}",
        content=b'{"status": "pending", "tags": ["returns"]}',
        headers=tenant.h("write", **{"Content-Type": "application/merge-patch+json"}),
    )
    assert r.status_code == 200, r.text
    s = r.json()["ticket"]["summary"]
    assert s["status"] == "pending" and s["tags"] == ["returns"]
    assert s["subject"] == created["summary"]["subject"]
    assert s["priority"] == "normal"
    assert parse_rfc3339(s["updated_at"]) > parse_rfc3339(created["summary"]["updated_at"])
    assert s["last_message_at"] == created["summary"]["last_message_at"]
    # application/json is accepted too
    r = client.patch(f"{BASE}/tickets/{tid}", json={"priority": "urgent"}, headers=tenant.h())
    assert r.status_code == 200 and r.json()["ticket"]["summary"]["priority"] == "urgent"


def test_patch_without_change_keeps_updated_at(client, tenant, create_ticket):
    created = create_ticket(tenant)
    tid = created["summary"]["ticket_id"]
    time.sleep(0.002)
    r = client.patch(f"{BASE}/tickets/{tid}", json={"status": "open"}, headers=tenant.h())
    assert r.json()["ticket"]["summary"]["updated_at"] == created["summary"]["updated_at"]


def test_patch_null_unknown_and_empty_are_400(client, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    for body in ({"subject": None}, {"tags": None}, {"owner": "x"}, {}):
        r = client.patch(f"{BASE}/tickets/{tid}", json=body, headers=tenant.h())
        assert_error(r, 400, "invalid_request")
    got = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json()["ticket"]["summary"]
    assert got["tags"] == ["vip", "returns"]


def test_closed_ticket_no_longer_changes(client, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    r = client.patch(f"{BASE}/tickets/{tid}", json={"status": "closed"}, headers=tenant.h())
    assert r.status_code == 200
    r = client.patch(f"{BASE}/tickets/{tid}", json={"status": "open"}, headers=tenant.h())
    assert_error(r, 409, "conflict")
    r = client.post(
        f"{BASE}/tickets/{tid}/messages",
        json={"role": "user", "content": "hello?"},
        headers=tenant.h(),
    )
    assert_error(r, 409, "conflict")


def test_patch_missing_ticket_is_404(client, tenant):
    r = client.patch(f"{BASE}/tickets/tkt_X", json={"status": "open"}, headers=tenant.h())
    assert_error(r, 404, "not_found")


def _list(client, tenant, query=""):
    r = client.get(f"{BASE}/tickets{query}", headers=tenant.h("read"))
    assert r.status_code == 200, r.text
    return r.json()


def test_list_default_is_open_tickets_by_activity(client, tenant, create_ticket):
    a = create_ticket(tenant)["summary"]["ticket_id"]
    b = create_ticket(tenant)["summary"]["ticket_id"]
    c = create_ticket(tenant)["summary"]["ticket_id"]
    client.patch(f"{BASE}/tickets/{b}", json={"status": "solved"}, headers=tenant.h())
    time.sleep(0.002)
    client.post(
        f"{BASE}/tickets/{a}/messages",
        json={"role": "agent", "content": "on it"},
        headers=tenant.h(),
    )
    page = _list(client, tenant)
    assert [t["ticket_id"] for t in page["items"]] == [a, c]
    assert page["next_page_token"] is None
    both = _list(client, tenant, "?status=open&status=solved")
    assert [t["ticket_id"] for t in both["items"]] == [a, b, c]


def test_list_filters(client, tenant, create_ticket):
    email = create_ticket(tenant, tags=["vip"])["summary"]
    chat = create_ticket(tenant, channel="chat", priority="high", tags=["billing"])["summary"]
    sms = create_ticket(tenant, channel="sms", priority="urgent", tags=[])["summary"]

    def ids(q):
        return [t["ticket_id"] for t in _list(client, tenant, q)["items"]]

    assert ids("?channel=chat") == [chat["ticket_id"]]
    assert ids("?channel=chat&channel=sms") == [sms["ticket_id"], chat["ticket_id"]]
    assert ids("?priority=urgent&priority=high") == [sms["ticket_id"], chat["ticket_id"]]
    assert ids("?tag=vip") == [email["ticket_id"]]
    assert ids("?tag=vip&channel=chat") == []
    after = chat["updated_at"]
    assert ids(f"?updated_after={after}") == [sms["ticket_id"]]
    assert ids("?updated_after=2000-01-01T00:00:00%2B05:30") == [
        sms["ticket_id"],
        chat["ticket_id"],
        email["ticket_id"],
    ]


def test_list_rejects_bad_filters(client, tenant):
    for q in (
        "?status=bogus",
        "?channel=fax",
        "?priority=meh",
        "?limit=0",
        "?limit=101",
        "?limit=abc",
        "?updated_after=yesterday",
        "?tag=" + "x" * 10_000,
        "?tag=Not%20A%20Tag",
    ):
        r = client.get(f"{BASE}/tickets{q}", headers=tenant.h())
        err = assert_error(r, 400, "invalid_request")
        assert err["details"][0]["field"].startswith("query."), err


def test_keyset_pages_cover_everything_once(client, tenant, create_ticket):
    created = [create_ticket(tenant)["summary"]["ticket_id"] for _ in range(7)]
    seen, token = [], None
    while True:
        q = "?limit=3" + (f"&page_token={token}" if token else "")
        page = _list(client, tenant, q)
        seen += [t["ticket_id"] for t in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == list(reversed(created))


def test_page_token_is_bound_to_filters_and_tenant(client, make_tenant, create_ticket):
    t1, t2 = make_tenant(), make_tenant()
    for _ in range(3):
        create_ticket(t1)
    token = _list(client, t1, "?limit=1")["next_page_token"]
    assert token
    assert len(_list(client, t1, f"?limit=1&page_token={token}")["items"]) == 1
    # other filters, another tenant, a tampered token: all 400
    for tenant, q in (
        (t1, f"?limit=1&status=pending&page_token={token}"),
        (t1, f"?limit=1&channel=chat&page_token={token}"),
        (t2, f"?limit=1&page_token={token}"),
        (t1, f"?limit=1&page_token={token[:-2]}{'A' if token[-2] != 'A' else 'B'}{token[-1]}"),
        (t1, "?page_token=eyJ0IjoidGVuX3gifQ.forged"),
    ):
        r = client.get(f"{BASE}/tickets{q}", headers=tenant.h())
        err = assert_error(r, 400, "invalid_request")
        assert "page_token" in err["message"]
