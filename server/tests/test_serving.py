"""threada.serving: one write per response, and nothing lost or reordered on the way.

The coalescing rules against a recording transport; then uvicorn with the
protocol on 127.0.0.1, answering pipelined and streamed requests over a raw
socket, and `threada serve`'s factory freezing what the app leaves behind.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import time

import pytest
import uvicorn
from threada.serving import _MAX_HELD, CoalescingHttpToolsProtocol, CoalescingTransport


class Recorder:
    """What a socket transport is asked to do, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes | None]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.closing = True
        self.calls.append(("close", None))

    def write_eof(self) -> None:
        self.calls.append(("write_eof", None))

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default=None):
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def test_writes_of_one_loop_turn_leave_as_one_write():
    async def scenario():
        raw = Recorder()
        transport = CoalescingTransport(raw, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert raw.calls == []  # held until the turn ends
        await asyncio.sleep(0)
        assert raw.calls == [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")]
        transport.write(b"next")
        await asyncio.sleep(0)
        assert raw.calls[-1] == ("write", b"next")
        # Not the transport's own: passed through.
        assert transport.get_extra_info("peername") == ("127.0.0.1", 1)

    asyncio.run(scenario())


def test_close_and_eof_send_what_is_held_first_and_a_closed_socket_gets_nothing():
    async def scenario():
        raw = Recorder()
        transport = CoalescingTransport(raw, asyncio.get_running_loop())
        transport.write(b"last words")
        transport.write_eof()
        transport.write(b"bye")
        transport.close()
        assert raw.calls == [
            ("write", b"last words"),
            ("write_eof", None),
            ("write", b"bye"),
            ("close", None),
        ]
        transport.write(b"too late")
        await asyncio.sleep(0)
        assert raw.calls[-1] == ("close", None)

    asyncio.run(scenario())


def test_a_large_body_is_not_held():
    async def scenario():
        raw = Recorder()
        transport = CoalescingTransport(raw, asyncio.get_running_loop())
        transport.write(b"h" * 100)
        transport.write(b"b" * _MAX_HELD)
        assert raw.calls == [("write", b"h" * 100 + b"b" * _MAX_HELD)]
        await asyncio.sleep(0)
        assert len(raw.calls) == 1

    asyncio.run(scenario())


async def _app(scope, receive, send):
    """Echoes the path; /stream sends its body in three chunks with a pause between."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
        return
    body = scope["path"].encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def served():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        _app, host="127.0.0.1", port=port, http=CoalescingHttpToolsProtocol, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


def _read_until(sock: socket.socket, done) -> bytes:
    data = b""
    sock.settimeout(5)
    while not done(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_pipelined_requests_are_answered_whole_and_in_order(served):
    paths = [f"/r{i}" for i in range(20)]
    request = b"".join(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % p.encode() for p in paths)
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(request)
        data = _read_until(
            sock, lambda d: d.count(b"HTTP/1.1 200") == len(paths) and d.endswith(b"/r19")
        )
    responses = data.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert [r.rsplit(b"\r\n\r\n", 1)[1] for r in responses] == [p.encode() for p in paths]


def test_a_streamed_body_arrives_whole(served):
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
        data = _read_until(sock, lambda d: d.endswith(b"0\r\n\r\n"))
    assert b"transfer-encoding: chunked" in data
    assert data.split(b"\r\n\r\n", 1)[1] == b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"


def test_the_serving_factory_freezes_what_the_app_leaves(tmp_path, monkeypatch):
    from threada import serving

    monkeypatch.setenv("THREADA_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("THREADA_VAR_DIR", str(tmp_path))
    try:
        app = serving.create_app()
        assert callable(app)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()  # the test process goes on building apps
