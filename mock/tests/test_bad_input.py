"""The bad-input corpus (`bad_input.py`) against the stateful mock: each case answers a 4xx
in the envelope, `code` equal to the status, and changes nothing in the mock's store."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from starlette.testclient import TestClient
from threada_mock.cli import build_app

from bad_input import CASES, Case

from .conftest import BUNDLE


@pytest.fixture(scope="module")
def mock() -> tuple[TestClient, Any, str]:
    app = build_app(BUNDLE, seed=1, stateful=True)
    client = TestClient(app, base_url="http://mock.test")
    ticket = next(iter(app.store.tickets))
    return client, app.store, ticket


def state(store: Any) -> Any:
    return copy.deepcopy((store.tickets, store.messages, store.actions, store.idempotency))


MOCK_CASES = [c for c in CASES if c.mock]


@pytest.mark.parametrize("case", MOCK_CASES, ids=[c.id for c in MOCK_CASES])
def test_bad_input_answers_4xx_and_changes_nothing(case: Case, mock: tuple) -> None:
    client, store, ticket = mock
    headers = [(k.encode(), v.encode("utf-8", "surrogateescape")) for k, v in case.headers]
    if case.auth and not any(k.lower() == b"x-api-key" for k, _ in headers):
        headers.append((b"X-Api-Key", b"mock-key"))
    before = state(store)
    response = client.request(
        case.method,
        case.url(ticket=ticket, action="act_01HX0000000000000000000000"),
        content=case.body,
        headers=headers,
    )
    status = response.status_code
    assert 400 <= status < 500, f"{case.id}: {status} {response.text[:300]}"
    assert status in case.statuses, f"{case.id}: {status}: {response.text[:300]}"
    err = response.json()["error"]
    assert err["code"] == status
    assert state(store) == before, case.id
