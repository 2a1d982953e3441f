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

from threada.config import Settings, SettingsError
from threada.domain.errors import DomainError
from threada.ids import rfc3339

DEMO_TENANT = "demo"


def _settings() -> Settings:
    """The validated settings; an invalid one stops the command with one line naming it."""
    from threada.outbound import OutboundPolicy

    try:
        settings = Settings.from_env()
        OutboundPolicy.from_env()  # THREADA_ACTIONS_*: checked at start as well
    except (SettingsError, ValueError) as exc:
        raise click.ClickException(f"invalid setting: {exc}") from None
    return settings


def _db():
    """The database, upgraded and checked writable; a problem stops the command with one
    line (`Error: ...`) and exit status 1, never a traceback."""
    from threada.storage.db import Database, StartupError

    try:
        db = Database.from_settings(_settings())
        db.prepare()
    except StartupError as exc:
        raise click.ClickException(f"database: {exc}") from None
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
    try:
        settings.secret()  # likewise: generate the page-token secret once
    except OSError as exc:
        raise click.ClickException(
            f"cannot write the page-token secret under {settings.var_dir}: {exc.strerror} "
            "(set THREADA_SECRET_KEY or make THREADA_VAR_DIR writable)"
        ) from None
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
        # One write per response; head size and time limits (threada.serving).
        http="threada.serving:CoalescingHttpToolsProtocol",
        timeout_keep_alive=settings.serve_keep_alive_seconds,
        limit_concurrency=settings.serve_limit_concurrency,
        h11_max_incomplete_event_size=settings.serve_max_header_bytes,  # if h11 is ever used
    )


def _demo_actions(db, *, host: str, port: int) -> bool:
    """Point the demo tenant's actions at the built-in receiver (threada.demo), on loopback only.

    Only when serving on 127.0.0.1, the operator set no outbound allow-list, and the
    demo tenant's base URL is unset or an earlier demo one. The demo tenant alone may then
    reach 127.0.0.1 on this server's port (THREADA_ACTIONS_TENANT_TARGETS, read by the
    workers' OutboundPolicy); every other tenant keeps the full guard. Says so loudly.
    """
    from threada.demo import PREFIX
    from threada.domain import auth

    if host != "127.0.0.1" or os.environ.get("THREADA_ACTIONS_ALLOW"):
        return False
    current = auth.get_tenant(db, DEMO_TENANT)["actions_base_url"]
    if current and not (current.startswith("http://127.0.0.1:") and current.endswith(PREFIX)):
        return False
    base_url = f"http://127.0.0.1:{port}{PREFIX}"
    tenant = auth.set_actions_base_url(db, tenant=DEMO_TENANT, base_url=base_url)
    os.environ["THREADA_ACTIONS_TENANT_TARGETS"] = f"{tenant['tenant_id']} 127.0.0.1:{port}"
    click.echo(
        f"DEMO MODE: tenant '{DEMO_TENANT}' runs actions against the built-in receiver at "
        f"{base_url}; that tenant alone may reach 127.0.0.1:{port}, every other tenant "
        "keeps the full outbound guard."
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
    settings = _settings()
    limit = t["rate_limit_per_minute"] or f"default ({settings.default_rate_limit})"
    in_flight = t["max_actions_in_flight"] or f"default ({settings.max_actions_in_flight})"
    return (
        f"{t['tenant_id']}  {t['name']}  limit/min={limit}  actions-in-flight={in_flight}  "
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
@click.option(
    "--max-actions-in-flight",
    type=int,
    default=None,
    help="Actions running at once for the tenant (default THREADA_MAX_ACTIONS_IN_FLIGHT, 4).",
)
@click.option("--default-max-actions-in-flight", is_flag=True, help="Back to the server default.")
@click.option("--testing/--no-testing", default=None, help=_TESTING_HELP)
@_fail_on_domain_error
def tenants_set(
    tenant: str,
    actions_base_url: str | None,
    clear_actions_base_url: bool,
    rate_limit: int | None,
    max_actions_in_flight: int | None,
    default_max_actions_in_flight: bool,
    testing: bool | None,
) -> None:
    """Change TENANT's settings (id or name)."""
    from threada.domain import auth

    db = _db()
    row = auth.get_tenant(db, tenant)
    if testing is not None:
        row = auth.set_testing(db, tenant=tenant, testing=testing)
    if actions_base_url is not None and not clear_actions_base_url:
        _refuse_unreachable(actions_base_url, tenant_id=row["tenant_id"])
    if actions_base_url is not None or clear_actions_base_url:
        row = auth.set_actions_base_url(
            db, tenant=tenant, base_url=None if clear_actions_base_url else actions_base_url
        )
    if rate_limit is not None:
        row = auth.set_rate_limit(db, tenant=tenant, per_minute=rate_limit)
    if max_actions_in_flight is not None or default_max_actions_in_flight:
        row = auth.set_max_actions_in_flight(
            db,
            tenant=tenant,
            limit=None if default_max_actions_in_flight else max_actions_in_flight,
        )
    click.echo(_tenant_line(row))


def _refuse_unreachable(url: str, *, tenant_id: str) -> None:
    """Refuse a base URL every action would fail on: the call's own checks (the URL rules,
    then resolving and vetting the addresses against THREADA_ACTIONS_* policy, with the
    exact targets THREADA_ACTIONS_TENANT_TARGETS grants this tenant, as its calls get)."""
    from threada.outbound import OutboundPolicy, validate_base_url
    from threada.outbound.transport import reachability_problem

    try:
        base = validate_base_url(url)
        policy = OutboundPolicy.from_env().for_tenant(tenant_id)
    except (DomainError, ValueError) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from None
    problem = reachability_problem(base, policy)
    if problem:
        raise click.ClickException(
            f"actions_base_url {base}: {problem}; every action would fail "
            "(THREADA_ACTIONS_ALLOW lists hosts and networks that may be reached)"
        )


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
    type=click.Choice(["support.read", "support.write", "support.actions", "support.webhooks"]),
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


@admin.group()
def webhooks() -> None:
    """Webhook deliveries: see them, and send them again."""


@webhooks.command("list")
@click.option("--tenant", default=None, help="Tenant id or name (default: every tenant).")
@click.option("--status", default=None, type=click.Choice(["pending", "succeeded", "failed"]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
@_fail_on_domain_error
def webhooks_list(tenant: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """The newest deliveries: status, attempts, last answer, next attempt."""
    from threada.domain import auth
    from threada.domain import webhooks as wh

    db = _db()
    tenant_id = auth.get_tenant(db, tenant)["tenant_id"] if tenant else None
    rows = wh.admin_list_deliveries(db, tenant_id=tenant_id, status=status, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for d in rows:
        click.echo(
            f"{d['delivery_id']}  {d['tenant_id']}  {d['endpoint_id']}  {d['event_type']}"
            f"  {d['event_id']}  status={d['status']}  attempts={d['attempts']}"
            f"  last={d['last_response_code'] or '-'} {d['last_error'] or ''}".rstrip()
            + f"  next={d['next_attempt_at'] or '-'}"
        )


@webhooks.command("replay")
@click.argument("endpoint_id")
@click.argument("delivery_ids", nargs=-1)
@click.option("--failed", "all_failed", is_flag=True, help="Every failed delivery of the endpoint.")
@_fail_on_domain_error
def webhooks_replay(endpoint_id: str, delivery_ids: tuple[str, ...], all_failed: bool) -> None:
    """Queue deliveries of ENDPOINT_ID again, due now (same event id and body)."""
    from threada.domain import webhooks as wh

    db = _db()
    ids = list(delivery_ids)
    if all_failed:
        ids += wh.admin_failed_delivery_ids(db, endpoint_id=endpoint_id)
    if not ids:
        raise click.UsageError("name DELIVERY_IDS or pass --failed")
    for delivery_id in ids:
        d = wh.redeliver(db, principal=None, endpoint_id=endpoint_id, delivery_id=delivery_id)
        click.echo(f"{d['delivery_id']}  queued again ({d['event_type']} {d['event_id']})")


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
