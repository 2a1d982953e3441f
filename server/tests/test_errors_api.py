"""The envelope everywhere under the base path, and bad input that writes nothing."""

from __future__ import annotations

import logging

import pytest

from server.tests.apihelpers import BASE, assert_error, count_rows, example_ticket


def _counts(db, t):
    return [count_rows(db, table, t.tenant_id) for table in ("tickets", "messages", "actions")]


BAD_BODIES = {
    "malformed JSON": b'{"subject": "Refund",',
    "not UTF-8": b'{"subject": "Caf\xe9"}',
    "empty body": b"",
    "JSON null": b"null",
    "a list": b"[]",
    "wrong types": b'{"subject": 42, "channel": "email", "contact": {"email": "a@example.com"},'
    b' "initial_message": {"role": "user", "content": "x"}}',
    "unknown field": (
        b'{"subject": "s", "channel": "email", "contact": {"email": "a@example.com"},'
        b' "initial_message": {"role": "user", "content": "x"}, "owner": "me"}'
    ),
    "10,000-character tag": (
        b'{"subject": "s", "channel": "email", "contact": {"email": "a@example.com"},'
        b' "initial_message": {"role": "user", "content": "x"}, "tags": ["' + b"a" * 10_000 + b'"]}'
    ),
    "bad email": (
        b'{"subject": "s", "channel": "email", "contact": {"email": "not-an-email"},'
        b' "initial_message": {"role": "user", "content": "x"}}'
    ),
    "deeply nested": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_create_bodies_are_400_and_write_nothing(client, db, tenant, case):
    before = _counts(db, tenant)
    r = client.post(
        f"{BASE}/tickets",
        content=BAD_BODIES[case],
        headers=tenant.h(**{"Content-Type": "application/json"}),
    )
    err = assert_error(r, 400, "invalid_request")
    assert err["details"] and all(d["field"].startswith("body") for d in err["details"])
    assert _counts(db, tenant) == before


def test_validation_error_names_the_field(client, tenant):
    body = example_ticket(contact={"email": "priya@example.com", "phone": "12"})
    err = assert_error(
        client.post(f"{BASE}/tickets", json=body, headers=tenant.h()), 400, "invalid_request"
    )
    assert err["details"][0]["field"] == "body.contact.phone"


def test_oversized_body_is_413(client, db, tenant):
    body = example_ticket()
    body["initial_message"]["content"] = "x" * 300_000
    r = client.post(f"{BASE}/tickets", json=body, headers=tenant.h())
    assert_error(r, 413, "payload_too_large")
    assert "x-ratelimit-limit" in r.headers
    assert _counts(db, tenant) == [0, 0, 0]


def test_wrong_content_type_is_415(client, db, tenant):
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = client.post(
            f"{BASE}/tickets", content=b"subject=x", headers=tenant.h(**{"Content-Type": ctype})
        )
        assert_error(r, 415, "unsupported_media_type")
    assert _counts(db, tenant) == [0, 0, 0]


def test_unknown_route_is_404_envelope(client, tenant):
    for path in (f"{BASE}/nope", f"{BASE}/tickets/x/y/z", "/", "/api/v2/public/tickets"):
        assert_error(client.get(path, headers=tenant.h()), 404, "not_found")


def test_wrong_method_is_405_with_allow(client, tenant):
    r = client.delete(f"{BASE}/tickets", headers=tenant.h())
    assert_error(r, 405, "method_not_allowed")
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    r = client.put(f"{BASE}/tickets/tkt_1", json={}, headers=tenant.h())
    assert_error(r, 405, "method_not_allowed")
    assert "PATCH" in r.headers["allow"]


def test_message_and_action_bodies_are_validated(client, db, tenant, create_ticket):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    before = _counts(db, tenant)
    cases = [
        ("messages", {"role": "robot", "content": "x"}),
        ("messages", {"role": "user", "content": ""}),
        ("messages", {"role": "user"}),
        ("actions", {"payload": {"type": "webhook", "method": "POST", "url": "/x"}}),
        ("actions", {"payload": {"type": "custom_http", "method": "TRACE", "url": "/x"}}),
        ("actions", {"payload": {"type": "custom_http", "method": "POST", "url": "http://x/"}}),
        (
            "actions",
            {"payload": {"type": "custom_http", "method": "POST", "url": "/x", "body_json": "{"}},
        ),
    ]
    for kind, body in cases:
        r = client.post(f"{BASE}/tickets/{tid}/{kind}", json=body, headers=tenant.h())
        assert_error(r, 400, "invalid_request")
    assert _counts(db, tenant) == before


def test_unhandled_exception_is_500_without_trace(client, tenant, monkeypatch, caplog):
    from threada.domain import tickets

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tickets, "list_tickets", boom)
    with caplog.at_level(logging.ERROR, logger="threada.errors"):
        r = client.get(f"{BASE}/tickets", headers=tenant.h())
    err = assert_error(r, 500, "internal_error")
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert "x-ratelimit-limit" not in r.headers
    logged = [rec for rec in caplog.records if err["request_id"] in rec.getMessage()]
    assert logged and logged[0].exc_info is not None


DOMAIN_CALLS = {
    "listTickets": ("tickets", "list_tickets", "GET", "/tickets", None),
    "createTicket": ("tickets", "insert_ticket", "POST", "/tickets", "ticket"),
    "getTicket": ("tickets", "get_ticket", "GET", "/tickets/{tid}", None),
    "updateTicket": ("tickets", "update_ticket", "PATCH", "/tickets/{tid}", {"priority": "low"}),
    "listMessages": ("tickets", "list_messages", "GET", "/tickets/{tid}/messages", None),
    "addMessage": (
        "tickets",
        "insert_message",
        "POST",
        "/tickets/{tid}/messages",
        {"role": "agent", "content": "x"},
    ),
    "runAction": (
        "actions",
        "begin_action",
        "POST",
        "/tickets/{tid}/actions",
        {"payload": {"type": "custom_http", "method": "GET", "url": "/x"}},
    ),
    "listActions": ("actions", "list_actions", "GET", "/tickets/{tid}/actions", None),
    "getAction": ("actions", "get_action", "GET", "/tickets/{tid}/actions/act_x", None),
}


@pytest.mark.parametrize("op", sorted(DOMAIN_CALLS))
def test_every_operation_answers_500_in_the_envelope(
    client, tenant, create_ticket, monkeypatch, op
):
    import importlib

    module, name, method, path, body = DOMAIN_CALLS[op]
    tid = create_ticket(tenant)["summary"]["ticket_id"]

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(importlib.import_module(f"threada.domain.{module}"), name, boom)
    if body == "ticket":
        body = example_ticket()
    r = client.request(method, BASE + path.format(tid=tid), json=body, headers=tenant.h())
    assert_error(r, 500, "internal_error")
    assert "secret internals" not in r.text


def test_request_id_on_every_response(client, tenant):
    for r in (
        client.get(f"{BASE}/tickets", headers=tenant.h()),
        client.get(f"{BASE}/tickets"),
        client.get(f"{BASE}/nope"),
    ):
        assert r.headers["x-request-id"].startswith("req_")


BODY_OPS = {
    "createTicket": ("POST", "/tickets"),
    "updateTicket": ("PATCH", "/tickets/{tid}"),
    "addMessage": ("POST", "/tickets/{tid}/messages"),
    "runAction": ("POST", "/tickets/{tid}/actions"),
}


@pytest.mark.parametrize("op", sorted(BODY_OPS))
def test_every_body_operation_answers_413_and_415_and_writes_nothing(
    client, db, tenant, create_ticket, op
):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    method, path = BODY_OPS[op]
    url = BASE + path.format(tid=tid)
    before = _counts(db, tenant)
    snapshot = client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json()
    big = b'{"content": "' + b"x" * 300_000 + b'"}'
    r = client.request(
        method, url, content=big, headers=tenant.h(**{"Content-Type": "application/json"})
    )
    assert_error(r, 413, "payload_too_large")
    r = client.request(
        method, url, content=b"hello", headers=tenant.h(**{"Content-Type": "text/plain"})
    )
    assert_error(r, 415, "unsupported_media_type")
    assert _counts(db, tenant) == before
    assert client.get(f"{BASE}/tickets/{tid}", headers=tenant.h()).json() == snapshot


def test_every_operation_answers_429_when_over_the_limit(client, make_tenant, db):
    from threada.domain import auth

    owner = make_tenant()
    tid = client.post(f"{BASE}/tickets", json=example_ticket(), headers=owner.h()).json()["ticket"][
        "summary"
    ]["ticket_id"]
    requests = [
        ("GET", "/tickets", None),
        ("POST", "/tickets", example_ticket()),
        ("GET", f"/tickets/{tid}", None),
        ("PATCH", f"/tickets/{tid}", {"priority": "high"}),
        ("GET", f"/tickets/{tid}/messages", None),
        ("POST", f"/tickets/{tid}/messages", {"role": "agent", "content": "x"}),
        ("GET", f"/tickets/{tid}/actions", None),
        (
            "POST",
            f"/tickets/{tid}/actions",
            {"payload": {"type": "custom_http", "method": "GET", "url": "/x"}},
        ),
        ("GET", f"/tickets/{tid}/actions/act_x", None),
    ]
    auth.set_rate_limit(db, tenant=owner.tenant_id, per_minute=1)
    for method, path, body in requests:
        key, secret = auth.create_key(
            db, tenant=owner.tenant_id, name="one", scopes=list(auth.SCOPES)
        )
        h = {"X-Api-Key": secret}
        client.get(f"{BASE}/tickets", headers=h)  # spends the one request
        before = _counts(db, owner)
        r = client.request(method, BASE + path, json=body, headers=h)
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        assert _counts(db, owner) == before


def test_chunked_body_without_content_length_is_read(live_server, tenant):
    import json as jsonlib

    import httpx

    payload = jsonlib.dumps(example_ticket()).encode()

    def chunks():
        yield payload[:50]
        yield payload[50:]

    with httpx.Client(base_url=live_server, timeout=30) as c:
        r = c.post(
            f"{BASE}/tickets",
            content=chunks(),
            headers=tenant.h(**{"Content-Type": "application/json"}),
        )
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["summary"]["subject"] == example_ticket()["subject"]


def test_error_outside_connexion_layers_is_a_500_envelope(app, tenant, monkeypatch):
    from threada import middleware

    def broken(quota):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(middleware, "limit_headers", broken)
    with app.test_client(raise_server_exceptions=False) as c:
        r = c.get(f"{BASE}/tickets", headers=tenant.h())
    assert r.status_code == 500
    body = r.json()
    assert body["error"]["type"] == "internal_error" and body["error"]["code"] == 500
    assert "secret internals" not in r.text


@pytest.mark.parametrize("op", sorted(set(DOMAIN_CALLS) - {"listTickets", "createTicket"}))
def test_every_path_operation_answers_400_for_a_malformed_id(client, tenant, op):
    _, _, method, path, body = DOMAIN_CALLS[op]
    long_id = "t" * 65  # ids are at most 64 characters
    r = client.request(method, BASE + path.format(tid=long_id), json=body, headers=tenant.h())
    err = assert_error(r, 400, "invalid_request")
    assert err["details"][0]["field"] == "path.ticket_id"


@pytest.mark.parametrize("where", ["auth", "handler"])
def test_a_database_past_its_bound_is_503_in_the_envelope(client, tenant, monkeypatch, where):
    """Every operation (also those with alternative scope requirements) answers 503
    service_unavailable with Retry-After, not a 401 or a bare 500."""
    from threada.domain.auth import Authenticator
    from threada.storage.db import Database, DatabaseBusy

    def busy(*args, **kwargs):
        raise DatabaseBusy("the database is busy (write lock)")

    tid = client.post(f"{BASE}/tickets", json=example_ticket(), headers=tenant.h()).json()[
        "ticket"
    ]["summary"]["ticket_id"]
    requests = [
        ("POST", "/tickets", example_ticket()),
        ("POST", f"/tickets/{tid}/messages", {"role": "agent", "content": "x"}),
    ]
    if where == "auth":
        monkeypatch.setattr(Authenticator, "__call__", busy)
        requests += [
            ("GET", "/tickets", None),
            ("GET", f"/tickets/{tid}", None),
            ("GET", f"/tickets/{tid}/actions/act_x", None),
        ]
    else:  # the key's quota is leased already: only the handlers' writes fail
        monkeypatch.setattr(Database, "write", busy)
    for method, path, body in requests:
        r = client.request(method, BASE + path, json=body, headers=tenant.h())
        err = assert_error(r, 503, "service_unavailable")
        assert "busy" in err["message"] and "write lock" not in err["message"]
        assert int(r.headers["retry-after"]) >= 1
