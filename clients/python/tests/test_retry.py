"""The SDK's retry transport on its own (httpx.MockTransport; no server needed)."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
from threada_client._sdk import RetryTransport


def _client(answers, waits, **kw):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    transport = RetryTransport(httpx.MockTransport(handler), sleep=waits.append, **kw)
    return httpx.Client(transport=transport, base_url="http://api.test"), seen


def test_503_is_retried_with_exponential_backoff():
    waits: list[float] = []
    client, seen = _client([httpx.Response(503), httpx.Response(503), httpx.Response(200)], waits)
    assert client.get("/tickets").status_code == 200
    assert waits == [0.5, 1.0] and len(seen) == 3


def test_connection_errors_are_retried_for_a_get():
    waits: list[float] = []
    client, seen = _client([httpx.ConnectError("refused"), httpx.Response(200)], waits)
    assert client.get("/tickets").status_code == 200
    assert len(seen) == 2


def test_retry_after_as_an_http_date():
    waits: list[float] = []
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    client, _ = _client(
        [httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200)], waits
    )
    client.get("/tickets")
    assert 25 <= waits[0] <= 30


def test_gives_up_after_max_retries_with_the_last_answer():
    waits: list[float] = []
    client, seen = _client(
        [httpx.Response(429, headers={"Retry-After": "2"})] * 3, waits, max_retries=2
    )
    assert client.get("/tickets").status_code == 429
    assert waits == [2.0, 2.0] and len(seen) == 3


def test_a_post_keeps_one_idempotency_key_across_retries():
    waits: list[float] = []
    client, seen = _client(
        [httpx.ReadError("reset"), httpx.Response(503), httpx.Response(201)], waits
    )
    assert client.post("/tickets", json={}).status_code == 201
    keys = {r.headers["idempotency-key"] for r in seen}
    assert len(seen) == 3 and len(keys) == 1 and keys.pop()


def test_a_patch_is_not_retried_even_on_a_connection_error():
    client, seen = _client([httpx.ConnectError("refused")], [])
    with pytest.raises(httpx.ConnectError):
        client.patch("/tickets/x", json={})
    assert len(seen) == 1
