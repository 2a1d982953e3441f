"""Webhook endpoints through the API: CRUD, the secret shown once, scopes, tenant isolation,
and URLs refused by the outbound guard at creation."""

from __future__ import annotations

import base64
import uuid

import pytest
from threada.app import create_app
from threada.domain import auth
from threada.outbound import OutboundPolicy

from server.tests.apihelpers import BASE, assert_error, count_rows

WH = ("support.webhooks",)
URL = "http://127.0.0.1:9/hooks"  # the session app's policy allows 127.0.0.1; nothing listens


def _create(client, t, **body):
    payload = {"url": URL, **body}
    return client.post(f"{BASE}/webhook_endpoints", json=payload, headers=t.h("webhooks"))


def test_create_shows_the_secret_once_and_crud_works(client, make_tenant):
    t = make_tenant(webhooks=WH)
    r = _create(client, t, description="CRM sync", event_types=["ticket.created"])
    assert r.status_code == 201, r.text
    body = r.json()
    ep, secret = body["webhook_endpoint"], body["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert ep["tenant_id"] == t.tenant_id and ep["url"] == URL
    assert ep["event_types"] == ["ticket.created"] and ep["enabled"] is True
    assert ep["disabled_reason"] is None and ep["description"] == "CRM sync"
    assert r.headers["Location"] == f"{BASE}/webhook_endpoints/{ep['endpoint_id']}"
    eid = ep["endpoint_id"]

    got = client.get(f"{BASE}/webhook_endpoints/{eid}", headers=t.h("webhooks"))
    assert got.status_code == 200 and got.json() == {"webhook_endpoint": ep}
    assert secret not in got.text
    listed = client.get(f"{BASE}/webhook_endpoints", headers=t.h("webhooks"))
    assert listed.json() == {"items": [ep], "next_page_token": None}

    patched = client.patch(
        f"{BASE}/webhook_endpoints/{eid}",
        json={"enabled": False, "description": None, "event_types": ["message.created"]},
        headers=t.h("webhooks"),
    )
    assert patched.status_code == 200, patched.text
    p = patched.json()["webhook_endpoint"]
    assert p["enabled"] is False and p["description"] is None
    assert p["event_types"] == ["message.created"]

    rotated = client.post(f"{BASE}/webhook_endpoints/{eid}/rotate_secret", headers=t.h("webhooks"))
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != secret

    deleted = client.delete(f"{BASE}/webhook_endpoints/{eid}", headers=t.h("webhooks"))
    assert deleted.status_code == 200 and deleted.json()["webhook_endpoint"]["endpoint_id"] == eid
    gone = client.get(f"{BASE}/webhook_endpoints/{eid}", headers=t.h("webhooks"))
    assert_error(gone, 404, "not_found")


def test_list_pages_oldest_first(client, make_tenant):
    t = make_tenant(webhooks=WH)
    ids = [_create(client, t).json()["webhook_endpoint"]["endpoint_id"] for _ in range(3)]
    seen, token = [], None
    while True:
        q = f"?limit=2&page_token={token}" if token else "?limit=2"
        page = client.get(f"{BASE}/webhook_endpoints{q}", headers=t.h("webhooks")).json()
        seen += [e["endpoint_id"] for e in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == ids


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://hooks.example.com/x"}, "url"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "url"),
        ({"url": "https://hooks.example.com/x#frag"}, "url"),
        ({"url": URL, "event_types": ["ticket.deleted"]}, "event_types"),
        ({"url": URL, "event_types": []}, "event_types"),
        ({"url": URL, "secret": "whsec_AAAA"}, "secret"),
    ],
)
def test_bad_bodies_are_400_and_create_nothing(client, db, make_tenant, body, field):
    t = make_tenant(webhooks=WH)
    r = client.post(f"{BASE}/webhook_endpoints", json=body, headers=t.h("webhooks"))
    err = assert_error(r, 400, "invalid_request")
    assert field in err["message"] or any(field in d["field"] for d in err.get("details", []))
    assert count_rows(db, "webhook_endpoints", t.tenant_id) == 0


OPERATIONS = [
    ("get", "/webhook_endpoints", None),
    ("post", "/webhook_endpoints", {"url": URL}),
    ("get", "/webhook_endpoints/{eid}", None),
    ("patch", "/webhook_endpoints/{eid}", {"enabled": False}),
    ("delete", "/webhook_endpoints/{eid}", None),
    ("post", "/webhook_endpoints/{eid}/rotate_secret", None),
    ("get", "/webhook_endpoints/{eid}/deliveries", None),
    ("post", "/webhook_endpoints/{eid}/deliveries/whd_00000000000000000000000000/redeliver", None),
]


@pytest.mark.parametrize("method, path, body", OPERATIONS)
def test_every_operation_needs_the_webhooks_scope_and_a_key(
    client, make_tenant, method, path, body
):
    t = make_tenant(webhooks=WH)
    eid = _create(client, t).json()["webhook_endpoint"]["endpoint_id"]
    url = BASE + path.format(eid=eid)
    kwargs = {} if body is None else {"json": body}
    for label in ("all", "read", "write", "actions"):  # every other scope, even all three
        r = client.request(method.upper(), url, headers=t.h(label), **kwargs)
        err = assert_error(r, 403, "permission_denied")
        assert "support.webhooks" in err["message"]
    r = client.request(method.upper(), url, **kwargs)
    assert_error(r, 401, "authentication_failed")
    # ... and nothing changed: the endpoint is still there and enabled.
    got = client.get(f"{BASE}/webhook_endpoints/{eid}", headers=t.h("webhooks")).json()
    assert got["webhook_endpoint"]["enabled"] is True


@pytest.mark.parametrize("method, path, body", OPERATIONS[2:])
def test_another_tenants_endpoint_is_not_found(client, make_tenant, method, path, body):
    owner, other = make_tenant(webhooks=WH), make_tenant(webhooks=WH)
    eid = _create(client, owner).json()["webhook_endpoint"]["endpoint_id"]
    kwargs = {} if body is None else {"json": body}
    r = client.request(
        method.upper(), BASE + path.format(eid=eid), headers=other.h("webhooks"), **kwargs
    )
    assert_error(r, 404, "not_found")
    assert client.get(f"{BASE}/webhook_endpoints", headers=other.h("webhooks")).json() == {
        "items": [],
        "next_page_token": None,
    }
    got = client.get(f"{BASE}/webhook_endpoints/{eid}", headers=owner.h("webhooks"))
    assert got.status_code == 200 and got.json()["webhook_endpoint"]["enabled"] is True


def test_the_cli_grants_the_webhooks_scope(db):
    from click.testing import CliRunner
    from threada import cli

    assert "support.webhooks" in auth.SCOPES
    param = next(p for p in cli.keys_create.params if p.name == "scopes")
    assert "support.webhooks" in param.type.choices  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli.keys_create, ["--help"])
    assert "support.webhooks" in result.output


# --- the outbound guard at creation (an app with the default, strict policy) -------------------


@pytest.fixture(scope="module")
def strict_client(tmp_path_factory):
    d = tmp_path_factory.mktemp("strict")
    app = create_app(
        {
            "database_url": f"sqlite:///{d / 'strict.db'}",
            "var_dir": str(d),
            "secret_key": "test-" + uuid.uuid4().hex,
            "outbound_policy": OutboundPolicy(),
            "webhooks_dispatcher": False,
        }
    )
    db = app.threada_services.db
    tenant = auth.create_tenant(db, name="strict")
    _key, secret = auth.create_key(db, tenant=tenant["tenant_id"], name="w", scopes=list(WH))
    with app.test_client() as c:
        yield c, {"X-Api-Key": secret}, db, tenant["tenant_id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "http://localhost/hooks",
        "https://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_private_and_loopback_urls_are_refused_at_creation(strict_client, url):
    c, headers, db, tenant_id = strict_client
    r = c.post(f"{BASE}/webhook_endpoints", json={"url": url}, headers=headers)
    err = assert_error(r, 400, "invalid_request")
    assert "url" in err["message"]
    assert count_rows(db, "webhook_endpoints", tenant_id) == 0


def test_private_url_is_refused_when_patched_in(strict_client):
    c, headers, db, tenant_id = strict_client
    # An address literal needs no lookup: 8.8.8.8 is public (nothing is sent here).
    r = c.post(f"{BASE}/webhook_endpoints", json={"url": "https://8.8.8.8/h"}, headers=headers)
    assert r.status_code == 201, r.text
    eid = r.json()["webhook_endpoint"]["endpoint_id"]
    r = c.patch(
        f"{BASE}/webhook_endpoints/{eid}", json={"url": "http://127.0.0.1/h"}, headers=headers
    )
    assert_error(r, 400, "invalid_request")
    got = c.get(f"{BASE}/webhook_endpoints/{eid}", headers=headers).json()
    assert got["webhook_endpoint"]["url"] == "https://8.8.8.8/h"
