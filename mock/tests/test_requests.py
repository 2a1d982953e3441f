"""Request validation, routing and their answers in the product's error envelope."""

from __future__ import annotations

import json

import pytest

from .conftest import MINI, SpecChecker


@pytest.fixture
def client(bclient):
    """These tests use the real bundle's operations and examples."""
    return bclient


def _envelope(checker, r, status, op_id=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["code"] == status
    assert err["type"] in checker.error_types()
    problems = checker.validate({"$ref": "#/components/schemas/ApiError"}, body)
    assert not problems, problems
    if op_id is not None:
        checker.check(op_id, r)
    return err


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "query.limit"),
        ("limit=abc", "query.limit"),
        ("limit=101", "query.limit"),
        ("status=bogus", "query.status"),
        ("status=open&status=open", "query.status"),
        ("updated_after=yesterday", "query.updated_after"),
        ("tag=Not%20A%20Tag", "query.tag"),
        ("page_token=", "query.page_token"),
    ],
)
def test_invalid_query_parameters(client, bundle, query, field):
    r = client.get(f"{bundle.base}/tickets?{query}")
    err = _envelope(bundle, r, 400, "listTickets")
    assert field in [d["field"] for d in err["details"]], err
    assert field in err["message"]


def test_valid_query_parameters(client, bundle):
    q = "status=open&status=pending&channel=email&priority=high&tag=vip"
    q += "&updated_after=2026-02-04T00:00:00Z&limit=100"
    r = client.get(f"{bundle.base}/tickets?{q}")
    assert r.status_code == 200
    bundle.check("listTickets", r)


def test_invalid_body_lists_each_field(client, bundle):
    body = {"subject": "", "channel": "fax", "contact": {"phone": "12"}}
    r = client.post(f"{bundle.base}/tickets", json=body)
    err = _envelope(bundle, r, 400, "createTicket")
    fields = {d["field"] for d in err["details"]}
    # The server's paths: a missing member is named itself (body.initial_message).
    assert {"body.subject", "body.channel", "body.contact.phone"} <= fields, fields
    assert "body.initial_message" in fields, fields


def test_malformed_json(client, bundle):
    r = client.post(
        f"{bundle.base}/tickets",
        content=b'{"subject": "x",',
        headers={"Content-Type": "application/json"},
    )
    err = _envelope(bundle, r, 400, "createTicket")
    assert "JSON" in err["message"]


def test_missing_body(client, bundle):
    r = client.post(f"{bundle.base}/tickets")
    _envelope(bundle, r, 400, "createTicket")


def test_wrong_content_type_is_415(client, bundle):
    r = client.post(
        f"{bundle.base}/tickets", content=b"subject=x", headers={"Content-Type": "text/plain"}
    )
    err = _envelope(bundle, r, 415, "createTicket")
    assert "application/json" in err["message"]


def test_merge_patch_content_type_is_accepted(client, bundle):
    r = client.patch(
        f"{bundle.base}/tickets/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB",
        content=json.dumps({"status": "solved"}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert r.status_code == 200, r.text


def test_body_too_large_is_413(make_client, bundle):
    client = make_client(bundle.path, max_body=1000)
    big = {"subject": "x" * 2000}
    r = client.post(f"{bundle.base}/tickets", json=big)
    err = _envelope(bundle, r, 413, "createTicket")
    assert "1000" in err["message"]


def test_unknown_path_is_404_in_the_envelope(client, bundle):
    for path in ("/nope", f"{bundle.base}/nope", f"{bundle.base}/tickets/a/b/c/d"):
        _envelope(bundle, client.get(path), 404)


def test_wrong_method_is_405_with_allow(client, bundle):
    r = client.delete(f"{bundle.base}/tickets")
    err = _envelope(bundle, r, 405)
    assert err["type"] == "method_not_allowed"
    allow = {m.strip() for m in r.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allow


def test_mini_spec_type_and_format_coercion(make_client):
    checker = SpecChecker(MINI)
    client = make_client(MINI)
    ok = client.get(checker.base + "/tickets?limit=3&updated_after=2026-02-04T18:32:11Z")
    assert ok.status_code == 200
    bad = client.get(checker.base + "/tickets/t/actions/nope")
    err = _envelope(checker, bad, 400)
    assert err["details"][0]["field"] == "path.action_id"
