"""`jsonschema_rs` is only an accelerator (it comes with the dev tools); the mock must
validate the same way with plain `jsonschema`, which is what a bare install has."""

from __future__ import annotations

import pytest

from .conftest import BUNDLE, call


@pytest.fixture(params=[True, False], ids=["jsonschema_rs", "jsonschema"])
def client(request, make_client):
    if request.param:
        pytest.importorskip("jsonschema_rs")
    return make_client(BUNDLE, prefer_rust=request.param)


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "query.limit"),
        ("status=bogus", "query.status.0"),
        ("updated_after=yesterday", "query.updated_after"),
        ("tag=Not%20A%20Tag", "query.tag"),
    ],
)
def test_parameters_rejected_by_both(client, bundle, query, field):
    r = client.get(f"{bundle.base}/tickets?{query}")
    assert r.status_code == 400
    bundle.check("listTickets", r)
    assert field in [d["field"] for d in r.json()["error"]["details"]]


def test_bodies_rejected_by_both(client, bundle):
    body = {"subject": "", "channel": "fax", "contact": {"phone": "12"}}
    r = client.post(f"{bundle.base}/tickets", json=body)
    assert r.status_code == 400
    bundle.check("createTicket", r)
    fields = {d["field"] for d in r.json()["error"]["details"]}
    assert {"body.subject", "body.channel", "body.contact.phone"} <= fields, fields


def test_examples_and_dynamic_valid_with_both(client, bundle):
    for op_id in bundle.operations():
        for prefer in ("", "dynamic=true"):
            r = call(client, op_id, bundle, Prefer=prefer)
            assert r.status_code < 300, (op_id, r.text)
            bundle.check(op_id, r)
