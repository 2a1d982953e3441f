"""Redirect Locations never come from the request's Host header."""

from __future__ import annotations

from typing import Any

import pytest
from threada.app import create_app

from server.tests.apihelpers import BASE

PATHS = [f"{BASE}/tickets/", f"{BASE}/tickets/tkt_x/", f"{BASE}/docs", f"{BASE}/ui"]


@pytest.mark.parametrize("path", PATHS)
def test_redirects_are_relative(raw_client: Any, path: str) -> None:
    r = raw_client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert 300 <= r.status_code < 400, r.text
    location = r.headers["location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil.example" not in location


def test_double_slash_is_not_redirected_through_the_host(raw_client: Any) -> None:
    r = raw_client.get(f"{BASE}//tickets", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 404
    assert "evil.example" not in r.text and "location" not in r.headers


def test_public_url_sets_scheme_and_host(tmp_path: Any) -> None:
    app = create_app(
        {
            "database_url": f"sqlite:///{tmp_path / 'db.sqlite'}",
            "var_dir": str(tmp_path),
            "secret_key": "x",
            "public_url": "https://api.example.com",
        }
    )
    with app.test_client() as client:
        r = client.get(f"{BASE}/tickets/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.headers["location"] == f"https://api.example.com{BASE}/tickets"
