"""A stalled database stalls only the requests that need its lock, and not past the bounds.

Another connection holds SQLite's write lock (PostgreSQL: exclusive locks on the tables
a ticket insert and a rate-limit lease write) for 3 s. The docs and a read that needs no
lock answer at once; a request that needs the lock either completes after the release
or gets the 503 envelope within the configured bound. SQLite runs with a 1 s busy
timeout (so it answers 503), PostgreSQL with its default 5 s statement timeout (so it
completes after the release): both outcomes are seen.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from bench.noisy import TICKET, LiveServer
from server.tests.apihelpers import BASE
from server.tests.conftest import new_database_url

HOLD_SECONDS = 3.0
FAST_MS = 250


def _hold_lock(url: str, ready: threading.Event, released: list[float]) -> None:
    if url.startswith("sqlite"):
        con = sqlite3.connect(sa.engine.make_url(url).database, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE tenants SET name = name")
        ready.set()
        time.sleep(HOLD_SECONDS)
        released.append(time.monotonic())
        con.execute("ROLLBACK")
        con.close()
        return
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as con:
        for table in ("tickets", "rate_windows", "api_keys"):
            con.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        ready.set()
        time.sleep(HOLD_SECONDS)
        released.append(time.monotonic())
        con.rollback()


@pytest.mark.slow
def test_a_held_lock_stalls_only_what_needs_it(db_backend, tmp_path_factory, pg_cluster, tmp_path):
    from threada.app import create_app
    from threada.domain import auth

    url = new_database_url(db_backend, tmp_path_factory, pg_cluster)
    sqlite = url.startswith("sqlite")
    bound_ms = 1000 if sqlite else 5000
    app = create_app(
        {
            "database_url": url,
            "var_dir": str(tmp_path),
            "secret_key": "stall-" + uuid.uuid4().hex,
            "sqlite_busy_timeout_ms": bound_ms,
            "db_statement_timeout_ms": bound_ms,
        }
    )
    db = app.threada_services.db
    tenant = auth.create_tenant(db, name="stall-" + uuid.uuid4().hex[:8])
    _, warm_key = auth.create_key(db, tenant=tenant["tenant_id"], name="w", scopes=["support.read"])
    _, cold_key = auth.create_key(db, tenant=tenant["tenant_id"], name="c", scopes=["support.read"])
    _, write_key = auth.create_key(
        db, tenant=tenant["tenant_id"], name="x", scopes=["support.write"]
    )
    # A warm key leases a tenth of its limit per write to the lease table, which the lock
    # below blocks: a limit that one lease covers for the whole run, and a start that
    # leaves the run inside one rate-limit minute, keep the fast reads lock-free.
    auth.set_rate_limit(db, tenant=tenant["tenant_id"], per_minute=100_000)
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    live = LiveServer(app)
    try:
        with httpx.Client(base_url=live.url, timeout=30) as c:
            # The read and write keys lease their quota now; the cold key never has.
            assert c.get(f"{BASE}/tickets", headers={"X-Api-Key": warm_key}).status_code == 200
            r = c.post(f"{BASE}/tickets", json=TICKET, headers={"X-Api-Key": write_key})
            assert r.status_code == 201
        ready, released = threading.Event(), []
        holder = threading.Thread(target=_hold_lock, args=(url, ready, released))
        holder.start()
        assert ready.wait(10)
        locked_at = time.monotonic()
        slow: dict[str, tuple[httpx.Response, float, float]] = {}

        def needs_lock(name: str, method: str, path: str, key: str, body=None) -> None:
            with httpx.Client(base_url=live.url, timeout=30) as c:
                started = time.monotonic()
                r = c.request(method, path, json=body, headers={"X-Api-Key": key})
                slow[name] = (r, started, time.monotonic())

        waiting = [
            threading.Thread(
                target=needs_lock, args=("create", "POST", f"{BASE}/tickets", write_key, TICKET)
            ),
            threading.Thread(target=needs_lock, args=("lease", "GET", f"{BASE}/tickets", cold_key)),
        ]
        for thread in waiting:
            thread.start()
        fast = []
        with httpx.Client(base_url=live.url, timeout=30) as c:
            while time.monotonic() - locked_at < HOLD_SECONDS - 0.5:
                for path, headers in (
                    (f"{BASE}/openapi.json", {}),
                    (f"{BASE}/tickets?limit=5", {"X-Api-Key": warm_key}),
                ):
                    started = time.perf_counter()
                    r = c.get(path, headers=headers)
                    fast.append((path, r.status_code, (time.perf_counter() - started) * 1000))
                time.sleep(0.1)
        holder.join()
        for thread in waiting:
            thread.join()
        assert len(fast) >= 10
        assert all(status == 200 for _, status, _ in fast), fast
        # Nine in ten under 250 ms, and none anywhere near the lock's hold or bound: on
        # this shared machine one request in a few dozen may lose the CPU for a while,
        # but one that waited on the lock would take a second or more.
        times = sorted(ms for _, _, ms in fast)
        assert times[int(0.9 * (len(times) - 1))] < FAST_MS, fast
        assert times[-1] < 1000, fast
        for name, (r, started, ended) in slow.items():
            if sqlite:
                assert r.status_code == 503, (name, r.text)
                err = r.json()["error"]
                assert err["type"] == "service_unavailable" and err["code"] == 503
                assert int(r.headers["retry-after"]) >= 1
                # The 503 itself shows the 3 s lock was not waited out; the slack is for a
                # loaded 2-core machine (2.01 s was seen with another suite running).
                assert ended - started < bound_ms / 1000 + 1.5, name
            else:
                assert r.status_code in (200, 201), (name, r.text)
                assert ended >= released[0] - 0.05, name  # it waited for the release
                assert ended - released[0] < 1.0, name
    finally:
        live.close()
        db.dispose()
