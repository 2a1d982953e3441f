"""Unauthenticated throttling: repeated 401s from one address turn into 429 with Retry-After,
per address (the peer, or the right-most X-Forwarded-For entry only when trusted)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from threada.app import create_app

from server.tests.apihelpers import BASE


@pytest.fixture(scope="module")
def small_limit_app(tmp_path_factory: Any) -> Any:
    var = tmp_path_factory.mktemp("throttle")
    return create_app(
        {
            "database_url": f"sqlite:///{var / 'db.sqlite'}",
            "var_dir": str(var),
            "secret_key": uuid.uuid4().hex,
            "unauthenticated_limit": 3,
        }
    )


def test_repeated_401s_from_one_address_get_429(small_limit_app: Any) -> None:
    with small_limit_app.test_client() as client:
        for _ in range(3):
            r = client.get(f"{BASE}/tickets", headers={"X-Api-Key": "thr_live_guess"})
            assert r.status_code == 401
        r = client.get(f"{BASE}/tickets", headers={"X-Api-Key": "thr_live_guess"})
        assert r.status_code == 429, r.text
        err = r.json()["error"]
        assert err["type"] == "rate_limited" and err["code"] == 429
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert r.headers["x-request-id"]
        # Every request from that address, with or without a key, until the window ends.
        assert client.get(f"{BASE}/tickets").status_code == 429


def test_forwarded_address_is_used_only_when_trusted(tmp_path_factory: Any) -> None:
    var = tmp_path_factory.mktemp("throttle-xff")

    def build(trust: bool) -> Any:
        return create_app(
            {
                "database_url": f"sqlite:///{var / f'{trust}.sqlite'}",
                "var_dir": str(var),
                "secret_key": "x",
                "unauthenticated_limit": 2,
                "trust_forwarded_for": trust,
            }
        )

    # Trusted: each forwarded address has its own count; a client's own entry on the left
    # is ignored, the right-most (what the proxy appended) counts.
    with build(True).test_client() as client:
        for _ in range(2):
            h = {"X-Forwarded-For": f"{uuid.uuid4()}, 203.0.113.7"}
            assert client.get(f"{BASE}/tickets", headers=h).status_code == 401
        h = {"X-Forwarded-For": "203.0.113.7"}
        assert client.get(f"{BASE}/tickets", headers=h).status_code == 429
        h = {"X-Forwarded-For": "203.0.113.8"}
        assert client.get(f"{BASE}/tickets", headers=h).status_code == 401
    # Not trusted (the default): the header changes nothing, the peer address counts.
    with build(False).test_client() as client:
        for n in range(2):
            h = {"X-Forwarded-For": f"198.51.100.{n}"}
            assert client.get(f"{BASE}/tickets", headers=h).status_code == 401
        h = {"X-Forwarded-For": "198.51.100.99"}
        assert client.get(f"{BASE}/tickets", headers=h).status_code == 429


def test_non_ascii_content_type_is_415(raw_client: Any) -> None:
    r = raw_client.get(f"{BASE}/tickets", headers=[(b"content-type", b"application/json\xe9")])
    assert r.status_code == 415
    assert r.json()["error"]["code"] == 415
