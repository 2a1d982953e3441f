"""The stateful mock answers like the server: the corpus (`parity_corpus.yaml`) is sent,
in order, to both (each in-process, over ASGI), and every answer must match in status,
error `type` and `code`, `details[].field` paths, `request_id` (equal to the
`X-Request-Id` header), the headers the spec documents for that response (and no
others), and the shape of the body. Plus the rate limit: the same countdown and the
same 429 with `Retry-After` past the same limit.

The server is the real one (`threada.app.create_app`) on a fresh SQLite database, with
a tenant, keys and an actions receiver on 127.0.0.1; the mock is `--stateful --keys
reject` with the same three keys declared.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from threada_mock.cli import build_app
from threada_mock.model import compile_spec
from threada_mock.spec import deref, load_spec

from .conftest import BUNDLE, SpecChecker, TestClient

CORPUS = Path(__file__).with_name("parity_corpus.yaml")
BASE = "/api/v1/public"
SCOPES = {
    "all": ["support.read", "support.write", "support.actions"],
    "read": ["support.read"],
    "actions": ["support.actions"],
}
#: Headers every HTTP answer may carry whatever the spec says.
TRANSPORT = {"content-type", "content-length", "date", "server", "vary", "connection"}


def load_corpus() -> list[dict[str, Any]]:
    cases = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


class Receiver:
    """The tenant's actions target for the server: answers 200 to anything."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = b'{"status":"success"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Side:
    """One target: a client and its keys."""

    def __init__(self, name: str, client: TestClient, keys: dict[str, str]) -> None:
        self.name = name
        self.client = client
        self.keys = {**keys, "unknown": "thr_live_" + "x" * 43}
        self.vars: dict[str, str] = {}

    def send(self, case: dict[str, Any]) -> Any:
        headers = {k: self._fill(v) for k, v in (case.get("headers") or {}).items()}
        key = case.get("key", "all")
        if key != "none":
            headers["X-Api-Key"] = self.keys[key]
        content: bytes | None = None
        if "json" in case:
            content = json.dumps(self._fill(case["json"])).encode()
            headers["Content-Type"] = case.get("content_type", "application/json")
        elif "raw" in case:
            content = case["raw"].encode("latin-1")
            headers["Content-Type"] = case["content_type"]
        elif "raw_size" in case:
            content = b"x" * case["raw_size"]
            headers["Content-Type"] = case["content_type"]
        return self.client.request(
            case["method"], BASE + self._fill(case["path"]), content=content, headers=headers
        )

    def _fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"\{(\w+)\}", lambda m: self.vars.get(m.group(1), m.group(0)), value)
        if isinstance(value, dict):
            return {k: self._fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fill(v) for v in value]
        return value

    def setup(self) -> None:
        """The same few requests on both sides: the ids the corpus refers to."""

        def create(subject: str) -> str:
            r = self.send(
                {
                    "method": "POST",
                    "path": "/tickets",
                    "json": {
                        "subject": subject,
                        "channel": "email",
                        "tags": ["vip"],
                        "contact": {"name": "Asha", "email": "asha@example.com"},
                        "initial_message": {"role": "user", "content": "Hello"},
                    },
                }
            )
            assert r.status_code == 201, (self.name, r.text)
            return r.json()["ticket"]["summary"]["ticket_id"]

        def patch(tid: str, status: str) -> None:
            r = self.send(
                {"method": "PATCH", "path": f"/tickets/{tid}", "json": {"status": status}}
            )
            assert r.status_code == 200, (self.name, r.text)

        self.vars["ticket"] = create("Parity ticket")
        self.vars["closed"] = create("Closed ticket")
        patch(self.vars["closed"], "closed")
        self.vars["solved"] = create("Solved ticket")
        patch(self.vars["solved"], "solved")
        create("Another open ticket")
        r = self.send(
            {
                "method": "POST",
                "path": f"/tickets/{self.vars['ticket']}/actions",
                "key": "actions",
                "json": {"payload": {"type": "custom_http", "method": "POST", "url": "/hooks"}},
            }
        )
        assert r.status_code == 201, (self.name, r.text)
        self.vars["action"] = r.json()["action"]["action_id"]
        r = self.send({"method": "GET", "path": "/tickets?limit=1"})
        token = r.json()["next_page_token"]
        assert token, (self.name, r.text)
        self.vars["next_token"] = token


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Side, Side]]:
    from threada.app import create_app
    from threada.domain import auth
    from threada.outbound import OutboundPolicy
    from threada.storage.db import Database

    tmp = tmp_path_factory.mktemp("parity")
    receiver = Receiver()
    url = f"sqlite:///{tmp / 'parity.db'}"
    db = Database(url)
    db.upgrade()
    tenant = auth.create_tenant(db, name="parity")["tenant_id"]
    auth.set_actions_base_url(db, tenant=tenant, base_url=receiver.url)
    server_keys = {
        label: auth.create_key(db, tenant=tenant, name=label, scopes=scopes)[1]
        for label, scopes in SCOPES.items()
    }
    server = create_app(
        {
            "database": db,
            "database_url": url,
            "var_dir": str(tmp),
            "secret_key": "parity-" + uuid.uuid4().hex,
            "outbound_policy": OutboundPolicy.allowing(
                "127.0.0.1", connect_timeout=2.0, total_timeout=5.0
            ),
        }
    )
    mock_keys = {label: f"parity-{label}" for label in SCOPES}
    mock = build_app(
        BUNDLE,
        stateful=True,
        seed=1,
        keys="reject",
        declared_keys={mock_keys[k]: frozenset(v) for k, v in SCOPES.items()},
    )
    pair = (
        Side("server", TestClient(server, base_url="http://parity.test"), server_keys),
        Side("mock", TestClient(mock, base_url="http://parity.test"), mock_keys),
    )
    for side in pair:
        side.setup()
    try:
        yield pair
    finally:
        receiver.close()
        db.dispose()


@pytest.fixture(scope="module")
def spec() -> tuple[Any, SpecChecker]:
    doc = load_spec(BUNDLE)
    return compile_spec(doc), SpecChecker(BUNDLE)


def documented(spec: tuple[Any, SpecChecker], method: str, path: str, status: int) -> Any:
    """The spec's response object for this request and status (None: not documented)."""
    compiled, checker = spec
    item, _ = compiled.match(path.split("?")[0][len(BASE) :])
    op = item.ops.get(method) if item is not None else None
    if op is None:
        return None
    return checker.response(op.op_id, status)


def shape_diff(a: Any, b: Any, where: str = "body") -> list[str]:
    """Where two bodies differ in shape: member names, list-ness, scalar types (a null on
    either side matches anything)."""
    if a is None or b is None:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = (
            [f"{where}: members {sorted(set(a) ^ set(b))} on one side only"]
            if set(a) != set(b)
            else []
        )
        for k in set(a) & set(b):
            out += shape_diff(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        return shape_diff(a[0], b[0], f"{where}[0]") if a and b else []
    if type(a) is not type(b) and not (isinstance(a, int | float) and isinstance(b, int | float)):
        return [f"{where}: {type(a).__name__} vs {type(b).__name__}"]
    return []


def extra_headers(response: Any) -> set[str]:
    return {
        k.lower()
        for k in response.headers
        if k.lower() not in TRANSPORT and not k.lower().startswith("access-control-")
    }


CASES = load_corpus()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_mock_answers_like_the_server(case: dict[str, Any], sides: tuple[Side, Side], spec):
    server, mock = sides
    got = {side.name: side.send(case) for side in sides}
    s, m = got["server"], got["mock"]
    assert (s.status_code, m.status_code) == (case["expect"], case["expect"]), (
        f"expected {case['expect']}: server {s.status_code} {s.text[:300]} | "
        f"mock {m.status_code} {m.text[:300]}"
    )
    for side, r in got.items():
        rid = r.headers.get("x-request-id")
        assert rid, f"{side}: no X-Request-Id"
        if r.status_code >= 400:
            err = r.json()["error"]
            assert err["code"] == r.status_code
            assert err.get("request_id") == rid, f"{side}: request_id {err.get('request_id')}"
    if s.status_code >= 400:
        se, me = s.json()["error"], m.json()["error"]
        assert se["type"] == me["type"], (se, me)
        fields = [sorted(d["field"] for d in e.get("details") or []) for e in (se, me)]
        assert fields[0] == fields[1], f"details fields: server {fields[0]}, mock {fields[1]}"
    response = documented(spec, case["method"], BASE + case["path"], s.status_code)
    names = {n.lower() for n in ((response or {}).get("headers") or {})}
    if response is None:  # no operation (unknown path or method): the id is on every answer
        names |= {"x-request-id", "allow"}
    for side, r in got.items():
        undocumented = extra_headers(r) - names
        assert not undocumented, f"{side} sends headers the spec does not document: {undocumented}"
    assert extra_headers(s) == extra_headers(m), (
        f"headers: server {sorted(extra_headers(s))}, mock {sorted(extra_headers(m))}"
    )
    if s.content and m.content:
        diff = shape_diff(s.json(), m.json())
        assert not diff, diff
        if response is not None and response.get("content"):
            schema = deref(spec[1].doc, response["content"]["application/json"]["schema"])
            for side, r in got.items():
                problems = spec[1].validate(schema, r.json())
                assert not problems, f"{side}: {problems}"


def test_rate_limit_counts_down_and_refuses_alike(tmp_path: Path) -> None:
    from threada.app import create_app
    from threada.domain import auth
    from threada.storage.db import Database

    url = f"sqlite:///{tmp_path / 'limit.db'}"
    db = Database(url)
    db.upgrade()
    tenant = auth.create_tenant(db, name="limit")["tenant_id"]
    auth.set_rate_limit(db, tenant=tenant, per_minute=3)
    _, key = auth.create_key(db, tenant=tenant, name="k", scopes=SCOPES["all"])
    server = TestClient(
        create_app({"database": db, "database_url": url, "var_dir": str(tmp_path)}),
        base_url="http://parity.test",
    )
    mock = TestClient(build_app(BUNDLE, rate_limit=3), base_url="http://parity.test")
    seen: dict[str, list[tuple[int, str | None, str | None, bool]]] = {}
    try:
        for name, client, k in (("server", server, key), ("mock", mock, "some-key")):
            seen[name] = []
            for _ in range(4):
                r = client.get(BASE + "/tickets", headers={"X-Api-Key": k})
                seen[name].append(
                    (
                        r.status_code,
                        r.headers.get("x-ratelimit-limit"),
                        r.headers.get("x-ratelimit-remaining"),
                        "retry-after" in r.headers,
                    )
                )
                if r.status_code == 429:
                    assert r.json()["error"]["type"] == "rate_limited"
                    assert 1 <= int(r.headers["retry-after"]) <= 60
            # Another key has its own window.
            other = client.get(BASE + "/tickets", headers={"X-Api-Key": k + "-other"})
            assert other.status_code in (200, 401)
    finally:
        db.dispose()
    assert seen["server"] == seen["mock"], seen
    assert [s[0] for s in seen["mock"]] == [200, 200, 200, 429]
    assert [s[2] for s in seen["mock"]] == ["2", "1", "0", "0"]


def test_request_ids_are_fresh_and_kept_when_sent() -> None:
    mock = TestClient(build_app(BUNDLE), base_url="http://parity.test")
    ids = {mock.get(BASE + "/tickets", headers={"X-Api-Key": "k"}).headers["x-request-id"]}
    ids.add(mock.get(BASE + "/tickets", headers={"X-Api-Key": "k"}).headers["x-request-id"])
    assert len(ids) == 2
    mine = "client-trace-0001"
    r = mock.get(BASE + "/tickets?limit=0", headers={"X-Api-Key": "k", "X-Request-Id": mine})
    assert r.headers["x-request-id"] == mine == r.json()["error"]["request_id"]
