"""The `custom_http` rules live in two places that must agree: the spec's
`CustomHttpPayload` schema (what it can say) and `threada.outbound.validation` (all of
them; it runs on the server and on the stateful mock). The schema must never refuse a
payload the server would send, and must refuse what it claims to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from threada.domain.errors import InvalidRequest
from threada.outbound.validation import (
    REFUSED_HEADER_PREFIXES,
    REFUSED_HEADERS,
    validate_custom_http,
)
from threada.spec import compiled
from threada_mock.spec import inline_refs

BUNDLE = Path(__file__).resolve().parents[1] / "dist" / "openapi.json"


@pytest.fixture(scope="module")
def schema_ok():
    doc = json.loads(BUNDLE.read_text())
    validator = compiled(inline_refs(doc, doc["components"]["schemas"]["CustomHttpPayload"]))
    return lambda payload: validator.is_valid(payload)


def server_ok(payload: dict) -> bool:
    try:
        validate_custom_http(payload)
    except InvalidRequest:
        return False
    return True


def payload(**kw: object) -> dict:
    return {"type": "custom_http", "method": "POST", "url": "/hooks", **kw}


REFUSED_NAMES = sorted(REFUSED_HEADERS) + [p + "thing" for p in REFUSED_HEADER_PREFIXES]


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_every_refused_header_is_refused_by_the_schema_in_any_case(schema_ok, name):
    for spelled in (name, name.upper(), name.title()):
        p = payload(headers={spelled: "x"})
        assert not server_ok(p)
        assert not schema_ok(p), spelled


URLS = [
    "/hooks/zapier",
    "/hooks/zapier?a=1&b=/../x",
    "/",
    "/a/.b/...",
    "/a/%20b",
    "/a/../b",
    "/a/./b",
    "/a/..",
    "/a/%2e%2E/b",
    "/a/.%2e",
    "/a/..;x/b",
    "/a//b",
    "//host/x",
    "/a/%2Fb",
    "/a/%5cb",
    "/a%zz",
    "/a%2",
    "https://evil.example/x",
    "/a b",
    "/a#frag",
    "/a\\b",
    "/a/%252e%252e/b",
    "/a/%c0%ae%c0%ae/b",
]


@pytest.mark.parametrize("url", URLS)
def test_the_url_pattern_refuses_nothing_the_server_sends(schema_ok, url):
    p = payload(url=url)
    if schema_ok(p):
        return  # what the schema cannot say, the server checks (tested in server/tests)
    assert not server_ok(p), f"the schema refuses {url!r}, the server would send it"


@pytest.mark.parametrize(
    "url", ["/a/../b", "/a/%2e%2E/b", "/a/..;x/b", "/a//b", "/a/%2Fb", "/a%zz", "//host/x"]
)
def test_the_url_pattern_states_the_path_rules(schema_ok, url):
    assert not schema_ok(payload(url=url))


@pytest.mark.parametrize(
    "p, ok",
    [
        (payload(headers={"X-Source": "threada", "Authorization": "Bearer a\tb"}), True),
        (payload(headers={"X-A": " padded"}), False),
        (payload(headers={"X-A": "trailing\t"}), False),
        (payload(headers={"X-A": "line\nbreak"}), False),
        (payload(headers={"X-A": ""}), True),
        (payload(method="GET", body_json="{}"), False),
        (payload(method="DELETE", body_json="{}"), False),
        (payload(method="PUT", body_json="{}"), True),
        (payload(method="GET"), True),
    ],
)
def test_header_values_and_bodies_agree(schema_ok, p, ok):
    assert server_ok(p) is ok
    assert schema_ok(p) is ok
