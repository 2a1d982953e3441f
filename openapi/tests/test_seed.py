"""The product page's three examples hold against the spec.

Each request must validate against its operation's request schema. Each
response field the page shows must exist in the spec's response schema at the
same place, with a value valid there. (The page abridges its responses, so
fields it leaves out are not looked for; required-ness is not checked.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testsupport import needs

SEED = Path(__file__).parent / "fixtures" / "seed"
CASES = sorted(p.stem for p in SEED.glob("*.json"))


def _esc(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _follow(schema_check, ptr: str) -> str:
    """The pointer a schema pointer ends at once its $refs are followed."""
    node = schema_check.pointer(ptr)
    while "$ref" in node:
        ptr = node["$ref"]
        node = schema_check.pointer(ptr)
    return ptr


def _child(schema_check, ptr: str, key) -> str:
    """The schema pointer of `key` (a property name or list index) under `ptr`."""
    ptr = _follow(schema_check, ptr)
    node = schema_check.pointer(ptr)
    if isinstance(key, int):
        assert "items" in node, f"{ptr} is not an array in the spec"
        return _follow(schema_check, f"{ptr}/items")
    if key in node.get("properties", {}):
        return _follow(schema_check, f"{ptr}/properties/{_esc(key)}")
    assert isinstance(node.get("additionalProperties"), dict), f"'{key}' is not in {ptr}"
    return _follow(schema_check, f"{ptr}/additionalProperties")


def _walk(schema_check, ptr, value, path=()):
    """Yield (path, schema pointer, value) for every field the page shows."""
    yield path, ptr, value
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _walk(schema_check, _child(schema_check, ptr, key), sub, (*path, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _walk(schema_check, _child(schema_check, ptr, i), sub, (*path, i))


def _case(name):
    return json.loads((SEED / f"{name}.json").read_text())


@pytest.mark.parametrize("name", CASES)
def test_seed_request_validates(name, operations, schema_check):
    case = _case(name)
    method, path, op, _pp = operations[case["operationId"]]
    assert method.upper() == case["request"]["method"]
    if "body" in case["request"]:
        ptr = f"#/paths/{_esc(path)}/{method}/requestBody/content/application~1json/schema"
        assert schema_check.errors(ptr, case["request"]["body"]) == []
    for key, raw in case["request"].get("query", {}).items():
        (ref,) = [
            p["$ref"] for p in op.get("parameters", []) if schema_check.resolve(p)["name"] == key
        ]
        schema = schema_check.pointer(f"{ref}/schema")
        value = int(raw) if schema.get("type") == "integer" else raw
        assert schema_check.errors(f"{ref}/schema", value) == []


@pytest.mark.parametrize("name", CASES)
def test_seed_response_fields_exist_with_valid_values(name, operations, schema_check):
    case = _case(name)
    method, path, op, _pp = operations[case["operationId"]]
    status = min(s for s in op["responses"] if s.startswith("2"))
    root = f"#/paths/{_esc(path)}/{method}/responses/{status}/content/application~1json/schema"
    checked = 0
    for field_path, ptr, value in _walk(schema_check, root, case["response"]):
        if isinstance(value, (dict, list)):
            continue  # containers: their fields are checked one by one
        errors = schema_check.errors(ptr, value)
        assert not errors, f"{'/'.join(map(str, field_path))} = {value!r}: {errors}"
        checked += 1
    assert checked >= 8, f"only {checked} fields checked"


def test_the_page_examples_are_the_ones_in_the_seed():
    """The fixtures are the page's own text: spot-check them against it."""
    page = Path(__file__).resolve().parents[3] / "shared/seed/public-api-reference.hi.txt"
    if not page.exists():
        needs("shared/seed beside the checkout", f"{page} holds the product page")
    text = page.read_text()
    for needle in (
        '"url": "/hooks/zapier"',
        '"external_message_id": "EXT_MSG_ID"',
        '"next_page_token": "NEXT_PAGE_TOKEN"',
        '"requested_by": "api_key:API_KEY_ID"',
    ):
        assert needle in text
