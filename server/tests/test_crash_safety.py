"""Crash safety: a resource and its Idempotency-Key record commit together, and an action
cut off by a dead process is finished as interrupted and never called twice.

Failures are injected on both sides of the commit (in-process, every configuration),
and a real server process is killed with SIGKILL while its hook call is in flight
(SQLite and PostgreSQL).
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from threada.api import messages as messages_api
from threada.api import tickets as tickets_api
from threada.domain.idempotency import Idempotency
from threada.storage.db import Database
from threada.storage.tables import actions, idempotency_records

from server.tests.apihelpers import BASE, assert_error, count_rows, example_ticket
from server.tests.conftest import new_database_url

THREADA = Path(sys.executable).with_name("threada")


class Once:
    """Raise the first time the wrapped function is called, then behave."""

    def __init__(self, fn):
        self.fn = fn
        self.raised = False

    def __call__(self, *args, **kwargs):
        if not self.raised:
            self.raised = True
            raise RuntimeError("injected crash")
        return self.fn(*args, **kwargs)


def test_failure_after_the_commit_replays_the_one_ticket(client, db, tenant, monkeypatch):
    # The ticket and its key record are committed; the process fails before answering.
    monkeypatch.setattr(tickets_api, "reply", Once(tickets_api.reply))
    h = tenant.h(**{"Idempotency-Key": "crash-" + uuid.uuid4().hex})
    body = example_ticket()
    assert_error(client.post(f"{BASE}/tickets", json=body, headers=h), 500, "internal_error")
    assert count_rows(db, "tickets", tenant.tenant_id) == 1
    again = client.post(f"{BASE}/tickets", json=body, headers=h)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert count_rows(db, "tickets", tenant.tenant_id) == 1
    got = client.get(again.headers["location"], headers=tenant.h())
    assert got.json()["ticket"]["summary"] == again.json()["ticket"]["summary"]


def test_failure_before_the_commit_leaves_neither(client, db, tenant, monkeypatch):
    # The record's completion fails inside the transaction: no ticket, no record.
    once = Once(Idempotency.complete)
    monkeypatch.setattr(Idempotency, "complete", lambda self, *a, **kw: once(self, *a, **kw))
    h = tenant.h(**{"Idempotency-Key": "crash-" + uuid.uuid4().hex})
    body = example_ticket()
    assert_error(client.post(f"{BASE}/tickets", json=body, headers=h), 500, "internal_error")
    assert count_rows(db, "tickets", tenant.tenant_id) == 0
    assert count_rows(db, "idempotency_records", tenant.tenant_id) == 0
    again = client.post(f"{BASE}/tickets", json=body, headers=h)
    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert count_rows(db, "tickets", tenant.tenant_id) == 1


def test_a_message_is_added_once_across_a_failure(client, db, tenant, create_ticket, monkeypatch):
    tid = create_ticket(tenant)["summary"]["ticket_id"]
    monkeypatch.setattr(messages_api, "reply", Once(messages_api.reply))
    h = tenant.h(**{"Idempotency-Key": "crash-" + uuid.uuid4().hex})
    body = {"role": "agent", "content": "On it."}
    url = f"{BASE}/tickets/{tid}/messages"
    assert_error(client.post(url, json=body, headers=h), 500, "internal_error")
    again = client.post(url, json=body, headers=h)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert count_rows(db, "messages", tenant.tenant_id) == 2  # the initial one and this


# --- a real server process, killed while its hook call is in flight ----------------------------


class HangingHook:
    """Records each call and holds it open until released."""

    def __init__(self) -> None:
        hook = self
        self.calls: list[str] = []
        self.release = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hook.calls.append(self.headers.get("X-Threada-Action-Id"))
                hook.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _serve(url: str, var: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADA_")}
    env.update(
        THREADA_DATABASE_URL=url,
        THREADA_VAR_DIR=str(var),
        THREADA_SECRET_KEY="crash-test-secret",
        THREADA_ACTIONS_ALLOW="127.0.0.1",
        THREADA_ACTIONS_TIMEOUT="2",  # the action's deadline: 2 s + 5 s grace
        THREADA_IDEMPOTENCY_WAIT_SECONDS="20",
    )
    proc = subprocess.Popen(
        [str(THREADA), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}{BASE}/openapi.json", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_killed_server_leaves_no_running_action_and_no_second_call(
    db_backend, tmp_path_factory, pg_cluster, tmp_path
):
    from threada.domain import auth, tickets

    url = new_database_url(db_backend, tmp_path_factory, pg_cluster)
    db = Database(url)
    db.upgrade()
    hook = HangingHook()
    tenant = auth.create_tenant(db, name="crash-" + uuid.uuid4().hex[:8])
    auth.set_actions_base_url(db, tenant=tenant["tenant_id"], base_url=hook.url)
    _, secret = auth.create_key(db, tenant=tenant["tenant_id"], name="k", scopes=list(auth.SCOPES))
    principal = auth.authenticate(db, secret)
    tid = tickets.create_ticket(db, principal=principal, body=example_ticket())["summary"][
        "ticket_id"
    ]
    headers = {"X-Api-Key": secret, "Idempotency-Key": "kill-" + uuid.uuid4().hex}
    action = {"payload": {"type": "custom_http", "method": "POST", "url": "/hook"}}
    proc, base = _serve(url, tmp_path)
    try:

        def first() -> None:
            try:
                httpx.post(f"{base}{BASE}/tickets/{tid}/actions", json=action, headers=headers)
            except httpx.TransportError:
                pass  # the server is killed under it

        threading.Thread(target=first, daemon=True).start()
        deadline = time.monotonic() + 20
        while not hook.calls:
            assert time.monotonic() < deadline, "the hook was never called"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        with db.read() as conn:
            [row] = conn.execute(
                sa.select(actions.c.status).where(actions.c.tenant_id == tenant["tenant_id"])
            ).all()
            assert row.status == "running"
            [record] = conn.execute(
                sa.select(idempotency_records.c.state, idempotency_records.c.action_id).where(
                    idempotency_records.c.tenant_id == tenant["tenant_id"]
                )
            ).all()
            assert record.state == "pending" and record.action_id == hook.calls[0]

        proc, base = _serve(url, tmp_path)  # a new process on the same database
        started = time.monotonic()
        replay = httpx.post(
            f"{base}{BASE}/tickets/{tid}/actions", json=action, headers=headers, timeout=30
        )
        assert replay.status_code == 201, replay.text
        assert replay.headers["idempotent-replayed"] == "true"
        act = replay.json()["action"]
        assert act["action_id"] == hook.calls[0]
        assert act["status"] == "failed" and act["result"]["error"] == "interrupted"
        assert time.monotonic() - started < 15
        again = httpx.post(f"{base}{BASE}/tickets/{tid}/actions", json=action, headers=headers)
        assert again.json() == replay.json()
        assert len(hook.calls) == 1
        with db.read() as conn:
            statuses = conn.execute(
                sa.select(actions.c.status).where(actions.c.tenant_id == tenant["tenant_id"])
            ).scalars()
            assert list(statuses) == ["failed"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        hook.close()
        db.dispose()
