"""Durability: kill -9 a real `threada serve` with deliveries pending (one in flight), start
it again: every event arrives, signed, none lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from threada import spec
from threada.domain import auth
from threada.storage.db import Database

from server.tests.apihelpers import BASE, example_ticket
from server.tests.conftest import new_database_url
from server.tests.webhookhelpers import EventChecker, WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "threada.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{BASE}/openapi.json", timeout=1).status_code:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("threada serve did not start")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_events_survive_a_kill_and_arrive_after_restart(backend, tmp_path_factory, pg_cluster):
    url = new_database_url(backend, tmp_path_factory, pg_cluster)
    db = Database(url)
    db.upgrade()
    tenant = auth.create_tenant(db, name=f"t-{uuid.uuid4().hex[:8]}")
    _k, key = auth.create_key(db, tenant=tenant["tenant_id"], name="k", scopes=list(auth.SCOPES))
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "THREADA_DATABASE_URL": url,
        "THREADA_VAR_DIR": str(var),
        "THREADA_SECRET_KEY": "restart-" + uuid.uuid4().hex,
        "THREADA_WEBHOOKS_ALLOW": "127.0.0.1",
        "THREADA_WEBHOOKS_RETRY_BASE_SECONDS": "0.3",
        "THREADA_WEBHOOKS_POLL_SECONDS": "0.2",
        "THREADA_WEBHOOKS_LEASE_SECONDS": "1",
        "THREADA_ACTIONS_TIMEOUT": "1",  # a call's bound; the lease is twice that (2 s)
    }
    up = {"ok": False}

    def behaviour(n: int, _path: str) -> tuple[int, float]:
        if up["ok"]:
            return 200, 0.0
        return 503, (3.0 if n == 1 else 0.0)  # the first one is in flight at the kill

    receiver = WebhookReceiver(behaviour)
    port = _free_port()
    proc = _serve(env, port)
    try:
        headers = {"X-Api-Key": key}
        base = f"http://127.0.0.1:{port}{BASE}"
        r = httpx.post(
            f"{base}/webhook_endpoints", json={"url": receiver.url + "/wh"}, headers=headers
        )
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        for _ in range(5):
            r = httpx.post(f"{base}/tickets", json=example_ticket(), headers=headers)
            assert r.status_code == 201, r.text
        assert receiver.wait_for(lambda: len(receiver.requests) >= 3, 15)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        with db.read() as conn:
            states = conn.execute(
                sa.text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
            ).all()
            expected = set(
                conn.execute(
                    sa.text("SELECT event_id FROM webhook_events WHERE tenant_id = :t"),
                    {"t": tenant["tenant_id"]},
                ).scalars()
            )
        assert dict(states) == {"pending": 5}
        assert len(expected) == 5 and receiver.accepted() == []

        up["ok"] = True
        proc = _serve(env, _free_port())
        assert receiver.wait_for(lambda: len(receiver.accepted()) >= 5, 20)
        checker = EventChecker(spec.load_spec())
        got = [checker.check(r, secret)["id"] for r in receiver.accepted()]
        assert set(got) == expected
        # The dispatcher records a delivery after its answer arrived: wait for the last one.
        settled = time.monotonic() + 10
        while True:
            with db.read() as conn:
                states = conn.execute(
                    sa.text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
                ).all()
            if dict(states) == {"succeeded": 5} or time.monotonic() > settled:
                break
            time.sleep(0.1)
        assert dict(states) == {"succeeded": 5}
    finally:
        proc.kill()
        proc.wait(10)
        receiver.close()
        db.dispose()
