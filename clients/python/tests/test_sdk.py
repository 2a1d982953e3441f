"""The Python SDK against the stateful mock and the real server (clients/conftest.py):
the product page's three examples, a full paging walk, retries and typed errors."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml
from threada_client import DEFAULT_BASE_URL, Threada, ThreadaError, models

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "openapi" / "tests" / "fixtures" / "seed"


def seed(name: str) -> dict:
    return json.loads((SEED / f"{name}.json").read_text())


@pytest.fixture
def client(target):
    with Threada(target.key, target.url, sleep=lambda s: None) as c:
        yield c


def test_default_base_url_is_the_specs_first_server():
    bundle = yaml.safe_load((ROOT / "openapi" / "dist" / "openapi.yaml").read_text())
    assert DEFAULT_BASE_URL == bundle["servers"][0]["url"]
    assert Threada("k").generated._base_url == DEFAULT_BASE_URL


def test_the_pages_three_examples(client, target):
    create = seed("create_ticket")
    created = client.tickets.create(create["request"]["body"])
    assert isinstance(created, models.TicketEnvelope)
    summary = created.ticket.summary
    assert isinstance(summary.status, models.TicketStatus)
    assert summary.channel.value == create["response"]["ticket"]["summary"]["channel"]
    assert isinstance(created.ticket.contact, models.Contact)
    if target.name == "server":  # the mock answers its example, not what was sent
        assert summary.subject == create["request"]["body"]["subject"]
        assert created.ticket.contact.email == create["request"]["body"]["contact"]["email"]
        assert summary.tags == ["returns"]
        assert created.ticket.messages[0].content == "MESSAGE_BODY"

    listing = seed("list_tickets")
    page = client.tickets.list(limit=int(listing["request"]["query"]["limit"]))
    assert isinstance(page, models.TicketList)
    assert page.items and all(isinstance(t, models.TicketSummary) for t in page.items)
    if target.name == "server":
        assert summary.ticket_id in {t.ticket_id for t in page.items}

    run = seed("run_action")
    action = client.actions.run(summary.ticket_id, run["request"]["body"]).action
    assert isinstance(action, models.Action)
    assert action.action_type == "custom_http"
    assert action.payload.url == "/hooks/zapier"
    if target.name == "server":  # the local receiver answered 200
        assert action.status == models.ActionStatus.SUCCEEDED
        assert action.result.http_status == 200
        again = client.actions.get(summary.ticket_id, action.action_id).action
        assert again.action_id == action.action_id


def test_iterate_walks_every_page(client, target):
    made = {
        client.tickets.create(
            {
                "subject": f"Paging {i}",
                "channel": "chat",
                "contact": {"phone": "+919812345678"},
                "initial_message": {"role": "user", "content": "hello"},
            }
        ).ticket.summary.ticket_id
        for i in range(5)
    }
    pages = []
    first = client.tickets.list(limit=2)
    pages.append(first)
    seen = [t.ticket_id for t in client.tickets.iterate(limit=2)]
    assert len(seen) == len(set(seen)), "a ticket came twice"
    assert len(seen) > 2, "only one page was read"
    assert [t.ticket_id for t in first.items] == seen[:2]
    if target.name == "server":
        assert made <= set(seen)
        # The walk ends where the API says: the last page has no next token.
        total = len(client.tickets.list(limit=100).items)
        assert len(seen) == total


def test_an_error_is_a_typed_exception(client):
    body = seed("create_ticket")["request"]["body"]
    with pytest.raises(ThreadaError) as caught:
        client.tickets.create({**body, "contact": {"email": "not-an-email"}})
    err = caught.value
    assert (err.type, err.code) == ("invalid_request", 400)
    assert err.message and err.request_id
    assert [d["field"] for d in err.details] == ["body.contact.email"]


def test_an_unknown_ticket_is_not_found(server_target):
    # The stateful mock answers its example for any id, so this one is the server's.
    with Threada(server_target.key, server_target.url) as c:
        with pytest.raises(ThreadaError) as caught:
            c.tickets.get("tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB")
    assert (caught.value.type, caught.value.code) == ("not_found", 404)


def test_a_bad_key_is_authentication_failed(target):
    with Threada("mock-invalid-key" if target.name == "mock" else "thr_wrong", target.url) as c:
        with pytest.raises(ThreadaError) as caught:
            c.tickets.list()
    assert (caught.value.type, caught.value.code) == ("authentication_failed", 401)


def test_429_is_retried_after_retry_after_on_the_server(server_target, clock):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.shift(seconds)  # the server's rate-limit window moves on

    with Threada(server_target.limited_key, server_target.url, sleep=sleep) as c:
        for _ in range(4):  # the tenant allows 3 a minute: the 4th is a 429, then retried
            page = c.tickets.list(limit=1)
        assert isinstance(page, models.TicketList)
    assert len(waits) == 1 and 1 <= waits[0] <= 60, waits


def test_429_is_retried_then_raised_on_the_mock(mock_target):
    waits: list[float] = []
    with Threada(
        mock_target.key,
        mock_target.url,
        max_retries=2,
        sleep=waits.append,
        headers={"Prefer": "code=429"},
    ) as c:
        with pytest.raises(ThreadaError) as caught:
            c.tickets.list()
    assert (caught.value.type, caught.value.code) == ("rate_limited", 429)
    assert caught.value.retry_after is not None
    assert waits == [caught.value.retry_after] * 2  # Retry-After honoured on each retry


class LoseFirstResponse(httpx.BaseTransport):
    """Sends each request for real, but the first POST's response is 'lost' (a connection
    error after the server did the work)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.keys: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.keys.append(request.headers.get("idempotency-key"))
        response = self.inner.handle_request(request)
        if request.method == "POST" and len(self.keys) == 1:
            response.read()
            raise httpx.ReadError("connection reset", request=request)
        return response


def test_a_post_is_retried_with_the_same_idempotency_key(server_target):
    lossy = LoseFirstResponse()
    with Threada(server_target.key, server_target.url, transport=lossy, sleep=lambda s: None) as c:
        body = seed("create_ticket")["request"]["body"]
        created = c.tickets.create({**body, "subject": "Idempotent"})
        after = [t for t in c.tickets.list(limit=100).items if t.subject == "Idempotent"]
    assert len(lossy.keys) == 2 and lossy.keys[0] and lossy.keys[0] == lossy.keys[1]
    # The retry was answered from the first request's record: one ticket, not two.
    assert len(after) == 1 and after[0].ticket_id == created.ticket.summary.ticket_id


def test_each_post_gets_its_own_key_unless_given(server_target):
    seen: list[str] = []

    class Record(httpx.BaseTransport):
        inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request.headers.get("idempotency-key"))
            return self.inner.handle_request(request)

    body = seed("create_ticket")["request"]["body"]
    with Threada(server_target.key, server_target.url, transport=Record()) as c:
        c.tickets.create(body)
        c.tickets.create(body)
        c.tickets.create(body, idempotency_key="mine-123")
        c.tickets.list()
    assert seen[0] and seen[1] and seen[0] != seen[1]
    assert seen[2] == "mine-123" and seen[3] is None


def test_patch_is_not_retried(server_target):
    class Always503(httpx.BaseTransport):
        calls = 0

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            Always503.calls += 1
            return httpx.Response(
                503, json={"error": {"type": "service_unavailable", "message": "y", "code": 503}}
            )

    with Threada(server_target.key, server_target.url, transport=Always503()) as c:
        with pytest.raises(ThreadaError):
            c.tickets.update("tkt_x", {"priority": "high"})
    assert Always503.calls == 1


def test_the_readme_examples_run_against_the_server(server_target, capsys):
    readme = (ROOT / "clients" / "python" / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    original = 'Threada(api_key=os.environ["THREADA_API_KEY"])'
    assert original in code
    code = code.replace(original, "Threada(api_key=KEY, base_url=URL)")
    exec(compile(code, "README.md", "exec"), {"KEY": server_target.key, "URL": server_target.url})
    out = capsys.readouterr().out
    assert "succeeded 200" in out
    assert "404 not_found" in out


def test_sdk_versions_follow_the_spec():
    bundle = yaml.safe_load((ROOT / "openapi" / "dist" / "openapi.yaml").read_text())
    version = bundle["info"]["version"]
    py = (ROOT / "clients" / "python" / "pyproject.toml").read_text()
    assert f'version = "{version}"' in py
    ts = json.loads((ROOT / "clients" / "typescript" / "package.json").read_text())
    assert ts["version"] == version
