"""Auth as the real API (401 without a key, 403 naming the missing scope) and CORS."""

from __future__ import annotations

import json

import pytest
from threada_mock.config import load_key_policy

from .conftest import call


@pytest.fixture
def client(bclient):
    return bclient


def _ticket(bundle):
    return bundle.base + "/tickets/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB"


def test_missing_key_is_401_in_the_envelope(make_client, bundle):
    anonymous = make_client(bundle.path, key=None)
    for op_id in bundle.operations():
        r = call(anonymous, op_id, bundle)
        assert r.status_code == 401, op_id
        bundle.check(op_id, r)
        err = r.json()["error"]
        assert err["type"] == "authentication_failed"
        assert "X-Api-Key" in err["message"]


def test_any_key_has_every_scope_by_default(client, bundle):
    for op_id in bundle.operations():
        r = call(client, op_id, bundle)
        assert r.status_code < 300, (op_id, r.text)


def test_naming_convention_gives_403_naming_the_scope(make_client, bundle):
    reader = make_client(bundle.path, key="mock-scopes:support.read")
    assert reader.get(bundle.base + "/tickets").status_code == 200
    r = reader.patch(_ticket(bundle), json={"status": "solved"})
    assert r.status_code == 403
    bundle.check("updateTicket", r)
    err = r.json()["error"]
    assert err["type"] == "permission_denied"
    assert "support.write" in err["message"] and "support.read" in err["message"]


def test_either_scope_is_enough_for_get_action(make_client, bundle):
    url = _ticket(bundle) + "/actions/act_01JKQ3W1N3P5Q7R9S1T3V5X7Z9"
    for scopes in ("support.read", "support.actions"):
        r = make_client(bundle.path, key=f"mock-scopes:{scopes}").get(url)
        assert r.status_code == 200, scopes
    r = make_client(bundle.path, key="mock-scopes:support.write").get(url)
    assert r.status_code == 403
    message = r.json()["error"]["message"]
    assert "support.read" in message and "support.actions" in message


def test_invalid_key_prefix_is_401(make_client, bundle):
    r = make_client(bundle.path, key="mock-invalid-rotated").get(bundle.base + "/tickets")
    assert r.status_code == 401
    bundle.check("listTickets", r)


def test_config_file_keys(tmp_path, make_client, bundle):
    config = tmp_path / "mock.yaml"
    config.write_text(
        "keys:\n"
        "  frontend-ro: [support.read]\n"
        "  bot: {scopes: [support.actions]}\n"
        "  revoked: null\n"
        "unknown_keys: reject\n"
    )
    url = bundle.base + "/tickets"
    assert make_client(bundle.path, key="frontend-ro", config=config).get(url).status_code == 200
    r = make_client(bundle.path, key="bot", config=config).get(url)
    assert r.status_code == 403 and "support.read" in r.json()["error"]["message"]
    assert make_client(bundle.path, key="revoked", config=config).get(url).status_code == 401
    assert make_client(bundle.path, key="stranger", config=config).get(url).status_code == 401


def test_config_rejects_scopes_the_spec_does_not_have(tmp_path):
    config = tmp_path / "mock.json"
    config.write_text(json.dumps({"keys": {"k": ["support.everything"]}}))
    with pytest.raises(ValueError, match="support.everything"):
        load_key_policy(config, frozenset({"support.read"}))


def test_preflight_is_answered(client, bundle):
    r = client.options(
        bundle.base + "/tickets",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type, prefer",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "x-api-key" in r.headers["access-control-allow-headers"].lower()


def test_preflight_needs_no_key(make_client, bundle):
    anonymous = make_client(bundle.path, key=None)
    r = anonymous.options(
        bundle.base + "/tickets/x",
        headers={"Origin": "http://a.test", "Access-Control-Request-Method": "PATCH"},
    )
    assert r.status_code == 204
    assert "PATCH" in r.headers["access-control-allow-methods"]
    assert "X-Api-Key" in r.headers["access-control-allow-headers"]


def test_rate_limit_headers_are_exposed(client, bundle):
    r = client.get(bundle.base + "/tickets", headers={"Origin": "http://a.test"})
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed
    assert {"location", "retry-after"} <= exposed


def test_configured_origins(make_client, bundle):
    client = make_client(bundle.path, cors_origins=("http://app.test",))
    url = bundle.base + "/tickets"
    r = client.get(url, headers={"Origin": "http://app.test"})
    assert r.headers["access-control-allow-origin"] == "http://app.test"
    assert "Origin" in r.headers["vary"]
    r = client.get(url, headers={"Origin": "http://evil.test"})
    assert "access-control-allow-origin" not in r.headers
    r = client.options(
        url, headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-methods" not in r.headers


def test_example_config_file_loads(make_client, bundle):
    config = bundle.path.parents[2] / "mock" / "mock-keys.example.yaml"
    client = make_client(bundle.path, key="frontend-readonly", config=config)
    assert client.get(bundle.base + "/tickets").status_code == 200
    assert client.post(bundle.base + "/tickets", json={}).status_code == 403


def test_preflight_of_an_unknown_path_lets_the_404_through(make_client, bundle):
    anonymous = make_client(bundle.path, key=None)
    url = bundle.base + "/nope"
    pre = anonymous.options(
        url, headers={"Origin": "http://a.test", "Access-Control-Request-Method": "GET"}
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    r = anonymous.get(url, headers={"Origin": "http://a.test"})
    assert r.status_code == 404 and r.headers["access-control-allow-origin"] == "*"
    assert r.json()["error"]["type"] == "not_found"
