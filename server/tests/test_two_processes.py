"""Two `threada serve` processes on one PostgreSQL database and one secret, as two hosts
behind a load balancer: page tokens cross over, an Idempotency-Key creates one ticket, and a
rate limit holds over both. The same checks (bench.multi) run in `make bench` at 1M tickets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bench import multi
from server.tests.apihelpers import BASE
from testsupport import needs

THREADA = Path(sys.executable).with_name("threada")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_servers(pg_cluster, tmp_path_factory):
    if pg_cluster is None:
        needs(
            "postgresql server",
            "initdb/postgres are not on PATH or under /usr/lib/postgresql (apt install postgresql)",
        )
    from threada.domain import auth
    from threada.storage.db import Database

    url = pg_cluster.create_database("threada_two_processes")
    db = Database(url)
    db.upgrade()
    auth.create_tenant(db, name="shared")
    _, key = auth.create_key(db, tenant="shared", name="k", scopes=list(auth.SCOPES))
    db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    env.update(
        THREADA_DATABASE_URL=url,
        THREADA_SECRET_KEY="one-secret-for-both-processes",
        THREADA_FRAMEWORK="async",
    )
    ports = [_free_port(), _free_port()]
    work = tmp_path_factory.mktemp("two")
    procs = [
        subprocess.Popen(
            [str(THREADA), "serve", "--host", "127.0.0.1", "--port", str(p)],
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in ports
    ]
    bases = [f"http://127.0.0.1:{p}{BASE}" for p in ports]
    try:
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                try:
                    httpx.get(f"{base}/openapi.json", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "a server did not start"
                    time.sleep(0.1)
        # Enough tickets for a second page of 5.
        for n in range(12):
            r = httpx.post(
                f"{bases[n % 2]}/tickets",
                headers={"X-Api-Key": key},
                json={
                    "subject": f"Ticket {n}",
                    "channel": "chat",
                    "contact": {"email": "a@example.com"},
                    "initial_message": {"role": "user", "content": "Hi"},
                },
            )
            assert r.status_code == 201, r.text
        yield bases, url, key
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_page_token_of_one_process_is_accepted_by_the_other(two_servers):
    bases, _, key = two_servers
    seen = multi.page_tokens(bases, key)
    assert seen == {"checked": 2, "accepted": 2, "same_page": True, "ok": True}


def test_one_idempotency_key_over_two_processes_creates_one_ticket(two_servers):
    bases, url, key = two_servers
    seen = multi.idempotency(bases, url=url, key=key, keys=3, each=6)
    assert seen["tickets_created"] == 3, seen
    assert seen["distinct_tickets_per_key"] == [1], seen
    assert seen["statuses"] == {"201": 18}, seen


@pytest.mark.slow
def test_a_rate_limit_holds_over_two_processes(two_servers):
    bases, url, _ = two_servers
    seen = multi.rate_limit(bases, url=url, limit=40)
    assert seen["one_window"], seen
    assert seen["other"] == 0, seen
    assert seen["lowest_allowed"] <= seen["accepted"] <= 40, seen
    assert seen["ok"]
