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
) -> Any:
    """The mock's ASGI app for a bundled spec (default: the checkout's openapi/dist)."""
    from .app import DEFAULT_MAX_BODY, MockApp
    from .config import load_key_policy
    from .model import compile_spec
    from .spec import default_spec_path, load_spec

    doc = load_spec(spec_path or default_spec_path())
    compiled = compile_spec(doc, base_path=base_path)
    store = None
    if stateful:
        from .state import TicketStore
        from .webhooks import WebhookStore

        store = WebhookStore(TicketStore(compiled, seed=seed), compiled)
    return MockApp(
        compiled,
        policy=load_key_policy(config, compiled.all_scopes),
        cors_origins=cors_origins or ("*",),
        store=store,
        dynamic=dynamic,
        max_body=max_body or DEFAULT_MAX_BODY,
        log=log,
        seed=seed,
    )


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
@click.option("--max-body-bytes", default=1024 * 1024, show_default=True, type=int)
@click.option("--seed", default=None, type=int, help="Seed for generated data and ids.")
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
    max_body_bytes: int,
    seed: int | None,
    quiet: bool,
) -> None:
    """Serve a mock of the API from the bundled spec: examples, validation, auth, scopes."""
    import uvicorn

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
                for m, on in (("stateful", stateful), ("dynamic", dynamic), ("quiet", quiet))
                if on
            )
            click.echo(
                f"threada mock: http://{host}:{port}{app.base} "
                f"({len(app.spec.operations)} operations from {path}"
                f"{'; ' + mode if mode else ''}; CORS {' '.join(cors_origins)}; "
                f"validator {app.spec.validators.backend}) ready in {_process_age():.3f}s",
                err=False,
            )
            sys.stdout.flush()

    config_ = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        server_header=False,
    )
    Server(config_).run()


def main() -> None:
    mock_command(prog_name="threada-mock")
