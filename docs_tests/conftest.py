"""Fixtures for the rendered-docs tests: the bundle's operations, a browser, a server."""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from docs_tests.browser import Browser, find_chromium
from testsupport import needs

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "openapi" / "dist" / "openapi.yaml"
BUNDLE_JSON = ROOT / "openapi" / "dist" / "openapi.json"
BASE_PATH = "/api/v1/public"
ARTIFACTS = ROOT / "test-artifacts" / "docs"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    method: str
    path: str


@dataclass(frozen=True)
class DocsServer:
    url: str  # the API's base URL, e.g. http://127.0.0.1:PORT/api/v1/public
    api_key: str | None  # a working key when this is the real server
    real: bool


@pytest.fixture(scope="session")
def spec() -> dict:
    return json.loads(BUNDLE_JSON.read_text())


@pytest.fixture(scope="session")
def operations(spec: dict) -> list[Operation]:
    ops = [
        Operation(op["operationId"], op.get("summary", ""), method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]
    assert ops, "the bundle has no operations"
    return ops


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None:
        needs("chromium", "Debian's `chromium` package (`.ci/run` installs it)")
    assert executable is not None
    chromium = Browser(executable)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def static_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make docs`, for real, into a temporary file (the committed tree stays as it is)."""
    if shutil.which("make") is None:
        needs("make", "GNU make runs the project's targets")
    out = tmp_path_factory.mktemp("static-docs") / "index.html"
    result = subprocess.run(  # noqa: S603 - fixed argv
        ["make", "--no-print-directory", "docs", f"DOCS_OUT={out}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, f"make docs failed:\n{result.stdout}\n{result.stderr}"
    assert out.is_file()
    return out


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _bare_app():
    """A Connexion app with nothing but the docs, while the real server does not exist."""
    import connexion
    from threada.docs import mount_docs

    app = connexion.FlaskApp(__name__)
    mount_docs(app, base_path=BASE_PATH, bundle_path=BUNDLE)
    return app, None


def _real_app(tmp: Path, port: int):
    """The real server on a throw-away SQLite database, and a key with every scope.

    The tenant's actions go to the demo receiver (`threada.demo`) on the same server,
    over loopback, so try-it-out can run an action as a partner would.
    """
    from threada.app import create_app
    from threada.demo import PREFIX, receiver
    from threada.domain import auth
    from threada.outbound import OutboundPolicy

    app = create_app(
        {
            "database_url": f"sqlite:///{tmp / 'docs.sqlite3'}",
            "var_dir": tmp,
            "secret_key": "docs-tests-secret",
            "outbound_policy": OutboundPolicy.from_env({"THREADA_ACTIONS_ALLOW": "127.0.0.1"}),
        }
    )
    db = app.threada_services.db
    tenant = auth.create_tenant(db, name="Docs test tenant")
    auth.set_actions_base_url(
        db, tenant=tenant["tenant_id"], base_url=f"http://127.0.0.1:{port}{PREFIX}"
    )
    _, secret = auth.create_key(
        db, tenant=tenant["tenant_id"], name="docs-tests", scopes=list(auth.SCOPES)
    )

    async def with_receiver(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
            await receiver(scope, receive, send)
        else:
            await app(scope, receive, send)

    return with_receiver, secret


@pytest.fixture(scope="session")
def docs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsServer]:
    import uvicorn

    sock = _free_socket()
    port = sock.getsockname()[1]
    # Only a missing module means "no server yet": a broken one must fail the tests.
    if importlib.util.find_spec("threada.app") is None:
        app, key, real = *_bare_app(), False
    else:
        app, key, real = *_real_app(tmp_path_factory.mktemp("docs-server"), port), True

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the docs server did not start"
        time.sleep(0.05)
    try:
        yield DocsServer(url=f"http://127.0.0.1:{port}{BASE_PATH}", api_key=key, real=real)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
