"""`threada serve` connection limits, on a real server: a head too large (431), a head that
never finishes (408), a connection that sends nothing (closed), the concurrency cap (503),
and ordinary requests still served."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.tests.apihelpers import BASE
from server.tests.test_serve import THREADA, _free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Any:
    tmp = tmp_path_factory.mktemp("limits")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    env.update(
        THREADA_SERVE_MAX_HEADER_BYTES="4096",
        THREADA_SERVE_HEADER_TIMEOUT="1",
        THREADA_SERVE_LIMIT_CONCURRENCY="6",
    )
    proc = subprocess.Popen(
        [str(THREADA), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}{BASE}/openapi.json", timeout=2)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
    yield port
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read_all(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return out
        if not chunk:
            return out
        out += chunk


def test_too_large_head_is_431_before_it_is_buffered(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as s:
        s.sendall(b"GET /api/v1/public/tickets HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192)
        answer = _read_all(s, 5)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"code":431' in answer


def test_head_that_never_finishes_is_408_and_closed(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as s:
        s.sendall(b"GET /api/v1/public/tickets HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = _read_all(s, 5)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - started < 4


def test_silent_connection_is_closed(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as s:
        started = time.monotonic()
        assert _read_all(s, 5) == b""  # closed by the server, not timed out here
        assert time.monotonic() - started < 4


def test_past_the_concurrency_cap_is_503_and_then_served_again(server: int) -> None:
    held = [socket.create_connection(("127.0.0.1", server)) for _ in range(6)]
    try:
        for s in held:
            s.sendall(b"GET /api/v1/public/tickets HTTP/1.1\r\n")  # heads left open
        time.sleep(0.2)
        r = httpx.get(f"http://127.0.0.1:{server}{BASE}/openapi.json", timeout=5)
        assert r.status_code == 503
    finally:
        for s in held:
            s.close()
    time.sleep(0.2)
    r = httpx.get(f"http://127.0.0.1:{server}{BASE}/openapi.json", timeout=5)
    assert r.status_code == 200


def test_ordinary_requests_and_large_bodies_pass(server: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server}") as client:
        assert client.get(f"{BASE}/openapi.json").status_code == 200
        # A body far larger than the head limit is not counted as head.
        r = client.post(
            f"{BASE}/tickets", content=b"{" + b" " * 100_000 + b"}", headers={"X-Api-Key": "x"}
        )
        assert r.status_code == 401


def test_settings_are_read_in_the_worker(tmp_path: Path) -> None:
    from threada import serving

    serving.head_limits.cache_clear()
    try:
        os.environ["THREADA_SERVE_MAX_HEADER_BYTES"] = "1234"
        assert serving.head_limits()[0] == 1234
    finally:
        del os.environ["THREADA_SERVE_MAX_HEADER_BYTES"]
        serving.head_limits.cache_clear()
