"""Keys, scopes and tenant isolation, on every operation."""

from __future__ import annotations

import time

import pytest
from threada.domain import auth

from server.tests.apihelpers import BASE, assert_error, count_rows, example_ticket

# operationId -> scope sets that suffice (any one of them)
SUFFICIENT = {
    "listTickets": [{"support.read"}],
    "createTicket": [{"support.write"}],
    "getTicket": [{"support.read"}],
    "updateTicket": [{"support.write"}],
    "listMessages": [{"support.read"}],
    "addMessage": [{"support.write"}],
    "runAction": [{"support.actions"}],
    "listActions": [{"support.read"}, {"support.actions"}],
    "getAction": [{"support.read"}, {"support.actions"}],
}
LABEL_SCOPES = {
    "read": {"support.read"},
    "write": {"support.write"},
    "actions": {"support.actions"},
}


def call(client, op, t, label, ids):
    """Send a valid request for `op` with the tenant's key `label`."""
    tid, aid = ids["ticket"], ids["action"]
    h = t.h(label)
    if op == "listTickets":
        return client.get(f"{BASE}/tickets", headers=h)
    if op == "createTicket":
        return client.post(f"{BASE}/tickets", json=example_ticket(), headers=h)
    if op == "getTicket":
        return client.get(f"{BASE}/tickets/{tid}", headers=h)
    if op == "updateTicket":
        return client.patch(f"{BASE}/tickets/{tid}", json={"priority": "high"}, headers=h)
    if op == "listMessages":
        return client.get(f"{BASE}/tickets/{tid}/messages", headers=h)
    if op == "addMessage":
        return client.post(
            f"{BASE}/tickets/{tid}/messages", json={"role": "agent", "content": "ok"}, headers=h
        )
    if op == "runAction":
        return client.post(
            f"{BASE}/tickets/{tid}/actions",
            json={"payload": {"type": "custom_http", "method": "POST", "url": "/hook"}},
            headers=h,
        )
    if op == "listActions":
        return client.get(f"{BASE}/tickets/{tid}/actions", headers=h)
    if op == "getAction":
        return client.get(f"{BASE}/tickets/{tid}/actions/{aid}", headers=h)
    raise AssertionError(op)


@pytest.fixture
def world(client, make_tenant, create_ticket, receiver):
    t = make_tenant(actions_base_url=receiver.url)
    ticket = create_ticket(t)
    tid = ticket["summary"]["ticket_id"]
    r = client.post(
        f"{BASE}/tickets/{tid}/actions",
        json={"payload": {"type": "custom_http", "method": "POST", "url": "/hook"}},
        headers=t.h(),
    )
    assert r.status_code == 201, r.text
    return t, {"ticket": tid, "action": r.json()["action"]["action_id"]}


@pytest.mark.parametrize("op", sorted(SUFFICIENT))
def test_scopes_per_operation(client, world, op):
    t, ids = world
    for label, scopes in LABEL_SCOPES.items():
        r = call(client, op, t, label, ids)
        enough = any(need <= scopes for need in SUFFICIENT[op])
        if enough:
            assert r.status_code < 400, (op, label, r.text)
        else:
            err = assert_error(r, 403, "permission_denied")
            for need in SUFFICIENT[op]:
                for scope in need:
                    assert scope in err["message"], (op, err["message"])
            assert "x-ratelimit-limit" in r.headers


@pytest.mark.parametrize("op", sorted(SUFFICIENT))
def test_missing_unknown_or_malformed_key_is_401_on_every_operation(client, world, op):
    t, ids = world
    good = t.keys["all"]
    try:
        for bad in ("", "thr_live_" + "A" * 43, "not-a-key", good + "x", good.upper()):
            t.keys["all"] = bad
            r = call(client, op, t, "all", ids)
            assert_error(r, 401, "authentication_failed")
            assert "x-ratelimit-limit" not in r.headers
    finally:
        t.keys["all"] = good


def test_no_key_header_at_all_is_401(client, tenant):
    r = client.get(f"{BASE}/tickets")
    assert_error(r, 401, "authentication_failed")
    r = client.post(f"{BASE}/tickets", json=example_ticket())
    assert_error(r, 401, "authentication_failed")


@pytest.mark.parametrize("op", sorted(SUFFICIENT))
def test_other_tenant_sees_404_and_changes_nothing(client, world, make_tenant, db, op):
    owner, ids = world
    intruder = make_tenant()
    if op in ("listTickets", "createTicket"):
        r = call(client, op, intruder, "all", ids)
        assert r.status_code in (200, 201)
        if op == "listTickets":
            assert r.json()["items"] == []
        else:
            assert r.json()["ticket"]["summary"]["tenant_id"] == intruder.tenant_id
        return
    before = {
        table: count_rows(db, table, owner.tenant_id)
        for table in ("tickets", "messages", "actions")
    }
    snapshot = client.get(f"{BASE}/tickets/{ids['ticket']}", headers=owner.h()).json()
    r = call(client, op, intruder, "all", ids)
    assert_error(r, 404, "not_found")
    after = {
        table: count_rows(db, table, owner.tenant_id)
        for table in ("tickets", "messages", "actions")
    }
    assert after == before
    assert client.get(f"{BASE}/tickets/{ids['ticket']}", headers=owner.h()).json() == snapshot


def test_revoked_key_is_401_at_once(client, db, tenant):
    assert client.get(f"{BASE}/tickets", headers=tenant.h("read")).status_code == 200
    auth.revoke_key(db, key_id=tenant.key_ids["read"])
    assert_error(
        client.get(f"{BASE}/tickets", headers=tenant.h("read")), 401, "authentication_failed"
    )
    assert client.get(f"{BASE}/tickets", headers=tenant.h("all")).status_code == 200


def test_rotation_keeps_the_old_secret_for_the_grace_period(client, db, tenant):
    old = tenant.keys["read"]
    _, new = auth.rotate_key(db, key_id=tenant.key_ids["read"], grace_seconds=1)
    assert new != old
    for secret in (old, new):
        assert client.get(f"{BASE}/tickets", headers={"X-Api-Key": secret}).status_code == 200
    states = {k["key_id"]: k["state"] for k in auth.list_keys(db, tenant=tenant.tenant_id)}
    assert states[tenant.key_ids["read"]] == "rotating"
    time.sleep(1.1)
    assert_error(
        client.get(f"{BASE}/tickets", headers={"X-Api-Key": old}), 401, "authentication_failed"
    )
    assert client.get(f"{BASE}/tickets", headers={"X-Api-Key": new}).status_code == 200
    states = {k["key_id"]: k["state"] for k in auth.list_keys(db, tenant=tenant.tenant_id)}
    assert states[tenant.key_ids["read"]] == "active"


def test_rotation_with_zero_grace_cuts_off_at_once(client, db, tenant):
    old = tenant.keys["read"]
    auth.rotate_key(db, key_id=tenant.key_ids["read"], grace_seconds=0)
    assert_error(
        client.get(f"{BASE}/tickets", headers={"X-Api-Key": old}), 401, "authentication_failed"
    )


def test_keys_are_stored_as_hashes_only(db, tenant):
    import sqlalchemy as sa

    with db.read() as conn:
        dump = " ".join(
            str(v)
            for table in ("api_keys", "key_secrets")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))  # noqa: S608
            for v in row
        )
    for secret in tenant.keys.values():
        assert secret not in dump
        assert auth.hash_secret(secret) in dump


def test_last_used_is_recorded(client, db, tenant):
    client.get(f"{BASE}/tickets", headers=tenant.h("read"))
    [key] = [k for k in auth.list_keys(db, tenant=tenant.tenant_id) if k["name"] == "read"]
    assert key["last_used_at"] is not None
