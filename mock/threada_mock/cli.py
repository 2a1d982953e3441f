"""`threada mock` / `python -m threada_mock`: serve the spec-driven mock."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

_T0 = time.perf_counter()


def _process_age() -> float:
    """Seconds since this process started (from /proc on Linux; else since import)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / ticks)
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _T0


def build_app(
    spec_path: str | Path | None = None,
    *,
    config: str | Path | None = None,
    stateful: bool = False,
    dynamic: bool = False,
    cors_origins: tuple[str, ...] = ("*",),
    base_path: str | None = None,
    max_body: int | None = None,
    seed: int | None = None,
    log: Any = None,
    rate_limit: int | None = None,
    latency: tuple[float, float] | None = None,
    chaos: float = 0.0,
    fixtures: str | Path | None = None,
    keys: str | None = None,
    declared_keys: dict[str, frozenset[str] | None] | None = None,
    docs: bool = True,
) -> Any:
    """The mock's ASGI app for a bundled spec (default: the checkout's openapi/dist).

    `max_body` and `rate_limit` default to the server's settings
    (`THREADA_MAX_BODY_BYTES`, `THREADA_DEFAULT_RATE_LIMIT`); `rate_limit=0` is no limit
    (429 never). `keys="reject"` answers 401 to keys not declared (in `config`
    or `declared_keys`). `docs` serves openapi.json/.yaml, /ui/ and /docs/ as the
    server does.
    """
    from threada.config import Settings

    from .app import MockApp
    from .config import load_key_policy
    from .model import compile_spec
    from .spec import default_spec_path, load_spec

    path = Path(spec_path or default_spec_path())
    doc = load_spec(path)
    compiled = compile_spec(doc, base_path=base_path)
    if fixtures is not None and not stateful:
        raise ValueError("--fixtures seeds the stateful mode: add --stateful")
    store = None
    if stateful:
        from .state import TicketStore, load_fixtures
        from .webhooks import WebhookStore

        data = load_fixtures(fixtures) if fixtures is not None else None
        store = WebhookStore(TicketStore(compiled, seed=seed, fixtures=data), compiled)
    policy = load_key_policy(config, compiled.all_scopes)
    for key, scopes in (declared_keys or {}).items():
        policy.keys[key] = compiled.all_scopes if scopes is None else scopes
    if keys is not None:
        if keys not in ("allow", "reject"):
            raise ValueError(f"--keys must be allow or reject, got {keys!r}")
        policy.reject_unknown = keys == "reject"
    settings = Settings.from_env()
    docs_routes = None
    if docs:
        from threada.docs import DocsMiddleware

        json_path = path.with_suffix(".json") if path.with_suffix(".json").is_file() else path
        # Only its routes are used (MockApp looks pages up itself): no app to wrap.
        no_app: Any = None
        docs_routes = DocsMiddleware(no_app, base_path=compiled.base_path, bundle_path=json_path)
    return MockApp(
        compiled,
        policy=policy,
        cors_origins=cors_origins or ("*",),
        store=store,
        dynamic=dynamic,
        max_body=max_body or settings.max_body_bytes,
        log=log,
        seed=seed,
        rate_limit=settings.default_rate_limit if rate_limit is None else rate_limit,
        latency=latency,
        chaos=chaos,
        docs=docs_routes,
    )


def parse_latency(value: str | None) -> tuple[float, float] | None:
    """`--latency 100-400` (a uniform range, milliseconds) or `--latency 250`."""
    if not value:
        return None
    low, sep, high = value.partition("-")
    try:
        lo, hi = float(low), float(high) if sep else float(low)
    except ValueError:
        raise click.BadParameter(f"expected MS or MIN-MAX milliseconds, got {value!r}") from None
    if lo < 0 or hi < lo:
        raise click.BadParameter(f"expected 0 <= MIN <= MAX, got {value!r}")
    return lo, hi


def parse_keys(values: tuple[str, ...]) -> dict[str, frozenset[str] | None]:
    """`--key KEY` (every scope) or `--key KEY=support.read,support.write`."""
    out: dict[str, frozenset[str] | None] = {}
    for raw in values:
        key, sep, scopes = raw.partition("=")
        if not key:
            raise click.BadParameter(f"--key needs a key, got {raw!r}")
        out[key] = frozenset(s for s in scopes.split(",") if s) if sep else None
    return out


@click.command("mock")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=4010, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Bundled OpenAPI document (default: openapi/dist/openapi.json, or $THREADA_SPEC).",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    help="YAML/JSON file declaring API keys and their scopes (see threada_mock.config).",
)
@click.option("--stateful", is_flag=True, help="Keep created tickets, messages and actions.")
@click.option("--dynamic", is_flag=True, help="Answer generated data instead of examples.")
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    default=("*",),
    show_default=True,
    help="Allowed browser origin; repeat for several.",
)
@click.option("--base-path", default=None, help="Override the spec's base path.")
@click.option(
    "--max-body-bytes",
    default=None,
    type=int,
    help="Larger bodies get 413 (default: the server's, $THREADA_MAX_BODY_BYTES or 262144).",
)
@click.option(
    "--rate-limit",
    default=None,
    type=int,
    help="Requests per minute per key before 429 (default: the server's, "
    "$THREADA_DEFAULT_RATE_LIMIT or 600; 0: no limit).",
)
@click.option("--latency", default=None, help="Delay every answer: MS, or MIN-MAX ms (uniform).")
@click.option(
    "--chaos",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of requests answered with a documented 429 or 5xx (0.05 = 5%).",
)
@click.option(
    "--fixtures",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON/YAML tickets, messages and actions to start --stateful with.",
)
@click.option(
    "--keys",
    type=click.Choice(["allow", "reject"]),
    default=None,
    help="reject: unknown keys get 401 (declare keys with --key or --config).",
)
@click.option(
    "--key",
    "declared",
    multiple=True,
    help="Declare a key: KEY (every scope) or KEY=SCOPE[,SCOPE]; repeat for several.",
)
@click.option("--seed", default=None, type=int, help="Seed for generated data, latency, chaos.")
@click.option("--quiet", is_flag=True, help="No log line per request.")
def mock_command(
    host: str,
    port: int,
    spec_path: str | None,
    config: str | None,
    stateful: bool,
    dynamic: bool,
    cors_origins: tuple[str, ...],
    base_path: str | None,
    max_body_bytes: int | None,
    rate_limit: int | None,
    latency: str | None,
    chaos: float,
    fixtures: str | None,
    keys: str | None,
    declared: tuple[str, ...],
    seed: int | None,
    quiet: bool,
) -> None:
    """Serve a mock of the API from the bundled spec: examples, validation, auth, scopes."""
    import warnings

    import uvicorn

    # Connexion (imported for the server's validators) imports Starlette's test client,
    # which warns about httpx at every start: noise for someone starting a mock.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

    from .spec import default_spec_path

    path = Path(spec_path) if spec_path else default_spec_path()
    try:
        app = build_app(
            path,
            config=config,
            stateful=stateful,
            dynamic=dynamic,
            cors_origins=cors_origins,
            base_path=base_path,
            max_body=max_body_bytes,
            seed=seed,
            log=None if quiet else sys.stdout,
            rate_limit=rate_limit,
            latency=parse_latency(latency),
            chaos=chaos,
            fixtures=fixtures,
            keys=keys,
            declared_keys=parse_keys(declared),
        )
    except (OSError, ValueError) as e:
        raise click.ClickException(str(e)) from e

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets=sockets)
            if self.should_exit:
                return
            mode = ", ".join(
                m
                for m, on in (
                    ("stateful", stateful),
                    ("dynamic", dynamic),
                    (f"fixtures {fixtures}", fixtures),
                    (f"latency {latency} ms", latency),
                    (f"chaos {chaos:g}", chaos),
                    (f"keys {keys}", keys),
                    ("quiet", quiet),
                )
                if on
            )
            click.echo(
                f"threada mock: http://{host}:{port}{app.base} "
                f"({len(app.spec.operations)} operations from {path}"
                f"{'; ' + mode if mode else ''}; CORS {' '.join(cors_origins)}; "
                "the server's validators) "
                f"ready in {_process_age():.3f}s",
                err=False,
            )
            sys.stdout.flush()

    # Served as `threada serve` serves the API (threada.serving): the start-up heap (the
    # spec, validators, the server modules the mock shares) frozen out of the garbage
    # collector, and each response written with one system call.
    import gc

    from threada.serving import CoalescingHttpToolsProtocol

    gc.collect()
    gc.freeze()
    config_ = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        server_header=False,
        http=CoalescingHttpToolsProtocol,
    )
    Server(config_).run()


def main() -> None:
    mock_command(prog_name="threada-mock")
