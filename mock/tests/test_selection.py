"""Choosing the response per request, Prism-style: `Prefer: code=..., example=...,
dynamic=true` and the `__code`, `__example`, `__dynamic` query parameters."""

from __future__ import annotations

import pytest
from threada_mock.app import SELECTION_ERROR_STATUS
from threada_mock.spec import deref

from .conftest import SpecChecker


@pytest.fixture
def client(bclient):
    """These tests use the real bundle's operations and examples."""
    return bclient


def _examples(checker: SpecChecker, op_id: str, status: str) -> list[str]:
    resp = deref(checker.doc, checker.operations()[op_id][2]["responses"][status])
    return list(resp["content"]["application/json"]["examples"])


def test_prefer_code_and_example(client, bundle):
    url = bundle.base + "/tickets/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB"
    r = client.get(url, headers={"Prefer": "code=404"})
    assert r.status_code == 404
    bundle.check("getTicket", r)
    last = _examples(bundle, "listTickets", "200")[-1]
    r = client.get(bundle.base + "/tickets", headers={"Prefer": f"example={last}"})
    assert r.status_code == 200
    value = deref(bundle.doc, bundle.operations()["listTickets"][2]["responses"]["200"])
    expected = deref(bundle.doc, value["content"]["application/json"]["examples"][last])
    assert r.json() == expected["value"]


def test_example_alone_finds_its_status(client, bundle):
    name = _examples(bundle, "listTickets", "401")[-1]
    r = client.get(bundle.base + "/tickets", headers={"Prefer": f"example={name}"})
    assert r.status_code == 401
    bundle.check("listTickets", r)


def test_query_parameters_select_and_are_not_validated(client, bundle):
    # listTickets' parameters are validated: an unknown __ parameter would not matter,
    # but these must be removed before validation and must not leak into the result.
    r = client.get(bundle.base + "/tickets?__code=429&limit=5")
    assert r.status_code == 429
    bundle.check("listTickets", r)
    assert "Retry-After" in r.headers
    name = _examples(bundle, "listTickets", "400")[1]
    r = client.get(bundle.base + f"/tickets?__example={name}")
    assert r.status_code == 400 and r.json()["error"]["code"] == 400
    r = client.get(bundle.base + "/tickets?__dynamic=true&__code=200")
    assert r.status_code == 200
    bundle.check("listTickets", r)


def test_query_wins_over_prefer(client, bundle):
    r = client.get(bundle.base + "/tickets?__code=403", headers={"Prefer": "code=401"})
    assert r.status_code == 403


def test_unknown_code_lists_available_codes(client, bundle):
    r = client.get(bundle.base + "/tickets", headers={"Prefer": "code=418"})
    assert r.status_code == SELECTION_ERROR_STATUS
    bundle.check("listTickets", r)
    err = r.json()["error"]
    assert "418" in err["message"]
    for code in bundle.operations()["listTickets"][2]["responses"]:
        assert code in err["message"]
    assert err["details"][0]["field"] == "prefer.code"


def test_unknown_example_lists_available_examples(client, bundle):
    r = client.get(bundle.base + "/tickets?__example=nope")
    assert r.status_code == SELECTION_ERROR_STATUS
    bundle.check("listTickets", r)
    message = r.json()["error"]["message"]
    for name in _examples(bundle, "listTickets", "200"):
        assert name in message
    r = client.get(bundle.base + "/tickets", headers={"Prefer": "code=401, example=nope"})
    assert r.status_code == SELECTION_ERROR_STATUS
    message = r.json()["error"]["message"]
    assert all(n in message for n in _examples(bundle, "listTickets", "401"))


def test_selection_does_not_bypass_validation_or_auth(make_client, bundle):
    client = make_client(bundle.path)
    r = client.get(bundle.base + "/tickets?limit=0", headers={"Prefer": "code=200"})
    assert r.status_code == 400
    anonymous = make_client(bundle.path, key=None)
    r = anonymous.get(bundle.base + "/tickets", headers={"Prefer": "code=200"})
    assert r.status_code == 401


def test_dynamic_flag_applies_to_chosen_codes(make_client, bundle):
    client = make_client(bundle.path, dynamic=True)
    bodies = set()
    for _ in range(5):
        r = client.get(bundle.base + "/tickets/x", headers={"Prefer": "code=404"})
        assert r.status_code == 404
        bundle.check("getTicket", r)
        bodies.add(r.text)
    assert len(bodies) > 1
    r = client.get(bundle.base + "/tickets?__example=last_page")
    assert r.json()["next_page_token"] is None  # an explicit example wins over --dynamic


def test_dynamic_false_changes_nothing(make_client, bundle):
    client = make_client(bundle.path, stateful=True)
    r = client.get(bundle.base + "/tickets/tkt_missing", headers={"Prefer": "dynamic=false"})
    assert r.status_code == 404  # still answered by the stateful store
