"""Demo mode opens loopback to the demo tenant only, and only to the built-in receiver's
address and port: in a `threada serve --init-demo` process, a second tenant cannot reach
127.0.0.1 by any spelling, and the demo tenant cannot reach another local port."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from threada.domain import auth, tickets
from threada.storage.db import Database

from server.tests.apihelpers import BASE, example_ticket
from server.tests.test_serve import THREADA, _free_port

SPELLINGS = [
    "127.0.0.1",
    "localhost",  # a name that resolves to 127.0.0.1
    "[::ffff:127.0.0.1]",
    "0177.0.0.1",
    "2130706433",
    "127.1",
    "0x7f.0.0.1",
    "[::1]",
]
PAYLOAD = {"type": "custom_http", "method": "POST", "url": "/hooks/x", "body_json": "{}"}


class Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_service() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    Counting.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _set_base_url(db: Database, tenant_id: str, url: str) -> None:
    # Straight into the table: the admin command refuses these URLs (as it should); this
    # checks that the call refuses them too, whatever put them there.
    with db.write() as conn:
        conn.execute(
            sa.text("UPDATE tenants SET actions_base_url = :u WHERE tenant_id = :t"),
            {"u": url, "t": tenant_id},
        )


@pytest.mark.slow
def test_demo_allowance_is_the_demo_tenants_alone(tmp_path: Path, local_service: int) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    proc = subprocess.Popen(
        [str(THREADA), "serve", "--host", "127.0.0.1", "--port", str(port), "--init-demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    db = Database(f"sqlite:///{tmp_path / 'var' / 'threada.db'}")
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("Serving") for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stdout.readline())  # type: ignore[union-attr]
        curl = next(line for line in lines if line.startswith("Try:")).split("Try:", 1)[1]
        argv = shlex.split(curl)
        demo_key = argv[argv.index("-H") + 1].split(": ", 1)[1]
        api = f"http://127.0.0.1:{port}{BASE}"
        while True:
            try:
                httpx.get(f"{api}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)

        def run(key: str, ticket_id: str) -> dict:
            r = httpx.post(
                f"{api}/tickets/{ticket_id}/actions",
                headers={"X-Api-Key": key},
                json={"payload": PAYLOAD},
                timeout=30,
            )
            assert r.status_code == 201, r.text
            return r.json()["action"]

        # The demo tenant reaches its built-in receiver (what the allowance is for).
        demo = auth.get_tenant(db, "demo")
        demo_ticket = httpx.get(f"{api}/tickets", headers={"X-Api-Key": demo_key}).json()
        demo_ticket_id = demo_ticket["items"][0]["ticket_id"]
        assert run(demo_key, demo_ticket_id)["status"] == "succeeded"

        # A second tenant, in the same process: loopback stays closed, by every spelling,
        # on the local service's port and on the demo receiver's own.
        other = auth.create_tenant(db, name="other")
        _, key = auth.create_key(db, tenant=other["tenant_id"], name="k", scopes=list(auth.SCOPES))
        principal = auth.authenticate(db, key)
        assert principal is not None
        ticket_id = tickets.create_ticket(db, principal=principal, body=example_ticket())[
            "summary"
        ]["ticket_id"]
        targets = [f"http://{host}:{local_service}" for host in SPELLINGS]
        targets += [f"http://{host}:{port}/_demo" for host in SPELLINGS]
        for url in targets:
            _set_base_url(db, other["tenant_id"], url)
            action = run(key, ticket_id)
            assert action["status"] == "failed", (url, action)
            assert action["result"]["http_status"] is None, (url, action)
            error = action["result"]["error"]
            assert error.startswith(("blocked by policy", "invalid actions_base_url")), (url, error)
        # The demo tenant itself gets loopback on the receiver's port only.
        _set_base_url(db, demo["tenant_id"], f"http://127.0.0.1:{local_service}")
        action = run(demo_key, demo_ticket_id)
        assert action["status"] == "failed" and action["result"]["error"].startswith(
            "blocked by policy"
        ), action
        assert Counting.hits == []
    finally:
        db.dispose()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
