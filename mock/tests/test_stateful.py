"""`--stateful`: what is created comes back from list and get, with real pagination and
filters, and every answer still validates against the spec."""

from __future__ import annotations

import pytest
from threada_mock.spec import deref


@pytest.fixture
def client(make_client, bundle):
    return make_client(bundle.path, stateful=True)


def _new_ticket(**overrides):
    body = {
        "subject": "Parcel arrived damaged",
        "priority": "high",
        "channel": "whatsapp",
        "contact": {"name": "Ana Costa", "phone": "+351912345678"},
        "tags": ["damaged"],
        "initial_message": {"role": "user", "content": "The box was crushed."},
    }
    body.update(overrides)
    return body


def _all(client, url, **params):
    """Walk every page; returns items and the number of pages."""
    items, pages, token = [], 0, None
    while True:
        q = dict(params, **({"page_token": token} if token else {}))
        r = client.get(url, params=q)
        assert r.status_code == 200, r.text
        pages += 1
        body = r.json()
        items += body["items"]
        token = body["next_page_token"]
        if token is None:
            return items, pages


def test_seeded_from_the_spec_examples(client, bundle):
    statuses = "&".join(f"status={s}" for s in ("open", "pending", "on_hold", "solved", "closed"))
    r = client.get(f"{bundle.base}/tickets?{statuses}&limit=100")
    bundle.check("listTickets", r)
    ids = {t["ticket_id"] for t in r.json()["items"]}
    example = deref(bundle.doc, bundle.doc["components"]["examples"]["TicketListOpen"])["value"]
    assert {t["ticket_id"] for t in example["items"]} <= ids


def test_create_then_list_then_get(client, bundle):
    r = client.post(f"{bundle.base}/tickets", json=_new_ticket())
    assert r.status_code == 201, r.text
    bundle.check("createTicket", r)
    ticket = r.json()["ticket"]
    tid = ticket["summary"]["ticket_id"]
    assert tid.startswith("tkt_") and len(tid) == 30
    assert ticket["summary"]["status"] == "open"
    assert ticket["messages"][0]["content"] == "The box was crushed."
    assert r.headers["location"] == f"{bundle.base}/tickets/{tid}"

    listed = client.get(f"{bundle.base}/tickets")
    bundle.check("listTickets", listed)
    assert listed.json()["items"][0]["ticket_id"] == tid  # newest activity first

    got = client.get(r.headers["location"])
    assert got.status_code == 200
    bundle.check("getTicket", got)
    assert got.json()["ticket"]["summary"] == ticket["summary"]


def test_update_message_and_action_round_trip(client, bundle):
    tid = client.post(f"{bundle.base}/tickets", json=_new_ticket()).json()["ticket"]["summary"][
        "ticket_id"
    ]
    url = f"{bundle.base}/tickets/{tid}"
    r = client.patch(url, json={"status": "solved", "tags": ["damaged", "refund-issued"]})
    assert r.status_code == 200
    bundle.check("updateTicket", r)
    assert r.json()["ticket"]["summary"]["status"] == "solved"

    m = client.post(f"{url}/messages", json={"role": "user", "content": "Still broken."})
    assert m.status_code == 201
    bundle.check("addMessage", m)
    assert m.json()["message"]["channel"] == "whatsapp"
    # A customer message reopens a solved ticket.
    assert client.get(url).json()["ticket"]["summary"]["status"] == "open"

    again = {"role": "agent", "content": "Sent a new one.", "external_message_id": "wa-1"}
    first = client.post(f"{url}/messages", json=again)
    dup = client.post(f"{url}/messages", json=again)
    assert (first.status_code, dup.status_code) == (201, 200)
    bundle.check("addMessage", dup)
    assert dup.json() == first.json()

    messages, _ = _all(client, f"{url}/messages", limit=1)
    assert [x["content"] for x in messages] == [
        "The box was crushed.",
        "Still broken.",
        "Sent a new one.",
    ]

    payload = {"type": "custom_http", "method": "POST", "url": "/hooks/zapier", "body_json": "{}"}
    a = client.post(f"{url}/actions", json={"payload": payload})
    assert a.status_code == 201
    bundle.check("runAction", a)
    action = a.json()["action"]
    assert action["payload"] == payload and action["status"] == "succeeded"
    failing = client.post(f"{url}/actions", json={"payload": dict(payload, url="/fail")})
    assert failing.json()["action"]["status"] == "failed"
    bundle.check("runAction", failing)

    listed = client.get(f"{url}/actions")
    bundle.check("listActions", listed)
    assert [x["action_id"] for x in listed.json()["items"]] == [
        failing.json()["action"]["action_id"],
        action["action_id"],
    ]
    got = client.get(a.headers["location"])
    assert got.status_code == 200 and got.json()["action"] == action
    bundle.check("getAction", got)

    closed = client.patch(url, json={"status": "closed"})
    assert closed.status_code == 200
    refused = client.patch(url, json={"subject": "x"})
    assert refused.status_code == 409
    bundle.check("updateTicket", refused)
    assert refused.json()["error"]["type"] == "conflict"


def test_pagination_walks_everything_once_in_order(client, bundle):
    for i in range(7):
        client.post(f"{bundle.base}/tickets", json=_new_ticket(subject=f"Ticket {i}"))
    everything, _ = _all(client, f"{bundle.base}/tickets", limit=100)
    paged, pages = _all(client, f"{bundle.base}/tickets", limit=2)
    assert paged == everything and pages == (len(everything) + 1) // 2
    keys = [(t["updated_at"], t["ticket_id"]) for t in paged]
    assert len(set(keys)) == len(keys)
    r = client.get(f"{bundle.base}/tickets", params={"limit": 2})
    bundle.check("listTickets", r)


def test_page_tokens_are_bound_to_filters_and_tamper_proof(client, bundle):
    for i in range(3):
        client.post(f"{bundle.base}/tickets", json=_new_ticket(subject=f"T{i}"))
    token = client.get(f"{bundle.base}/tickets", params={"limit": 1}).json()["next_page_token"]
    assert token
    other = client.get(
        f"{bundle.base}/tickets", params={"limit": 1, "page_token": token, "channel": "email"}
    )
    assert other.status_code == 400
    bundle.check("listTickets", other)
    tampered = client.get(f"{bundle.base}/tickets", params={"page_token": "A" + token[1:]})
    assert tampered.status_code == 400


def test_filters(client, bundle):
    base = f"{bundle.base}/tickets"
    mine = client.post(base, json=_new_ticket(tags=["zz-unique"], priority="urgent")).json()
    tid = mine["ticket"]["summary"]["ticket_id"]
    since = mine["ticket"]["summary"]["updated_at"]

    def ids(**params):
        r = client.get(base, params=params)
        assert r.status_code == 200, r.text
        bundle.check("listTickets", r)
        return [t["ticket_id"] for t in r.json()["items"]]

    assert ids(tag="zz-unique") == [tid]
    assert tid in ids(priority="urgent", channel="whatsapp")
    assert tid not in ids(channel="email")
    assert tid not in ids(status="pending")
    assert ids(updated_after=since) == []
    client.patch(f"{base}/{tid}", json={"priority": "low"})
    assert ids(updated_after=since) == [tid]
    for t in client.get(base, params={"status": ["pending", "solved"]}).json()["items"]:
        assert t["status"] in ("pending", "solved")


def test_unknown_ids_are_404(client, bundle):
    base = f"{bundle.base}/tickets"
    for op_id, url in (
        ("getTicket", f"{base}/tkt_missing"),
        ("listMessages", f"{base}/tkt_missing/messages"),
        ("listActions", f"{base}/tkt_missing/actions"),
        ("getAction", f"{base}/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB/actions/act_missing"),
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        bundle.check(op_id, r)
        assert r.json()["error"]["type"] == "not_found"


def test_idempotency_key_replays_and_conflicts(client, bundle):
    url = f"{bundle.base}/tickets"
    headers = {"Idempotency-Key": "5f0c7e52-6a1b-4c8e-9d2f-3b7a1e4c9d10"}
    first = client.post(url, json=_new_ticket(), headers=headers)
    replay = client.post(url, json=_new_ticket(), headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    bundle.check("createTicket", replay)
    conflict = client.post(url, json=_new_ticket(subject="Other"), headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["type"] == "idempotency_conflict"
    bundle.check("createTicket", conflict)


def test_prefer_still_selects_examples_in_stateful_mode(client, bundle):
    r = client.get(f"{bundle.base}/tickets/tkt_missing", headers={"Prefer": "code=200"})
    assert r.status_code == 200
    bundle.check("getTicket", r)
