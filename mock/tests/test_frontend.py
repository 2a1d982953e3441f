"""What frontend developers use daily in Prism, Mockoon, WireMock and MSW: latency,
faults, reset and the request log, fixtures, realistic data, the docs, strict keys."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from threada_mock.cli import build_app, mock_command, parse_latency

from .conftest import BUNDLE, SpecChecker, TestClient

BASE = "/api/v1/public"
KEY = {"X-Api-Key": "k"}
ULID = re.compile(r"^(tkt|msg|act|ten)_[0-9A-HJKMNP-TV-Z]{26}$")


def client(**kwargs) -> TestClient:
    kwargs.setdefault("rate_limit", 0)
    return TestClient(build_app(BUNDLE, **kwargs), base_url="http://mock.test")


# --- latency ---------------------------------------------------------------------


def test_prefer_delay_waits_that_long_without_blocking_the_loop():
    app = build_app(BUNDLE, rate_limit=0)

    async def run() -> tuple[float, list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as c:
            started = time.perf_counter()
            got = await asyncio.gather(
                *[
                    c.get(BASE + "/tickets", headers={**KEY, "Prefer": "delay=300"})
                    for _ in range(5)
                ]
            )
            return time.perf_counter() - started, [r.status_code for r in got]

    took, statuses = asyncio.run(run())
    assert statuses == [200] * 5
    # Five delayed requests at once take one delay, not five: the sleep is asynchronous.
    assert 0.3 <= took < 1.2, took


def test_prefer_delay_is_checked():
    c = client()
    r = c.get(BASE + "/tickets", headers={**KEY, "Prefer": "delay=soon"})
    assert r.status_code == 400
    assert r.json()["error"]["details"][0]["field"] == "prefer.delay"
    r = c.get(BASE + "/tickets?__delay=0", headers=KEY)
    assert r.status_code == 200


def test_global_latency_range_applies_to_every_answer():
    c = client(latency=(100, 150), seed=1)
    for path in ("/tickets", "/nope"):
        started = time.perf_counter()
        c.get(BASE + path, headers=KEY)
        assert time.perf_counter() - started >= 0.1
    delays = [e["delay_ms"] for e in c.get("/__mock/requests").json()["items"]]
    assert len(delays) == 2 and all(100 <= d <= 150 for d in delays), delays


def test_latency_option_parses():
    assert parse_latency("100-400") == (100.0, 400.0)
    assert parse_latency("250") == (250.0, 250.0)
    assert parse_latency(None) is None
    result = CliRunner().invoke(mock_command, ["--latency", "400-100"])
    assert result.exit_code != 0 and "MIN <= MAX" in result.output


# --- faults ----------------------------------------------------------------------


def chaos_run(seed: int) -> list[tuple[int, str | None]]:
    c = client(chaos=0.3, seed=seed)
    out = []
    for _ in range(40):
        r = c.get(BASE + "/tickets", headers=KEY)
        out.append((r.status_code, r.headers.get("retry-after")))
    return out


def test_chaos_answers_documented_faults_reproducibly():
    checker = SpecChecker(BUNDLE)
    first = chaos_run(7)
    statuses = [s for s, _ in first]
    assert statuses == [s for s, _ in chaos_run(7)], "the same seed gives the same faults"
    assert statuses != [s for s, _ in chaos_run(8)]
    faults = [s for s, _ in first if s != 200]
    assert 4 <= len(faults) <= 24, first  # about 30% of 40
    documented = {int(s) for s in checker.operations()["listTickets"][2]["responses"]}
    assert set(faults) <= documented & {429, 500, 502, 503, 504}
    assert all(ra is not None for s, ra in first if s == 429)
    c = client(chaos=1.0, seed=1)
    r = c.get(BASE + "/tickets", headers=KEY)
    checker.check("listTickets", r)
    assert r.json()["error"]["request_id"] == r.headers["x-request-id"]
    log = c.get("/__mock/requests").json()["items"]
    assert log[0]["mode"] == "chaos"


# --- reset and the request log ---------------------------------------------------


def test_request_log_newest_first_with_operation_and_example():
    c = client()
    c.get(BASE + "/tickets", headers=KEY)
    c.get(BASE + "/tickets", headers={**KEY, "Prefer": "example=last_page"})
    c.get(BASE + "/tickets?limit=0", headers=KEY)
    items = c.get("/__mock/requests").json()["items"]
    assert [i["status"] for i in items] == [400, 200, 200]
    assert [i["operation"] for i in items] == ["listTickets"] * 3
    assert items[1]["example"] == "last_page" and items[1]["mode"] == "selected"
    assert items[2]["example"] == "open_tickets" and items[2]["mode"] == "example"
    assert items[0]["query"] == "limit=0"
    assert all(i["request_id"].startswith("req_") for i in items)
    assert c.get(BASE + "/__mock/requests?limit=1").json()["items"] == items[:1]


def test_reset_restores_the_start():
    c = client(stateful=True, seed=3)
    before = c.get(BASE + "/tickets", headers=KEY).json()
    body = json.loads((Path(__file__).parent / "specs" / "ticket.json").read_text())
    created = c.post(BASE + "/tickets", json=body, headers=KEY)
    assert created.status_code == 201
    tid = created.json()["ticket"]["summary"]["ticket_id"]
    assert c.get(BASE + f"/tickets/{tid}", headers=KEY).status_code == 200
    r = c.post("/__mock/reset")
    assert r.status_code == 200 and r.json() == {"reset": True}
    assert c.get("/__mock/requests").json()["items"] == []
    assert c.get(BASE + f"/tickets/{tid}", headers=KEY).status_code == 404
    assert c.get(BASE + "/tickets", headers=KEY).json()["items"] == before["items"]
    assert c.get("/__mock/reset").status_code == 405
    assert c.get("/__mock/nothing").status_code == 404


def test_reset_restarts_the_limit_windows():
    c = client(rate_limit=1)
    assert c.get(BASE + "/tickets", headers=KEY).status_code == 200
    assert c.get(BASE + "/tickets", headers=KEY).status_code == 429
    c.post(BASE + "/__mock/reset")
    assert c.get(BASE + "/tickets", headers=KEY).status_code == 200


# --- fixtures --------------------------------------------------------------------


def fixture_data() -> dict:
    checker = SpecChecker(BUNDLE)
    ex = checker.doc["components"]["examples"]["TicketWithConversation"]["value"]["ticket"]
    return {"tickets": [ex], "actions": [], "messages": []}


def test_fixtures_seed_the_stateful_mode(tmp_path):
    data = fixture_data()
    path = tmp_path / "fixtures.yaml"
    path.write_text(yaml.safe_dump(data))
    c = client(stateful=True, fixtures=path)
    tid = data["tickets"][0]["summary"]["ticket_id"]
    got = c.get(BASE + f"/tickets/{tid}", headers=KEY).json()["ticket"]
    assert got["summary"] == data["tickets"][0]["summary"]
    assert [m["message_id"] for m in got["messages"]] == [
        m["message_id"] for m in data["tickets"][0]["messages"]
    ]
    status = data["tickets"][0]["summary"]["status"]
    listed = c.get(BASE + f"/tickets?status={status}", headers=KEY).json()["items"]
    assert [t["ticket_id"] for t in listed] == [tid], "only the fixtures, not the examples"


def test_fixtures_are_validated_against_the_spec(tmp_path):
    data = fixture_data()
    data["tickets"][0]["summary"]["status"] = "archived"
    data["actions"] = [{"action_id": "act_1", "ticket_id": "tkt_nope"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError) as e:
        build_app(BUNDLE, stateful=True, fixtures=path)
    assert "tickets.0.summary.status" in str(e.value)
    assert "actions.0" in str(e.value)
    result = CliRunner().invoke(mock_command, ["--stateful", "--fixtures", str(path)])
    assert result.exit_code != 0 and "not valid against the spec" in result.output
    with pytest.raises(ValueError, match="--stateful"):
        build_app(BUNDLE, fixtures=path)


# --- realistic dynamic data ------------------------------------------------------


def test_dynamic_data_is_realistic_and_honours_filters_and_paging():
    checker = SpecChecker(BUNDLE)
    c = client(dynamic=True, seed=5)
    seen_names: set[str] = set()
    for _ in range(8):
        r = c.get(BASE + "/tickets?status=pending&channel=chat&limit=3&tag=vip", headers=KEY)
        checker.check("listTickets", r)
        items = r.json()["items"]
        assert len(items) <= 3
        for t in items:
            assert ULID.match(t["ticket_id"]) and ULID.match(t["tenant_id"]), t
            assert (t["status"], t["channel"]) == ("pending", "chat")
            assert "vip" in t["tags"]
            assert t["created_at"] <= t["last_message_at"] <= t["updated_at"]
        keys = [(t["updated_at"], t["ticket_id"]) for t in items]
        assert keys == sorted(keys, reverse=True), "activity order, newest first"
    tid = "tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB"
    for _ in range(8):
        r = c.get(BASE + f"/tickets/{tid}", headers=KEY)
        checker.check("getTicket", r)
        ticket = r.json()["ticket"]
        assert ticket["summary"]["ticket_id"] == tid
        seen_names.add(ticket["contact"].get("name", ""))
        times = [m["created_at"] for m in ticket["messages"]]
        assert times == sorted(times)
    # Faker people, in English and Hindi (Devanagari) over a few draws.
    scripts = {"hi" if re.search("[\u0900-\u097f]", n) else "en" for n in seen_names if n}
    assert len(seen_names) > 3 and scripts, seen_names


# --- docs, keys ------------------------------------------------------------------


def test_serves_the_spec_and_docs_under_the_base_path():
    c = client()
    r = c.get(BASE + "/openapi.json")
    assert r.status_code == 200 and r.content == BUNDLE.read_bytes()
    r = c.get(BASE + "/openapi.yaml")
    assert r.status_code == 200 and r.content == BUNDLE.with_suffix(".yaml").read_bytes()
    for page in ("/docs/", "/ui/"):
        r = c.get(BASE + page)
        assert r.status_code in (200, 503)  # 503: node_modules missing, and it says so
        assert r.headers["content-type"].startswith(("text/html", "text/plain"))


def test_keys_reject_without_a_config_file():
    c = client(
        keys="reject", declared_keys={"dev-key": None, "reader": frozenset({"support.read"})}
    )
    assert c.get(BASE + "/tickets", headers={"X-Api-Key": "anything"}).status_code == 401
    assert c.get(BASE + "/tickets", headers={"X-Api-Key": "dev-key"}).status_code == 200
    assert c.get(BASE + "/tickets", headers={"X-Api-Key": "reader"}).status_code == 200
    r = c.patch(
        BASE + "/tickets/tkt_01JKQ3V9X8M2D4R7T5W6Y8Z0AB",
        json={"status": "solved"},
        headers={"X-Api-Key": "reader"},
    )
    assert r.status_code == 403
    result = CliRunner().invoke(mock_command, ["--keys", "maybe"])
    assert result.exit_code != 0
