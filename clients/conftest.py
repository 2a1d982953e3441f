"""Live targets for the SDKs' tests: the real server and the stateful mock, each on
127.0.0.1 at a free port, over real HTTP.

The server runs on a throw-away SQLite file with a tenant whose actions go to a
local receiver (threada.demo's, mounted under /_demo as `make run` does), a
full-scope key, and a second key whose tenant allows 3 requests a minute (for
the 429). The rate limiter's clock is the wall clock; the tests move it with
time-machine (`clock_shift`): the SDK's injected `sleep` shifts time by what it
was asked to wait, so a Retry-After is honoured without really waiting. For the
TypeScript tests the same shift is reachable at `POST /_test/shift?seconds=N`
(this test harness only; the server has no such route).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

BASE_PATH = "/api/v1/public"
CLIENTS = Path(__file__).resolve().parent
ROOT = CLIENTS.parent


@dataclass
class Target:
    name: str  # "server" or "mock"
    url: str  # the API's base URL
    key: str  # a key with every scope
    limited_key: str | None = None  # server only: 3 requests a minute
    control: str | None = None  # server only: POST {control}/shift?seconds=N
    extra: dict[str, Any] = field(default_factory=dict)


class Clock:
    """Moves the process's wall clock forward (time-machine), for the rate limiter."""

    def __init__(self) -> None:
        self._traveller: Any = None
        self.shifted = 0.0

    def start(self) -> None:
        import time_machine

        self._traveller = time_machine.travel(dt.datetime.now(dt.UTC), tick=True)
        self._coordinates = self._traveller.start()

    def shift(self, seconds: float) -> None:
        assert self._traveller is not None
        self._coordinates.shift(dt.timedelta(seconds=seconds))
        self.shifted += seconds

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _serve(app: Any) -> tuple[Any, threading.Thread, socket.socket, int]:
    import uvicorn

    sock = _free_socket()
    # A client that leaves a keep-alive connection open must not hold the teardown.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server, thread, sock, sock.getsockname()[1]


def _stop(server: Any, thread: threading.Thread, sock: socket.socket) -> None:
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


@pytest.fixture(scope="session")
def clock() -> Iterator[Clock]:
    c = Clock()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def server_target(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[Target]:
    from threada.app import create_app
    from threada.demo import PREFIX, receiver
    from threada.domain import auth
    from threada.outbound import OutboundPolicy

    tmp = tmp_path_factory.mktemp("sdk-server")
    api = create_app(
        {
            "database_url": f"sqlite:///{tmp / 'sdk.sqlite3'}",
            "var_dir": str(tmp),
            "secret_key": "sdk-tests-" + uuid.uuid4().hex,
            "outbound_policy": OutboundPolicy.allowing(
                "127.0.0.1", connect_timeout=1.0, total_timeout=2.0
            ),
        }
    )
    db = api.threada_services.db

    async def app(scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(PREFIX + "/"):
            await receiver(scope, receive, send)
        elif scope["type"] == "http" and path == "/_test/shift":
            seconds = float(parse_qs(scope["query_string"].decode())["seconds"][0])
            clock.shift(seconds)
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        else:
            await api(scope, receive, send)

    server, thread, sock, port = _serve(app)
    tenant = auth.create_tenant(db, name="SDK tests")
    auth.set_actions_base_url(
        db, tenant=tenant["tenant_id"], base_url=f"http://127.0.0.1:{port}{PREFIX}"
    )
    _, key = auth.create_key(db, tenant=tenant["tenant_id"], name="sdk", scopes=list(auth.SCOPES))
    limited = auth.create_tenant(db, name="SDK tests, 3 a minute")
    auth.set_rate_limit(db, tenant=limited["tenant_id"], per_minute=3)
    _, limited_key = auth.create_key(
        db, tenant=limited["tenant_id"], name="sdk-limited", scopes=list(auth.SCOPES)
    )
    clock.start()
    try:
        yield Target(
            "server",
            f"http://127.0.0.1:{port}{BASE_PATH}",
            key,
            limited_key=limited_key,
            control=f"http://127.0.0.1:{port}/_test",
        )
    finally:
        clock.stop()
        _stop(server, thread, sock)


@pytest.fixture(scope="session")
def mock_target() -> Iterator[Target]:
    from threada_mock.cli import build_app

    server, thread, sock, port = _serve(build_app(stateful=True, seed=15))
    try:
        yield Target("mock", f"http://127.0.0.1:{port}{BASE_PATH}", "sdk-tests-key")
    finally:
        _stop(server, thread, sock)


@pytest.fixture(params=["mock", "server"])
def target(request: pytest.FixtureRequest) -> Target:
    return request.getfixturevalue(f"{request.param}_target")
