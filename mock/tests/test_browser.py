"""The mock from a real browser page on another origin, as a frontend uses it: headless
Chromium loads a page from one local port and calls two mocks (`threada mock` processes)
on others, through CORS: stateful create then list, `Prefer: delay`, a chaos run that
replays the same after a reset (fixed `--seed`), reset, and the request log."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from docs_tests.browser import Browser, find_chromium
from testsupport import needs

from .conftest import BUNDLE, ROOT

pytestmark = [pytest.mark.chromium, pytest.mark.slow]
KEY = "browser-dev-key"
BASE = "/api/v1/public"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mock:
    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
            [sys.executable, "-m", "threada_mock", "--port", str(self.port), "--quiet"]
            + ["--spec", str(BUNDLE), "--keys", "reject", "--key", KEY, *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/__mock/requests", timeout=0.5)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the mock did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def mocks() -> Iterator[tuple[Mock, Mock]]:
    pair = (Mock("--stateful", "--seed", "11"), Mock("--chaos", "0.5", "--seed", "7"))
    try:
        for m in pair:
            m.wait()
        yield pair
    finally:
        for m in pair:
            m.stop()


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """A page on its own origin (another port): the frontend."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<!DOCTYPE html><title>frontend</title><p>app</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def page(page_origin: str) -> Iterator[Any]:
    executable = find_chromium()
    if executable is None:
        needs("chromium", "Debian's `chromium` package (`.ci/run` installs it)")
    assert executable is not None
    browser = Browser(executable)
    try:
        p = browser.new_page()
        p.goto(page_origin + "/")
        yield p
    finally:
        browser.close()


def run(page: Any, script: str, **values: Any) -> Any:
    """Run an async function body in the page, with `values` as constants."""
    consts = "".join(f"const {k} = {json.dumps(v)};" for k, v in values.items())
    return page.evaluate(f"(async () => {{ {consts} {script} }})()")


def test_frontend_flow_from_another_origin(page, mocks):
    stateful, chaos = mocks
    api = stateful.url + BASE
    ticket = json.loads((ROOT / "mock" / "tests" / "specs" / "ticket.json").read_text())

    created = run(
        page,
        """
        const h = {'X-Api-Key': KEY, 'Content-Type': 'application/json'};
        const r = await fetch(API + '/tickets',
                              {method: 'POST', headers: h, body: JSON.stringify(BODY)});
        const made = await r.json();
        const list = await fetch(API + '/tickets', {headers: {'X-Api-Key': KEY}});
        const items = (await list.json()).items.map(t => t.ticket_id);
        return {status: r.status, id: made.ticket.summary.ticket_id, items,
                rid: list.headers.get('X-Request-Id'),
                remaining: list.headers.get('X-RateLimit-Remaining'),
                location: r.headers.get('Location')};
        """,
        API=api,
        KEY=KEY,
        BODY=ticket,
    )
    assert created["status"] == 201
    assert created["id"] in created["items"], "the created ticket is listed"
    assert created["rid"] and created["rid"].startswith("req_"), "X-Request-Id readable (CORS)"
    assert created["remaining"] is not None and int(created["remaining"]) >= 0
    assert created["location"].endswith("/tickets/" + created["id"])

    delayed = run(
        page,
        """
        const t0 = performance.now();
        const r = await fetch(API + '/tickets',
                              {headers: {'X-Api-Key': KEY, 'Prefer': 'delay=300'}});
        await r.json();
        return {status: r.status, ms: performance.now() - t0};
        """,
        API=api,
        KEY=KEY,
    )
    assert delayed["status"] == 200 and delayed["ms"] >= 300, delayed

    chaos_script = """
        await fetch(ROOT + '/__mock/reset', {method: 'POST'});
        const out = [];
        for (let i = 0; i < 16; i++) {
          const r = await fetch(API + '/tickets', {headers: {'X-Api-Key': KEY}});
          const body = await r.json();
          out.push([r.status, r.status >= 400 ? body.error.code : 0,
                    r.status === 429 ? r.headers.get('Retry-After') !== null : true]);
        }
        return out;
    """
    values = {"ROOT": chaos.url, "API": chaos.url + BASE, "KEY": KEY}
    first = run(page, chaos_script, **values)
    again = run(page, chaos_script, **values)
    assert first == again, "the same seed, after a reset, gives the same faults"
    statuses = [s for s, _, _ in first]
    assert any(s != 200 for s in statuses) and 200 in statuses, statuses
    assert all(code in (0, s) for s, code, _ in first), "error code equals the status"
    assert all(ok for _, _, ok in first), "429 carries Retry-After"

    logged = run(
        page,
        """
        const log = await (await fetch(ROOT + '/__mock/requests')).json();
        const reset = await fetch(ROOT + '/__mock/reset', {method: 'POST'});
        const gone = await fetch(ROOT + '/api/v1/public/tickets/' + ID,
                                 {headers: {'X-Api-Key': KEY}});
        const after = await (await fetch(ROOT + '/__mock/requests')).json();
        return {items: log.items, reset: reset.status, gone: gone.status, after: after.items};
        """,
        ROOT=stateful.url,
        ID=created["id"],
        KEY=KEY,
    )
    # Preflights are logged too (mode "preflight"); the requests themselves:
    ops = [
        (i["method"], i["operation"], i["status"])
        for i in logged["items"]
        if i["mode"] != "preflight"
    ]
    assert any(i["mode"] == "preflight" for i in logged["items"])
    assert ops[:3] == [
        ("GET", "listTickets", 200),
        ("GET", "listTickets", 200),
        ("POST", "createTicket", 201),
    ], ops
    assert [i for i in logged["items"] if i["operation"]][0]["delay_ms"] == 300
    assert logged["reset"] == 200
    assert logged["gone"] == 404, "reset forgets what was created"
    assert [i["status"] for i in logged["after"] if i["mode"] != "preflight"] == [404]
