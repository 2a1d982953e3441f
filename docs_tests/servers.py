"""Processes the snippet tests talk to: `threada mock` and `threada serve --init-demo`,
each on 127.0.0.1 on a free port, as their own subprocess (what a partner runs)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BASE_PATH = "/api/v1/public"
DEMO_TENANT = "demo"  # the tenant `threada serve --init-demo` creates


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def threada() -> str:
    return str(Path(sys.executable).parent / "threada")


@contextmanager
def process(argv: list[str], env: dict[str, str], ready_url: str, log: Path) -> Iterator[None]:
    """Start `argv`, wait until `ready_url` answers anything, stop it afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own command
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"{argv} exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{argv} not ready:\n{log.read_text()[-3000:]}"
            try:
                httpx.get(ready_url, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def mock(tmp: Path) -> Iterator[str]:
    """`threada mock` on a free port; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{BASE_PATH}"
    argv = [threada(), "mock", "--host", "127.0.0.1", "--port", str(port), "--quiet"]
    with process(argv, dict(os.environ), url + "/tickets", tmp / "mock.log"):
        yield url


@contextmanager
def demo_server(tmp: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`threada serve --init-demo` on SQLite in `tmp`; yields its base URL and the
    environment under which `threada admin` reaches the same database."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{BASE_PATH}"
    env = dict(os.environ)
    # Demo mode lets its tenant alone reach its built-in receiver, and only without an
    # operator's allow-list.
    env.pop("THREADA_ACTIONS_ALLOW", None)
    env.update(
        {
            "THREADA_VAR_DIR": str(tmp / "var"),
            "THREADA_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'threada.db'}",
            "THREADA_SECRET_KEY": "docs-tests-guide-secret",
        }
    )
    argv = [threada(), "serve", "--host", "127.0.0.1", "--port", str(port), "--init-demo"]
    with process(argv, env, url + "/openapi.json", tmp / "server.log"):
        yield url, env
