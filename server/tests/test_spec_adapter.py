"""The Connexion adapter: the 3.1 bundle loads as written, requests validate as 2020-12."""

from __future__ import annotations

import copy

import pytest
from connexion.exceptions import InvalidSpecification
from connexion.spec import Specification
from jsonschema import Draft4Validator
from threada import spec

from server.tests.apihelpers import BASE, assert_error


def test_bundle_is_openapi_31_and_loads_unchanged():
    document = spec.load_spec()
    assert document["openapi"].startswith("3.1")
    spec.install_31_document_check()
    loaded = Specification.from_dict(copy.deepcopy(document))
    assert loaded.raw["openapi"] == document["openapi"]


def test_an_invalid_31_document_is_still_refused():
    spec.install_31_document_check()
    document = spec.load_spec()
    document["paths"]["/tickets"]["get"]["parameters"].append({"name": "x"})  # no "in"
    with pytest.raises(Exception) as info:  # noqa: PT011 - openapi-spec-validator's error
        Specification.from_dict(document)
    # refused by the 3.1 check, not by Connexion's 3.0 meta-schema
    assert not isinstance(info.value, InvalidSpecification)


def test_const_is_enforced_where_draft4_would_not(client, make_tenant, create_ticket):
    """`CustomHttpPayload.type` is `const: custom_http`, a keyword Draft 4 does not know."""
    schema = {"type": "object", "properties": {"type": {"type": "string", "const": "custom_http"}}}
    assert Draft4Validator(schema).is_valid({"type": "webhook"})  # what Connexion alone does
    t = make_tenant(actions_base_url="https://hooks.example.com")
    tid = create_ticket(t)["summary"]["ticket_id"]
    r = client.post(
        f"{BASE}/tickets/{tid}/actions",
        json={"payload": {"type": "webhook", "method": "POST", "url": "/x"}},
        headers=t.h(),
    )
    err = assert_error(r, 400, "invalid_request")
    assert err["details"][0]["field"] == "body.payload.type"


def test_numeric_exclusive_minimum_is_2020_12():
    validator = spec.compiled({"type": "integer", "exclusiveMinimum": 0})
    assert not validator.is_valid(0) and validator.is_valid(1)


def test_validators_are_compiled_once_per_schema():
    schema = {"type": "string"}
    assert spec.compiled(schema) is spec.compiled(schema)


def test_served_spec_is_the_bundle(client):
    r = client.get(f"{BASE}/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.1")


def test_parameter_validation_cache_never_lets_an_invalid_value_through():
    """Valid parameter values are remembered per schema; what was not valid is checked
    every time, and values that differ only in type are told apart."""
    from threada.spec import Parameter2020Validator

    status = {
        "name": "status",
        "schema": {"type": "array", "items": {"type": "string", "enum": ["open", "pending"]}},
    }
    limit = {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}
    check = Parameter2020Validator.validate_parameter
    for _ in range(2):  # the second round answers from the cache where it may
        assert check("query", ["open"], status) is None
        assert check("query", ["closed"], status) is not None
        assert check("query", ["open", "nope"], status) is not None
        assert check("query", 25, limit) is None
        assert check("query", 0, limit) is not None
        assert check("query", "25", limit) is not None  # a string is not the integer 25
        assert check("query", True, limit) is not None  # nor is True the integer 1
        assert check("query", 1, limit) is None
