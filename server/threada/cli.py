"""`threada`: serve the API, run migrations, administer tenants and keys.

Other packages add commands in `_register_optional()` (the mock, the contract
suite): one guarded import and one `add_command` each.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from threada.config import Settings
from threada.domain.errors import DomainError
from threada.ids import rfc3339

DEMO_TENANT = "demo"


def _settings() -> Settings:
    return Settings.from_env()


def _db():
    from threada.storage.db import Database

    db = Database(_settings().database_url)
    db.upgrade()
    return db


def _fail_on_domain_error(fn):
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group()
def main() -> None:
    """Threada public API."""


# --- serve -----------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option("--database-url", envvar="THREADA_DATABASE_URL", default=None)
@click.option("--init-demo", is_flag=True, help="Create a demo tenant and key if there is none.")
@click.option("--access-log/--no-access-log", default=False, show_default=True)
def serve(
    host: str,
    port: int,
    workers: int,
    database_url: str | None,
    init_demo: bool,
    access_log: bool,
) -> None:
    """Serve the API with uvicorn (N worker processes with --workers N)."""
    import uvicorn

    if database_url:
        os.environ["THREADA_DATABASE_URL"] = database_url
    settings = _settings()
    db = _db()  # upgrade once here, before any worker starts
    settings.secret()  # likewise: generate the page-token secret once
    base = f"http://{host}:{port}/api/v1/public"
    factory = "threada.serving:create_app"
    if init_demo:
        secret = _ensure_demo(db, settings.var_dir)
        if secret:
            click.echo(f"Demo API key (tenant '{DEMO_TENANT}', all scopes): {secret}")
            click.echo(f"Try:  curl -s -H 'X-Api-Key: {secret}' '{base}/tickets?limit=25'")
        if _demo_actions(db, host=host, port=port):
            factory = "threada.serving:create_demo_app"
    click.echo(f"Serving {base}  (docs: {base}/docs/, spec: {base}/openapi.json)")
    db.dispose()
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers if workers > 1 else None,
        access_log=access_log,
        log_level="info",
        proxy_headers=False,
        server_header=False,  # no "server: uvicorn": clients need not know what serves them
        http="threada.serving:CoalescingHttpToolsProtocol",  # one write per response
    )


def _demo_actions(db, *, host: str, port: int) -> bool:
    """Point the demo tenant's actions at the built-in receiver (threada.demo), on loopback only.

    Only when serving on 127.0.0.1, the operator set no outbound allow-list, and the
    demo tenant's base URL is unset or an earlier demo one. Says so loudly.
    """
    from threada.demo import PREFIX
    from threada.domain import auth

    if host != "127.0.0.1" or os.environ.get("THREADA_ACTIONS_ALLOW"):
        return False
    current = auth.get_tenant(db, DEMO_TENANT)["actions_base_url"]
    if current and not (current.startswith("http://127.0.0.1:") and current.endswith(PREFIX)):
        return False
    base_url = f"http://127.0.0.1:{port}{PREFIX}"
    auth.set_actions_base_url(db, tenant=DEMO_TENANT, base_url=base_url)
    os.environ["THREADA_ACTIONS_ALLOW"] = "127.0.0.1"  # read by the workers' OutboundPolicy
    click.echo(
        f"DEMO MODE: tenant '{DEMO_TENANT}' runs actions against the built-in receiver at "
        f"{base_url}; outbound actions may reach 127.0.0.1 in this process."
    )
    return True


def _ensure_demo(db, var_dir: Path) -> str | None:
    """The demo tenant and a full-scope key, once; the key is kept in var/ for later starts."""
    from threada.domain import auth, tickets
    from threada.domain.errors import NotFound

    key_file = var_dir / "demo-api-key"
    try:
        tenant = auth.get_tenant(db, DEMO_TENANT)
    except NotFound:
        # A testing tenant: its key is thr_test_, so the contract suite may write to it.
        tenant = auth.create_tenant(db, name=DEMO_TENANT, testing=True)
    keys = [k for k in auth.list_keys(db, tenant=tenant["tenant_id"]) if k["state"] != "revoked"]
    if keys:
        if key_file.exists():
            secret = key_file.read_text().strip()
            if auth.authenticate(db, secret) is not None:
                return secret
        click.echo(f"Tenant '{DEMO_TENANT}' has keys; create one with `threada admin keys create`.")
        return None
    key, secret = auth.create_key(
        db, tenant=tenant["tenant_id"], name="demo", scopes=list(auth.SCOPES)
    )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(secret + "\n")
    key_file.chmod(0o600)
    principal = auth.authenticate(db, secret)
    assert principal is not None
    # One ticket, the product page's example, so the first list is not empty.
    tickets.create_ticket(
        db,
        principal=principal,
        body={
            "subject": "Refund request for order #48213",
            "priority": "normal",
            "channel": "email",
            "contact": {"name": "Priya Sharma", "email": "priya.sharma@example.com"},
            "tags": ["vip", "returns"],
            "initial_message": {
                "role": "user",
                "content": "Hi, I'd like a refund for order #48213.",
                "external_message_id": "email-msg-001",
            },
        },
    )
    return secret


# --- db --------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the schema to the newest revision."""
    _db()
    click.echo("schema is up to date")


# --- admin -----------------------------------------------------------------------------------


@main.group()
def admin() -> None:
    """Tenants and API keys (the product's Admin -> API keys)."""


@admin.group()
def tenants() -> None:
    """Tenants."""


def _tenant_line(t: dict) -> str:
    limit = t["rate_limit_per_minute"] or f"default ({_settings().default_rate_limit})"
    return (
        f"{t['tenant_id']}  {t['name']}  limit/min={limit}  "
        f"actions_base_url={t['actions_base_url'] or '-'}  "
        f"testing={'yes' if t['testing'] else 'no'}  created={rfc3339(t['created_at'])}"
    )


_TESTING_HELP = (
    "Mark the tenant for testing: its new keys start thr_test_, and the contract suite "
    "writes only with such keys."
)


@tenants.command("create")
@click.argument("name")
@click.option("--testing", is_flag=True, help=_TESTING_HELP)
@_fail_on_domain_error
def tenants_create(name: str, testing: bool) -> None:
    from threada.domain import auth

    click.echo(_tenant_line(auth.create_tenant(_db(), name=name, testing=testing)))


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
def tenants_list(as_json: bool) -> None:
    from threada.domain import auth

    rows = auth.list_tenants(_db())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for t in rows:
        click.echo(_tenant_line(t))


@tenants.command("set-limit")
@click.argument("tenant")
@click.argument("per_minute", type=int)
@_fail_on_domain_error
def tenants_set_limit(tenant: str, per_minute: int) -> None:
    """Requests per minute per key for TENANT (id or name)."""
    from threada.domain import auth

    click.echo(_tenant_line(auth.set_rate_limit(_db(), tenant=tenant, per_minute=per_minute)))


@tenants.command("set")
@click.argument("tenant")
@click.option("--actions-base-url", default=None, help="Base URL that action paths join.")
@click.option("--clear-actions-base-url", is_flag=True)
@click.option("--rate-limit", type=int, default=None, help="Requests per minute per key.")
@click.option("--testing/--no-testing", default=None, help=_TESTING_HELP)
@_fail_on_domain_error
def tenants_set(
    tenant: str,
    actions_base_url: str | None,
    clear_actions_base_url: bool,
    rate_limit: int | None,
    testing: bool | None,
) -> None:
    """Change TENANT's settings (id or name)."""
    from threada.domain import auth

    db = _db()
    row = auth.get_tenant(db, tenant)
    if testing is not None:
        row = auth.set_testing(db, tenant=tenant, testing=testing)
    if actions_base_url is not None or clear_actions_base_url:
        row = auth.set_actions_base_url(
            db, tenant=tenant, base_url=None if clear_actions_base_url else actions_base_url
        )
    if rate_limit is not None:
        row = auth.set_rate_limit(db, tenant=tenant, per_minute=rate_limit)
    click.echo(_tenant_line(row))


@admin.group()
def keys() -> None:
    """API keys: shown once at creation and rotation, stored as hashes only."""


@keys.command("create")
@click.option("--tenant", required=True, help="Tenant id or name.")
@click.option("--name", required=True, help="The integration this key is for.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["support.read", "support.write", "support.actions"]),
)
@_fail_on_domain_error
def keys_create(tenant: str, name: str, scopes: tuple[str, ...]) -> None:
    from threada.domain import auth

    key, secret = auth.create_key(_db(), tenant=tenant, name=name, scopes=list(scopes))
    click.echo(f"{key['key_id']}  {key['name']}  {key['scopes']}")
    click.echo(f"secret (shown once): {secret}")


@keys.command("list")
@click.option("--tenant", default=None, help="Tenant id or name.")
@click.option("--json", "as_json", is_flag=True)
@_fail_on_domain_error
def keys_list(tenant: str | None, as_json: bool) -> None:
    from threada.domain import auth

    rows = auth.list_keys(_db(), tenant=tenant)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for k in rows:
        click.echo(
            f"{k['key_id']}  {k['tenant_name']}  {k['name']}"
            f"  scopes={k['scopes'].replace(' ', ',')}"
            f"  created={rfc3339(k['created_at'])}  last_used={rfc3339(k['last_used_at']) or '-'}"
            f"  state={k['state']}"
        )


@keys.command("rotate")
@click.argument("key_id")
@click.option(
    "--grace",
    "grace_seconds",
    type=int,
    default=None,
    help="Seconds the old secret keeps working (default THREADA_KEY_GRACE_SECONDS, 24 h).",
)
@_fail_on_domain_error
def keys_rotate(key_id: str, grace_seconds: int | None) -> None:
    from threada.domain import auth

    grace = _settings().key_grace_seconds if grace_seconds is None else grace_seconds
    key, secret = auth.rotate_key(_db(), key_id=key_id, grace_seconds=grace)
    click.echo(f"{key['key_id']}  rotated; the old secret works for {grace} s more")
    click.echo(f"new secret (shown once): {secret}")


@keys.command("revoke")
@click.argument("key_id")
@_fail_on_domain_error
def keys_revoke(key_id: str) -> None:
    from threada.domain import auth

    key = auth.revoke_key(_db(), key_id=key_id)
    click.echo(f"{key['key_id']}  revoked at {rfc3339(key['revoked_at'])}")


# --- commands from other packages ------------------------------------------------------------


def _register_optional() -> None:
    try:
        from threada_mock.cli import mock_command
    except ImportError as exc:  # the mock package is optional
        if "threada_mock" not in str(exc):
            raise
    else:
        main.add_command(mock_command, "mock")
    # contract_tests is a folder of the checkout, not an installed package: make it importable
    # when this is the editable install of a checkout (server/threada -> the repository root).
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "contract_tests" / "cli.py").is_file() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    try:
        from contract_tests.cli import contract_command  # type: ignore[import-not-found]
    except ImportError as exc:
        if "contract_tests" not in str(exc):
            raise
    else:
        main.add_command(contract_command, "contract")


_register_optional()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
