"""Fixtures: the app on SQLite and on a throw-away PostgreSQL, a client, tenants with keys.

Every API test runs once per configuration (`backend` is a session parameter,
`<framework>-<database>`): AsyncApp (the default) and FlaskApp, each on SQLite and
on PostgreSQL. One app per configuration serves the whole session; tests isolate
themselves by creating their own tenant (and keys) through `make_tenant`, which is
also how tenant isolation is exercised. Storage-only tests use `db_backend`
(the database alone).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from threada.app import create_app
from threada.domain import auth
from threada.outbound import OutboundPolicy
from threada.storage.db import Database

from server.tests.apihelpers import (
    ALL_SCOPES,
    BASE,
    CheckedClient,
    SpecResponseChecker,
    Tenant,
    example_ticket,
)
from testsupport import needs

BACKENDS = ["async-sqlite", "async-postgresql", "flask-sqlite", "flask-postgresql"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    from server.tests.pgcluster import Cluster, find_bin

    if not (find_bin("initdb") and find_bin("postgres")):
        yield None
        return
    cluster = Cluster()
    yield cluster
    cluster.stop()


def new_database_url(backend: str, tmp_path_factory: Any, pg_cluster: Any) -> str:
    """A fresh, empty database on the backend."""
    n = uuid.uuid4().hex[:12]
    if backend.endswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / f'threada{n}.db'}"
    if pg_cluster is None:
        needs(
            "postgresql server",
            "initdb/postgres are not on PATH or under /usr/lib/postgresql (apt install postgresql)",
        )
    return pg_cluster.create_database(f"threada_test_{n}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: Any, pg_cluster: Any) -> str:
    return new_database_url(backend, tmp_path_factory, pg_cluster)


def outbound_policy_for_tests() -> OutboundPolicy:
    # Tests reach receivers on 127.0.0.1, so that (and only that) is allowed.
    return OutboundPolicy.allowing("127.0.0.1", connect_timeout=1.0, total_timeout=2.0)


@pytest.fixture(scope="session")
def app(backend: str, database_url: str, tmp_path_factory: Any) -> Any:
    return create_app(
        {
            "framework": backend.split("-")[0],
            "database_url": database_url,
            "var_dir": str(tmp_path_factory.mktemp("var")),
            "secret_key": "test-secret-" + uuid.uuid4().hex,
            "outbound_policy": outbound_policy_for_tests(),
        }
    )


@pytest.fixture(scope="session")
def db(app: Any) -> Database:
    return app.threada_services.db


@pytest.fixture(scope="session")
def raw_client(app: Any) -> Any:
    with app.test_client() as c:
        yield c


@pytest.fixture(scope="session")
def client(raw_client: Any) -> Any:
    from threada import spec

    checker = SpecResponseChecker(spec.load_spec(), BASE)
    return CheckedClient(raw_client, checker)


SCOPE_SETS = {
    "all": ALL_SCOPES,
    "read": ("support.read",),
    "write": ("support.write",),
    "actions": ("support.actions",),
}


@pytest.fixture
def make_tenant(db: Database) -> Any:
    def make(
        *, rate_limit: int | None = None, actions_base_url: str | None = None, **extra_keys: Any
    ) -> Tenant:
        name = f"t-{uuid.uuid4().hex[:12]}"
        row = auth.create_tenant(db, name=name)
        if rate_limit is not None:
            auth.set_rate_limit(db, tenant=row["tenant_id"], per_minute=rate_limit)
        if actions_base_url is not None:
            auth.set_actions_base_url(db, tenant=row["tenant_id"], base_url=actions_base_url)
        keys, ids = {}, {}
        for label, scopes in {**SCOPE_SETS, **extra_keys}.items():
            key, secret = auth.create_key(
                db, tenant=row["tenant_id"], name=label, scopes=list(scopes)
            )
            keys[label], ids[label] = secret, key["key_id"]
        return Tenant(tenant_id=row["tenant_id"], name=name, keys=keys, key_ids=ids)

    return make


@pytest.fixture
def tenant(make_tenant: Any) -> Tenant:
    return make_tenant()


@pytest.fixture
def create_ticket(client: Any) -> Any:
    def create(t: Tenant, **overrides: Any) -> dict:
        r = client.post(f"{BASE}/tickets", json=example_ticket(**overrides), headers=t.h())
        assert r.status_code == 201, r.text
        return r.json()["ticket"]

    return create


# --- a real HTTP server, for tests that need concurrency ---------------------------------------


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# --- an HTTP receiver for actions, on 127.0.0.1 ------------------------------------------------


class Receiver:
    """Records every request; answers by path: /status/NNN -> NNN, /hang -> never, else 200."""

    def __init__(self) -> None:
        import http.server

        self.requests: list[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body,
                    }
                )
                if self.path.startswith("/hang"):
                    time.sleep(5)
                    return
                status = 200
                if self.path.startswith("/status/"):
                    status = int(self.path.split("/")[2])
                payload = b'{"received": true}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
