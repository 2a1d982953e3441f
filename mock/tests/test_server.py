"""The mock as frontends run it: a real process on a real port, its startup line, its
time to ready, and one log line per request."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from .conftest import BUNDLE, ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "threada_mock", "--port", str(port), "--spec", str(BUNDLE)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    ready = None
    while time.perf_counter() - started < 10:
        try:
            httpx.get(base + "/", timeout=0.2)
            ready = time.perf_counter() - started
            break
        except httpx.TransportError:
            time.sleep(0.01)
    assert ready is not None, "the mock did not start"
    yield base, lines, ready
    proc.terminate()
    proc.wait(5)


def _next(lines: queue.Queue[str], contains: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        line = lines.get(timeout=5)
        if contains in line:
            return line
    raise AssertionError(f"no line with {contains!r}")


def test_startup_line_time_to_ready_and_request_log(server):
    base, lines, ready = server
    startup = _next(lines, "ready in")
    reported = float(startup.rsplit("ready in", 1)[1].strip().rstrip("s"))
    print(f"\nmock startup: {reported:.3f}s reported, {ready:.3f}s until it answered HTTP")
    assert f"{base}/api/v1/public" in startup
    # The target is < 1 s: about 0.6 s on an idle 2-core machine, 0.4 s of it importing
    # the server's validators (and with them Connexion). Under a full `make test` on the
    # shared machine it took 7.8 s once, hence the loose bound; `make bench` is where
    # start-up is measured.
    assert reported < 15.0

    r = httpx.get(base + "/api/v1/public/tickets?limit=5", headers={"X-Api-Key": "k"})
    assert r.status_code == 200
    assert r.headers["x-ratelimit-limit"]
    line = _next(lines, "/api/v1/public/tickets?limit=5")
    assert " 200 " in line and "listTickets" in line

    r = httpx.get(base + "/api/v1/public/tickets")
    assert r.status_code == 401
    assert " 401 " in _next(lines, "GET /api/v1/public/tickets ")
