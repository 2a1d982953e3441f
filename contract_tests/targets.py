"""What the contract suite runs against: the server in-process, the mock, or a live URL.

The target is chosen by environment variables, so that one pytest run (and the
`threada contract` command, which sets them) drives the same tests everywhere:

- default: the server (`threada.app.create_app`) in-process on a fresh SQLite
  database in a temporary directory (or the empty database `CONTRACT_DATABASE_URL`
  names, e.g. PostgreSQL; the framework from THREADA_FRAMEWORK as for the server);
  a tenant and one key for every non-empty
  set of scopes are created through the server's own admin functions
  (`threada.domain.auth`), and the tenant's actions go to a receiver on
  127.0.0.1 started by the suite;
- `CONTRACT_TARGET=mock`: the spec-driven mock (`threada_mock`), in-process,
  stateful, with keys declared per scope set in a mock config;
- `CONTRACT_TARGET=broken:<variant>`: the server with one deliberate drift
  (see `contract_tests.variants`), used by the drift test;
- `CONTRACT_URL` + `CONTRACT_KEY`: a live deployment. Optional
  `CONTRACT_SCOPED_KEYS="support.read=KEY1;support.write,support.actions=KEY2"`
  gives keys of known scopes for the scope checks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The committed bundle, in a checkout (an installed suite loads the spec the target serves).
BUNDLE = REPO / "openapi" / "dist" / "openapi.json"
SPEC_PATH = "/api/v1/public/openapi.json"


def spec_scopes(document: dict) -> tuple[str, ...]:
    """Every scope named in the spec's security requirements, in first-seen order."""
    seen: dict[str, None] = {}
    requirements = list(document.get("security", []))
    for item in document.get("paths", {}).values():
        for op in item.values():
            if isinstance(op, dict):
                requirements.extend(op.get("security", []))
    for req in requirements:
        for scopes in req.values():
            for scope in scopes:
                seen.setdefault(scope, None)
    return tuple(seen)


def scope_sets(scopes: tuple[str, ...]) -> list[frozenset[str]]:
    """All non-empty subsets: for any operation, keys that lack and keys that suffice."""
    return [
        frozenset(combo)
        for size in range(1, len(scopes) + 1)
        for combo in itertools.combinations(scopes, size)
    ]


@dataclasses.dataclass
class Target:
    """One system under test, and the keys the suite may use against it."""

    name: str
    key: str  # holds every scope (in live mode: whatever the operator gave)
    scoped_keys: dict[frozenset[str], str]  # scope set -> key; empty if unknown (live)
    app: Any = None  # an ASGI app, for in-process targets
    base_url: str | None = None  # for live targets
    receiver: Receiver | None = None
    schema_from_bundle: bool = False  # the target does not serve its spec

    @property
    def in_process(self) -> bool:
        return self.app is not None


# --- the actions receiver ---------------------------------------------------------------------


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that answers every action with 200 and counts them."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[tuple[str, str]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with lock:
                    outer.requests.append((self.command, self.path))
                body = b'{"ok":true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # quiet: the suite reports what matters

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- building targets -------------------------------------------------------------------------


@contextlib.contextmanager
def server_target(variant: str | None = None) -> Iterator[Target]:
    """The real server on a fresh SQLite database, with keys made by the admin functions."""
    from threada.app import create_app
    from threada.domain import auth
    from threada.outbound import OutboundPolicy
    from threada.storage.db import Database

    document = json.loads(BUNDLE.read_text())
    with tempfile.TemporaryDirectory(prefix="threada-contract-") as tmp, Receiver() as receiver:
        url = os.environ.get("CONTRACT_DATABASE_URL") or f"sqlite:///{Path(tmp) / 'contract.db'}"
        db = Database(url)
        db.upgrade()
        tenant = auth.create_tenant(db, name="contract-suite", testing=True)
        tid = tenant["tenant_id"]
        # The suite sends far more than the default 600/min; 429s would only hide behaviour.
        auth.set_rate_limit(db, tenant=tid, per_minute=1_000_000)
        auth.set_actions_base_url(db, tenant=tid, base_url=receiver.url)
        scoped: dict[frozenset[str], str] = {}
        for scopes in scope_sets(spec_scopes(document)):
            _, secret = auth.create_key(
                db, tenant=tid, name="contract:" + "+".join(sorted(scopes)), scopes=sorted(scopes)
            )
            scoped[scopes] = secret
        full = scoped[max(scoped, key=len)]
        config: dict[str, Any] = {
            "database_url": url,
            "database": db,
            "var_dir": tmp,
            "secret_key": "contract-suite-page-token-secret-0123456789",
            # Every in-process request comes from one address, and the suite sends hundreds
            # of keyless requests on purpose: the per-address 401 throttle would answer 429.
            "unauthenticated_limit": 0,
            # Actions go to the receiver only: 127.0.0.1 allowed, short timeouts.
            "outbound_policy": OutboundPolicy.allowing(
                "127.0.0.1", connect_timeout=2.0, total_timeout=5.0
            ),
            # Generated webhook URLs may name any host: register them, never deliver.
            "webhooks_dispatcher": False,
        }
        if variant:
            from contract_tests.variants import build_variant

            app = build_variant(variant, config)
        else:
            app = create_app(config)
        try:
            yield Target(
                name=f"broken:{variant}" if variant else "server",
                key=full,
                scoped_keys=scoped,
                app=app,
                receiver=receiver,
            )
        finally:
            db.dispose()


@contextlib.contextmanager
def mock_target(mode: str = "stateful") -> Iterator[Target]:
    """The mock (`stateful`, `examples` or `dynamic` mode), with one declared key per scope
    set and unknown keys rejected."""
    from threada_mock.cli import build_app

    document = json.loads(BUNDLE.read_text())
    scoped = {
        scopes: "contract-" + "-".join(sorted(scopes))
        for scopes in scope_sets(spec_scopes(document))
    }
    config = {
        "keys": {key: sorted(scopes) for scopes, key in scoped.items()},
        "unknown_keys": "reject",
    }
    with tempfile.TemporaryDirectory(prefix="threada-contract-mock-") as tmp:
        path = Path(tmp) / "mock.json"
        path.write_text(json.dumps(config))
        # As for the server target: the suite sends far more than 600 a minute.
        app = build_app(
            BUNDLE,
            config=path,
            stateful=mode == "stateful",
            dynamic=mode == "dynamic",
            seed=0,
            rate_limit=1_000_000,
        )
        yield Target(
            name="mock" if mode == "stateful" else f"mock:{mode}",
            key=scoped[max(scoped, key=len)],
            scoped_keys=scoped,
            app=app,
            schema_from_bundle=True,
        )


def parse_scoped_keys(raw: str) -> dict[frozenset[str], str]:
    """`support.read=KEY1;support.write,support.actions=KEY2` -> {scopes: key}."""
    out: dict[frozenset[str], str] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        scopes, sep, key = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"CONTRACT_SCOPED_KEYS: expected SCOPE[,SCOPE]=KEY, got {part!r}")
        out[frozenset(s.strip() for s in scopes.split(",") if s.strip())] = key.strip()
    return out


@contextlib.contextmanager
def live_target(url: str, key: str, scoped_raw: str = "") -> Iterator[Target]:
    yield Target(
        name=f"live:{url}",
        key=key,
        scoped_keys=parse_scoped_keys(scoped_raw),
        base_url=url.rstrip("/"),
    )


def target_from_env(environ: dict[str, str] | None = None) -> contextlib.AbstractContextManager:
    env = os.environ if environ is None else environ
    url = env.get("CONTRACT_URL", "").strip()
    if url:
        key = env.get("CONTRACT_KEY", "").strip()
        if not key:
            raise RuntimeError("CONTRACT_URL is set but CONTRACT_KEY is not")
        return live_target(url, key, env.get("CONTRACT_SCOPED_KEYS", ""))
    kind = env.get("CONTRACT_TARGET", "server").strip() or "server"
    if kind == "server":
        return server_target()
    if kind == "mock" or kind.startswith("mock:"):  # mock:examples, mock:dynamic
        return mock_target(kind.partition(":")[2] or "stateful")
    if kind.startswith("broken:"):
        return server_target(variant=kind.split(":", 1)[1])
    raise RuntimeError(f"CONTRACT_TARGET={kind!r}: expected server, mock or broken:<variant>")
