"""Settings: one typed object, read from defaults, then the environment, then overrides.

Every field is a `THREADA_<NAME>` environment variable (pydantic-settings), validated
when the app is built: a value that does not fit its type or range stops the start with
`SettingsError`, one line naming the variable (`THREADA_MAX_BODY_BYTES: ...`), instead of
being silently replaced by a default.

Nothing here touches the disk except `Settings.secret()`, which generates the
page-token secret into the var directory on first use when none is configured.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_ENV_PREFIX = "THREADA_"

Seconds = float


class SettingsError(ValueError):
    """An invalid setting; the message is one line that names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=_ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_default=True,
    )

    var_dir: Path = Path("var")
    # Default: an SQLite file under var_dir (filled in after validation).
    database_url: str = ""
    secret_key: str | None = None
    # Bundle served and bound by the app; default: openapi/dist next to the package.
    spec_path: Path | None = None
    max_body_bytes: int = Field(256 * 1024, gt=0)
    default_rate_limit: int = Field(600, gt=0)
    key_grace_seconds: int = Field(24 * 3600, ge=0)
    idempotency_ttl_seconds: int = Field(24 * 3600, gt=0)
    # How long a request waits for a concurrent request holding the same Idempotency-Key.
    idempotency_wait_seconds: Seconds = Field(10.0, ge=0)
    # Expired Idempotency-Key records deleted per statement by the maintenance task.
    idempotency_purge_batch: int = Field(1000, gt=0)
    # Seconds a valid key is trusted without a lookup; 0 = revocation applies at once.
    key_cache_seconds: Seconds = Field(0.0, ge=0)
    validate_responses: bool = False
    # "async" (Connexion AsyncApp, the default) or "flask" (Connexion FlaskApp, same handlers).
    framework: Literal["async", "flask"] = "async"
    # AsyncApp on SQLite: run GET handlers (and the key lookup) on the event loop under
    # `inline_read_budget_ms` instead of the thread pool (a local read is shorter than
    # the hand-off). Unset or true: on for SQLite; false: off. Never on PostgreSQL,
    # where a statement on the loop could not be bounded.
    inline_reads: bool | None = None
    # An inline read's SQLite statements get this long before they are interrupted and
    # the request moves to the thread pool (the loop is never held longer than this).
    inline_read_budget_ms: float = Field(5.0, ge=0)
    # Database time bounds: past any of them the request gets 503 service_unavailable.
    db_connect_timeout_seconds: Seconds = Field(5.0, gt=0)
    db_statement_timeout_ms: int = Field(5000, gt=0)
    db_pool_timeout_seconds: Seconds = Field(5.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(5000, gt=0)
    # Retry-After (seconds) on a 503 from a busy or unreachable database.
    retry_after_seconds: int = Field(1, gt=0)
    # Outbound actions in flight: per tenant (unless the tenant sets its own), and in
    # this process for all tenants together.
    max_actions_in_flight: int = Field(4, gt=0)
    max_actions_in_flight_global: int = Field(64, gt=0)
    # The maintenance task (stale actions, expired idempotency records), in seconds.
    maintenance_interval_seconds: Seconds = Field(60.0, gt=0)
    # PostgreSQL connection pool per process (SQLite keeps its own per-thread connections).
    # No overflow by default: an overflow connection is closed as it comes back, so a load
    # past the pool opened and closed a PostgreSQL backend per request (server/README.md).
    db_pool_size: int = Field(10, gt=0)
    db_max_overflow: int = Field(0, ge=0)
    # Ping each connection as it leaves the pool (one round trip per request).
    db_pre_ping: bool = False
    # psycopg prepares a statement after this many runs on a connection; -1 never does
    # (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
    db_prepare_threshold: int = Field(5, ge=-1)

    # 401s one client address may get per minute before all its requests are answered 429
    # until the minute ends; 0 turns the throttle off.
    unauthenticated_limit: int = Field(60, ge=0)
    # Take the client address from the right-most X-Forwarded-For entry (behind a proxy
    # that sets it); off: the connection's peer address.
    trust_forwarded_for: bool = False
    # `threada serve` connection limits (per worker process; see server/README.md).
    # Largest request line plus headers; past it: 431 and the connection is closed.
    serve_max_header_bytes: int = Field(32 * 1024, gt=0)
    # Seconds a request's line and headers may take to arrive; past it: 408 and close.
    serve_header_timeout: Seconds = Field(10.0, gt=0)
    # Seconds an idle keep-alive connection is kept open.
    serve_keep_alive_seconds: int = Field(5, gt=0)
    # Connections plus running requests per worker; past it uvicorn answers 503.
    serve_limit_concurrency: int = Field(2048, gt=0)
    # Scheme and host for redirect Locations (`https://api.example.com`); unset: relative.
    public_url: str | None = None

    # Webhooks: run the dispatcher in this process (every server process shares the work).
    webhooks_dispatcher: bool = True
    # Retry after failed attempt n: base * 4**(n-1) seconds (+-20 % jitter), max_attempts in all.
    webhooks_retry_base_seconds: Seconds = Field(5.0, gt=0)
    webhooks_max_attempts: int = Field(9, ge=1)
    # How often an idle dispatcher looks for due deliveries (new events wake it at once).
    webhooks_poll_seconds: Seconds = Field(1.0, gt=0)
    # How long a claimed delivery is held before another process may take it over.
    webhooks_lease_seconds: Seconds = Field(60.0, gt=0)
    webhooks_max_in_flight: int = Field(16, gt=0)
    webhooks_endpoint_max_in_flight: int = Field(4, gt=0)
    webhooks_tenant_max_in_flight: int = Field(8, gt=0)
    # After a secret rotation the old secret keeps signing this long.
    webhooks_secret_grace_seconds: int = Field(24 * 3600, ge=0)

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            url = f"sqlite:///{(self.var_dir / 'threada.db').as_posix()}"
            object.__setattr__(self, "database_url", url)
        return self

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        """Defaults, then `THREADA_*` environment variables, then `overrides`.

        Raises `SettingsError` (one line, naming the variable) for an invalid value.
        """
        try:
            return cls(**(overrides or {}))
        except ValidationError as exc:
            raise SettingsError(describe(exc, overrides or {})) from None

    def replace(self, **changes: Any) -> Settings:
        return self.model_copy(update=changes)

    def secret(self) -> bytes:
        """The server secret for signed page tokens: configured, or generated once into var_dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.var_dir / "secret.key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes starting at once must end up with one secret.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def describe(exc: ValidationError, overrides: dict[str, Any]) -> str:
    """The first error of `exc` as one line: `THREADA_NAME: what is wrong (got 'value')`."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    where = f"{name} (given to create_app)" if name in overrides else _ENV_PREFIX + name.upper()
    got = error.get("input")
    shown = "" if isinstance(got, dict) or got is None else f" (got {str(got)!r})"
    message = str(error["msg"]).replace("\n", " ")
    return f"{where}: {message}{shown}"
