"""Settings: one typed object, read from defaults, then the environment, then overrides.

Nothing here touches the disk except `Settings.secret()`, which generates the
page-token secret into the var directory on first use when none is configured.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path
from typing import Any

_ENV_PREFIX = "THREADA_"


@dataclasses.dataclass(frozen=True)
class Settings:
    var_dir: Path = Path("var")
    # Default: an SQLite file under var_dir (filled in by `from_env`).
    database_url: str = ""
    secret_key: str | None = None
    # Bundle served and bound by the app; default: openapi/dist next to the package.
    spec_path: Path | None = None
    max_body_bytes: int = 256 * 1024
    default_rate_limit: int = 600
    key_grace_seconds: int = 24 * 3600
    idempotency_ttl_seconds: int = 24 * 3600
    # How long a request waits for a concurrent request holding the same Idempotency-Key.
    idempotency_wait_seconds: float = 10.0
    # Seconds a valid key is trusted without a lookup; 0 = revocation applies at once.
    key_cache_seconds: float = 0.0
    validate_responses: bool = False
    # "flask" (Connexion FlaskApp, the default) or "async" (Connexion AsyncApp, same handlers).
    framework: str = "flask"
    # AsyncApp only: run GET handlers on the event loop instead of the thread pool.
    # Unset: on for SQLite (a local read is shorter than the thread hand-off), off otherwise.
    inline_reads: bool | None = None
    # An inline read's SQLite statements get this long before they are interrupted and
    # the request moves to the thread pool (the loop is never held longer than this).
    inline_read_budget_ms: float = 5.0
    redis_url: str | None = None
    # Webhooks: run the dispatcher in this process (every server process shares the work).
    webhooks_dispatcher: bool = True
    # Retry after failed attempt n: base * 4**(n-1) seconds (+-20 % jitter), max_attempts in all.
    webhooks_retry_base_seconds: float = 5.0
    webhooks_max_attempts: int = 9
    # How often an idle dispatcher looks for due deliveries (new events wake it at once).
    webhooks_poll_seconds: float = 1.0
    # How long a claimed delivery is held before another process may take it over.
    webhooks_lease_seconds: float = 60.0
    webhooks_max_in_flight: int = 16
    webhooks_endpoint_max_in_flight: int = 4
    webhooks_tenant_max_in_flight: int = 8
    # After a secret rotation the old secret keeps signing this long.
    webhooks_secret_grace_seconds: int = 24 * 3600

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        """Defaults, then `THREADA_*` environment variables, then `overrides`."""
        values: dict[str, Any] = {}
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name, field in fields.items():
            raw = os.environ.get(_ENV_PREFIX + name.upper())
            if raw is None or raw == "":
                continue
            values[name] = _coerce(field.type, raw)
        values.update(overrides or {})
        for name in ("var_dir", "spec_path"):
            if isinstance(values.get(name), str):
                values[name] = Path(values[name])
        settings = cls(**values)
        if not settings.database_url:
            url = f"sqlite:///{(settings.var_dir / 'threada.db').as_posix()}"
            settings = dataclasses.replace(settings, database_url=url)
        return settings

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


def _coerce(type_name: Any, raw: str) -> Any:
    text = str(type_name)
    if text.startswith("int"):
        return int(raw)
    if text.startswith("float"):
        return float(raw)
    if text.startswith("bool"):
        return raw.lower() in {"1", "true", "yes", "on"}
    if text.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
