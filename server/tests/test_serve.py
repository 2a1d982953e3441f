"""`threada serve --init-demo` from an empty directory: what `make run` does on a fresh clone."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from server.tests.apihelpers import BASE

THREADA = Path(sys.executable).with_name("threada")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_prints_a_working_key_and_curl_line(tmp_path, workers):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    proc = subprocess.Popen(
        [
            str(THREADA),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--init-demo",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("Serving") for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stdout.readline())
        curl = next(line for line in lines if line.startswith("Try:")).split("Try:", 1)[1]
        argv = shlex.split(curl)
        key = argv[argv.index("-H") + 1].split(": ", 1)[1]
        url = argv[-1]
        assert url == f"http://127.0.0.1:{port}{BASE}/tickets?limit=25"
        assert (tmp_path / "var" / "threada.db").exists()
        while True:
            try:
                r = httpx.get(url, headers={"X-Api-Key": key}, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200, r.text
        [item] = r.json()["items"]
        assert item["tags"] == ["vip", "returns"] and item["status"] == "open"
        # The demo tenant is a testing tenant: the contract suite may write with its key.
        assert re.match(r"^thr_test_", key)
        docs = httpx.get(f"http://127.0.0.1:{port}{BASE}/openapi.json", timeout=5)
        assert docs.status_code == 200
        assert any(line.startswith("DEMO MODE:") for line in lines), "".join(lines)
        _the_pages_action_example_succeeds(port, key, item["ticket_id"])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _start(tmp_path, port, env):
    return subprocess.Popen(
        [str(THREADA), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_rate_limit_holds_across_two_server_processes(tmp_path):
    from threada.domain import auth
    from threada.storage.db import Database

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    env.update(THREADA_DATABASE_URL=url, THREADA_SECRET_KEY="shared")
    db = Database(url)
    db.upgrade()
    tenant = auth.create_tenant(db, name="limited")
    auth.set_rate_limit(db, tenant=tenant["tenant_id"], per_minute=20)
    _, secret = auth.create_key(db, tenant="limited", name="k", scopes=["support.read"])
    db.dispose()
    ports = [_free_port(), _free_port()]
    procs = [_start(tmp_path, p, env) for p in ports]
    try:
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}{BASE}/openapi.json", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        # Limits count in fixed one-minute windows: 40 requests that straddle a window's
        # end may rightly get 20 in each. Start them in a fresh window.
        into_window = time.time() % 60
        if into_window > 45:
            time.sleep(60.5 - into_window)
        statuses = [
            httpx.get(
                f"http://127.0.0.1:{ports[i % 2]}{BASE}/tickets", headers={"X-Api-Key": secret}
            ).status_code
            for i in range(40)
        ]
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert set(statuses) <= {200, 429}
    # Never more than the limit; at most one unspent slice (10%) per process held back.
    assert 20 - 2 * 2 <= statuses.count(200) <= 20, statuses


def _the_pages_action_example_succeeds(port: int, key: str, ticket_id: str) -> None:
    """The page's third example, on a fresh `make run`: a real request to the demo receiver."""
    payload = {
        "type": "custom_http",
        "method": "POST",
        "url": "/hooks/zapier",
        "headers": {"X-Source": "threada"},
        "body_json": '{"event":"ticket_updated"}',
    }
    r = httpx.post(
        f"http://127.0.0.1:{port}{BASE}/tickets/{ticket_id}/actions",
        headers={"X-Api-Key": key},
        json={"payload": payload},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    action = r.json()["action"]
    assert action["status"] == "succeeded", action
    assert action["payload"] == payload
    assert action["requested_by"].startswith("api_key:key_")
    assert action["result"]["http_status"] == 200
    assert '"path": "/hooks/zapier"' in action["result"]["response_excerpt"]
    assert '"event": "ticket_updated"' in action["result"]["response_excerpt"]
