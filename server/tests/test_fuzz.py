"""Hypothesis throws arbitrary bytes and arbitrary JSON at every operation of the spec, with
arbitrary content types, ids, query strings and headers: no answer is a 5xx, and every error
is the envelope with `code` equal to the status.

About 11,000 requests on the FlaskApp over SQLite; fewer on PostgreSQL and the AsyncApp
(the same validation code, other storage and framework paths). Requests go straight into
the ASGI app (no test client: about 1 ms a request instead of 5).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threada import spec
from threada.domain import auth, tickets

from bad_input import BODIES
from server.tests.apihelpers import BASE, example_ticket

DOC = spec.load_spec()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in DOC["paths"].items()
    for method in item
    if method in {"get", "post", "patch", "put", "delete"}
)
VALID = {(m, p.replace("{ticket_id}", "{ticket}")): body for _, m, p, _, body in BODIES}
# The default configuration gets the most cases (17 operations x 700 + 3 x 17 x 100 > 10,000).
EXAMPLES = {
    "async-sqlite": 700,
    "async-postgresql": 100,
    "flask-sqlite": 100,
    "flask-postgresql": 100,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
header_text = st.text(st.characters(max_codepoint=255), max_size=40)


@st.composite
def bodies(draw: Any, valid: Any) -> bytes | None:
    kind = draw(st.sampled_from(["none", "bytes", "json", "mutated"]))
    if kind == "none":
        return None
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json" or not isinstance(valid, dict):
        value = draw(json_values)
    else:  # the operation's valid body with one member replaced by anything
        value = json.loads(json.dumps(valid))
        name = draw(st.sampled_from([*value, "extra"]))
        value[name] = draw(json_values)
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def call(app: Any, loop: Any, method: str, url: str, body: bytes | None, headers: list) -> tuple:
    """One request into the ASGI app; (status, body bytes)."""
    path, _, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [*headers, (b"content-length", b"%d" % len(body or b"")), (b"host", b"t")],
        "client": ("127.0.0.1", 50000),
        "server": ("t", 80),
    }
    incoming = [{"type": "http.request", "body": body or b"", "more_body": False}]
    sent: list = []

    async def receive() -> dict:
        return incoming.pop() if incoming else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    loop.run_until_complete(app(scope, receive, send))
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], content


@pytest.fixture(scope="session")
def fuzz_tenant(db: Any) -> dict:
    row = auth.create_tenant(db, name=f"fuzz-{uuid.uuid4().hex[:8]}")
    auth.set_rate_limit(db, tenant=row["tenant_id"], per_minute=1_000_000)
    _, secret = auth.create_key(db, tenant=row["tenant_id"], name="all", scopes=list(auth.SCOPES))
    principal = auth.authenticate(db, secret)
    assert principal is not None
    ticket = tickets.create_ticket(db, principal=principal, body=example_ticket())
    return {"key": secret, "ticket": ticket["summary"]["ticket_id"]}


@pytest.mark.slow
@pytest.mark.parametrize("method,path", OPERATIONS)
def test_no_input_gets_a_5xx(
    method: str, path: str, app: Any, loop: Any, fuzz_tenant: dict, backend: str
) -> None:
    template = path.replace("{ticket_id}", "{ticket}")
    valid = VALID.get((method, template))

    @settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        ticket=st.sampled_from([fuzz_tenant["ticket"]]) | st.text(max_size=30),
        action=st.text(max_size=30),
        body=bodies(valid),
        ctype=st.sampled_from(
            [None, "application/json", "application/merge-patch+json", "text/plain"]
        )
        | header_text,
        query=st.dictionaries(
            st.sampled_from(["limit", "page_token", "status", "tag", "updated_after", "x"])
            | st.text(max_size=8),
            st.text(max_size=30),
            max_size=3,
        ),
        idempotency_key=st.none() | header_text,
    )
    def run(
        ticket: str,
        action: str,
        body: bytes | None,
        ctype: str | None,
        query: dict,
        idempotency_key: str | None,
    ) -> None:
        url = BASE + path.replace("{ticket_id}", quote(ticket, safe="")).replace(
            "{action_id}", quote(action, safe="")
        )
        if query:
            url += "?" + urlencode(query)
        headers = [(b"x-api-key", fuzz_tenant["key"].encode())]
        if ctype is not None:
            headers.append((b"content-type", ctype.encode("latin-1")))
        if idempotency_key is not None:
            headers.append((b"idempotency-key", idempotency_key.encode("latin-1")))
        status, content = call(app, loop, method, url, body, headers)
        assert status < 500, (method, url, body, content[:300])
        if status >= 400:
            assert json.loads(content)["error"]["code"] == status

    run()
