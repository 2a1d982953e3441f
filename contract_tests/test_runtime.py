"""The suite's own machinery: pacing by the rate limit, 429s waited out, secrets redacted.

Against a tiny HTTP server on 127.0.0.1 that answers like a rate-limited API, so the
waits are short and exact (the live run in test_live.py uses the real server).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from contract_tests.runtime import PacedSession, Pacer, Redactor, curl_for


class _Limited:
    """Answers 429 (Retry-After: 1) to the first `refuse` requests, then 200; counts them."""

    def __init__(self, refuse: int, *, limit: int = 5, remaining: int = 4) -> None:
        self.refuse = refuse
        self.times: list[float] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.times.append(time.monotonic())
                refused = len(outer.times) <= outer.refuse
                self.send_response(429 if refused else 200)
                self.send_header("X-RateLimit-Limit", str(limit))
                self.send_header("X-RateLimit-Remaining", "0" if refused else str(remaining))
                self.send_header("X-RateLimit-Reset", "1")
                if refused:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/x"


@pytest.fixture
def limited() -> Iterator[Any]:
    servers: list[_Limited] = []

    def make(refuse: int, **kwargs: Any) -> _Limited:
        servers.append(_Limited(refuse, **kwargs))
        return servers[-1]

    yield make
    for s in servers:
        s.server.shutdown()
        s.server.server_close()


def test_a_429_is_waited_out_and_sent_again(limited: Any) -> None:
    server = limited(refuse=1)
    pacer = Pacer("burst")
    session = PacedSession(pacer, max_wait=5)
    response = session.get(server.url, headers={"X-Api-Key": "k"})
    assert response.status_code == 200
    assert len(server.times) == 2 and pacer.refused == 1 and pacer.sent == 2
    assert server.times[1] - server.times[0] >= 0.95, "Retry-After: 1 was not waited out"


def test_a_429_that_stays_is_answered_not_hidden(limited: Any) -> None:
    """After its retries the session hands the 429 on; the not_rate_limited check fails it."""
    server = limited(refuse=100)
    session = PacedSession(Pacer("burst"), max_wait=5, retries=1)
    assert session.get(server.url).status_code == 429
    assert len(server.times) == 2


def test_spread_pacing_spaces_requests_by_the_headers(limited: Any) -> None:
    # Remaining 4 of the window, which resets in 1 s: one request every 0.25 s.
    server = limited(refuse=0, remaining=4)
    session = PacedSession(Pacer("spread"))
    for _ in range(4):
        session.get(server.url, headers={"X-Api-Key": "k"})
    gaps = [b - a for a, b in zip(server.times, server.times[1:], strict=False)]
    assert all(gap >= 0.2 for gap in gaps), gaps


def test_an_empty_window_is_waited_out_before_sending() -> None:
    now = [100.0]
    pacer = Pacer("burst", clock=lambda: now[0])
    headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}
    pacer.observe("key-a", headers)
    assert pacer.delay("key-a") == pytest.approx(7.0)
    assert pacer.delay("key-b") == 0.0, "each key has its own window"
    now[0] += 7.5
    assert pacer.delay("key-a") == 0.0


def test_secrets_become_variables_in_text_and_in_curl_lines() -> None:
    redact = Redactor()
    secret = "thr_test_" + "S" * 43
    redact.add(secret, "THREADA_API_KEY")
    text = f"curl -H 'X-Api-Key: {secret}' http://h/x and again {secret}"
    out = redact(text)
    assert secret not in out
    assert '-H "X-Api-Key: $THREADA_API_KEY"' in out and "again $THREADA_API_KEY" in out


def test_curl_for_names_the_key_variable() -> None:
    from contract_tests import runtime

    secret = "thr_test_" + "C" * 43
    runtime.REDACT.add(secret, "THREADA_API_KEY_READ")
    request = requests.Request(
        "POST", "http://127.0.0.1:1/api/tickets", headers={"X-Api-Key": secret}, json={"a": 1}
    ).prepare()
    line = curl_for(request)
    assert secret not in line
    assert '-H "X-Api-Key: $THREADA_API_KEY_READ"' in line
    assert line.startswith("curl -X POST http://127.0.0.1:1/api/tickets") and "-d" in line
