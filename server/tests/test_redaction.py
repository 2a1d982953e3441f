"""Credential headers of an action are sent to the hook but never answered back."""

from __future__ import annotations

from threada.domain.redaction import REDACTED, is_secret_header

from server.tests.apihelpers import BASE

SECRETS = {
    "Authorization": "Bearer partner-hook-secret-1",
    "Cookie": "session=abc123",
    "X-Api-Token": "tok-2",
    "X-Hook-SECRET": "sec-3",
    "X-Partner-Key": "key-4",
    "X-Signature-256": "sha256=5",
    "X-Password": "pw-6",
}


def test_names_that_carry_credentials() -> None:
    for name in SECRETS:
        assert is_secret_header(name), name
    assert is_secret_header("Proxy-Authorization")  # refused as a header anyway (proxy-*)
    for name in ("X-Source", "Accept", "X-Trace-Id", "If-Match"):
        assert not is_secret_header(name), name


def test_secret_header_values_are_sent_but_never_answered(
    client, make_tenant, create_ticket, receiver
) -> None:
    t = make_tenant(actions_base_url=receiver.url)
    tid = create_ticket(t)["summary"]["ticket_id"]
    payload = {
        "type": "custom_http",
        "method": "POST",
        "url": "/hooks/zapier",
        "headers": {"X-Source": "threada", **SECRETS},
        "body_json": "{}",
    }
    shown = {"X-Source": "threada", **dict.fromkeys(SECRETS, REDACTED)}
    headers = t.h("actions", **{"Idempotency-Key": "redaction-1"})
    created = client.post(
        f"{BASE}/tickets/{tid}/actions", json={"payload": payload}, headers=headers
    )
    assert created.status_code == 201, created.text
    action = created.json()["action"]
    assert action["payload"]["headers"] == shown
    # The hook got the real values.
    [sent] = receiver.requests
    for name, value in SECRETS.items():
        got = {k.lower(): v for k, v in sent["headers"].items()}
        assert got[name.lower()] == value
    # Replay, get and list answer the redacted form too; no secret appears anywhere.
    replay = client.post(
        f"{BASE}/tickets/{tid}/actions", json={"payload": payload}, headers=headers
    )
    assert replay.headers.get("idempotent-replayed") == "true"
    one = client.get(f"{BASE}/tickets/{tid}/actions/{action['action_id']}", headers=t.h("read"))
    many = client.get(f"{BASE}/tickets/{tid}/actions", headers=t.h("read"))
    for response in (created, replay, one, many):
        for value in SECRETS.values():
            assert value not in response.text
    assert replay.json()["action"]["payload"]["headers"] == shown
    assert one.json()["action"]["payload"]["headers"] == shown
    assert many.json()["items"][0]["payload"]["headers"] == shown
