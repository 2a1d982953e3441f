"""Tenants, API keys and the principal a request acts as.

A key's secret is `thr_live_` + 32 random bytes (urlsafe base64): high entropy,
so a fast SHA-256 is enough to store it, and lookups go by that hash. Keys of a
tenant marked for testing start `thr_test_` instead (as Stripe's `sk_test_`), so
a tool holding only the key (the contract suite) can tell it may write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import time

from threada.domain.errors import Conflict, InvalidRequest, NotFound
from threada.ids import new_id, now_ms
from threada.storage import repo
from threada.storage.db import Database

SCOPES = ("support.read", "support.write", "support.actions", "support.webhooks")
KEY_PREFIX = "thr_live_"
TEST_KEY_PREFIX = "thr_test_"  # keys of a tenant marked for testing
# 32 bytes -> 43 urlsafe base64 characters, no padding.
_SECRET_RE = re.compile(r"^thr_(?:live|test)_[A-Za-z0-9_-]{43}$")


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its tenant, what it may do and how often."""

    key_id: str
    tenant_id: str
    scopes: frozenset[str]
    rate_limit: int | None

    @property
    def requested_by(self) -> str:
        return f"api_key:{self.key_id}"


def new_secret(*, testing: bool = False) -> str:
    return (TEST_KEY_PREFIX if testing else KEY_PREFIX) + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(db: Database, secret: str) -> Principal | None:
    """The principal for a presented key, or None (unknown, malformed, revoked, expired)."""
    if not _SECRET_RE.match(secret):
        return None
    digest = hash_secret(secret)
    with db.quick_read() as conn:
        row = repo.find_key_by_secret(conn, secret_hash=digest, now=now_ms())
    if row is None:
        return None
    # The index lookup found it; compare again in constant time, as the design asks.
    if not hmac.compare_digest(digest, row["secret_hash"]):
        return None
    return Principal(
        key_id=row["key_id"],
        tenant_id=row["tenant_id"],
        scopes=frozenset(row["scopes"].split()),
        rate_limit=row["rate_limit_per_minute"],
    )


class Authenticator:
    """`authenticate` with an optional in-process cache of valid keys.

    With `cache_seconds` = 0 (the default) every request looks the key up, so a
    revocation or an expired rotation applies to the very next request. A
    positive value trades that for speed: a revoked key may keep working in
    another process for up to that many seconds.
    """

    def __init__(self, db: Database, *, cache_seconds: float = 0.0) -> None:
        self._db = db
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[Principal, float]] = {}

    def __call__(self, secret: str) -> Principal | None:
        if self._ttl <= 0:
            return authenticate(self._db, secret)
        now = time.monotonic()
        hit = self._cache.get(secret)
        if hit is not None and hit[1] > now:
            return hit[0]
        principal = authenticate(self._db, secret)
        if principal is not None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[secret] = (principal, now + self._ttl)
        else:
            self._cache.pop(secret, None)
        return principal


# --- admin -----------------------------------------------------------------------------------


def create_tenant(db: Database, *, name: str, testing: bool = False) -> dict:
    name = name.strip()
    if not name:
        raise InvalidRequest("tenant name must not be empty")
    with db.write() as conn:
        if repo.get_tenant(conn, tenant=name) is not None:
            raise Conflict(f"tenant {name!r} exists")
        tenant_id = new_id("ten")
        repo.insert_tenant(
            conn, tenant_id=tenant_id, name=name, created_at=now_ms(), testing=testing
        )
        return _require_tenant(conn, tenant_id)


def list_tenants(db: Database) -> list[dict]:
    with db.read() as conn:
        return repo.list_tenants(conn)


def get_tenant(db: Database, tenant: str) -> dict:
    with db.read() as conn:
        return _require_tenant(conn, tenant)


def set_rate_limit(db: Database, *, tenant: str, per_minute: int | None) -> dict:
    if per_minute is not None and per_minute < 1:
        raise InvalidRequest("the limit must be at least 1 request per minute")
    with db.write() as conn:
        row = _require_tenant(conn, tenant)
        repo.update_tenant(conn, tenant_id=row["tenant_id"], rate_limit_per_minute=per_minute)
        return _require_tenant(conn, row["tenant_id"])


def set_max_actions_in_flight(db: Database, *, tenant: str, limit: int | None) -> dict:
    """How many of the tenant's actions may run at once; None: the server's default."""
    if limit is not None and limit < 1:
        raise InvalidRequest("the limit must be at least 1 action in flight")
    with db.write() as conn:
        row = _require_tenant(conn, tenant)
        repo.update_tenant(conn, tenant_id=row["tenant_id"], max_actions_in_flight=limit)
        return _require_tenant(conn, row["tenant_id"])


def set_actions_base_url(db: Database, *, tenant: str, base_url: str | None) -> dict:
    if base_url is not None:
        # The outbound module owns what a reachable, well-formed base URL is.
        from threada.outbound import validate_base_url

        base_url = validate_base_url(base_url)
    with db.write() as conn:
        row = _require_tenant(conn, tenant)
        repo.update_tenant(conn, tenant_id=row["tenant_id"], actions_base_url=base_url)
        return _require_tenant(conn, row["tenant_id"])


def set_testing(db: Database, *, tenant: str, testing: bool) -> dict:
    """Mark TENANT for testing (keys created from now on are thr_test_) or unmark it.

    Unmarking is refused while the tenant has an unrevoked key: a thr_test_ key would
    still tell a test tool it may write to what is now a live tenant (only hashes are
    stored, so which keys are thr_test_ is not known here).
    """
    with db.write() as conn:
        row = _require_tenant(conn, tenant)
        if not testing and row["testing"]:
            keys = repo.list_keys(conn, tenant_id=row["tenant_id"])
            unrevoked = [k for k in keys if k["revoked_at"] is None]
            if unrevoked:
                raise Conflict(
                    f"tenant {row['name']!r} has {len(unrevoked)} unrevoked key(s), "
                    "which may be thr_test_ keys; revoke them first"
                )
        repo.update_tenant(conn, tenant_id=row["tenant_id"], testing=testing)
        return _require_tenant(conn, row["tenant_id"])


def create_key(db: Database, *, tenant: str, name: str, scopes: list[str]) -> tuple[dict, str]:
    """A new key; returns (key row, secret). The secret is not stored and not shown again.

    The secret starts thr_test_ when the tenant is marked for testing, else thr_live_.
    """
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidRequest(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if not scopes:
        raise InvalidRequest("a key needs at least one scope")
    ordered = [s for s in SCOPES if s in scopes]
    with db.write() as conn:
        row = _require_tenant(conn, tenant)
        secret = new_secret(testing=bool(row["testing"]))
        key_id = new_id("key")
        repo.insert_key(
            conn,
            key_id=key_id,
            tenant_id=row["tenant_id"],
            name=name,
            scopes=ordered,
            secret_hash=hash_secret(secret),
            created_at=now_ms(),
        )
        key = repo.get_key(conn, key_id=key_id)
    assert key is not None
    return key, secret


def list_keys(db: Database, *, tenant: str | None = None) -> list[dict]:
    now = now_ms()
    with db.read() as conn:
        tenant_id = _require_tenant(conn, tenant)["tenant_id"] if tenant else None
        keys = repo.list_keys(conn, tenant_id=tenant_id)
    for k in keys:
        live = [e for e in k.pop("secret_expiries") if e is None or e > now]
        if k["revoked_at"] is not None:
            k["state"] = "revoked"
        elif not live:
            k["state"] = "expired"
        elif len(live) > 1:
            k["state"] = "rotating"
        else:
            k["state"] = "active"
    return keys


def rotate_key(db: Database, *, key_id: str, grace_seconds: int) -> tuple[dict, str]:
    """A new secret for the key; the old ones keep working for `grace_seconds`, then stop."""
    if grace_seconds < 0:
        raise InvalidRequest("the grace period must not be negative")
    now = now_ms()
    with db.write() as conn:
        key = repo.get_key(conn, key_id=key_id)
        if key is None:
            raise NotFound(f"no key {key_id}")
        secret = new_secret(testing=bool(_require_tenant(conn, key["tenant_id"])["testing"]))
        if key["revoked_at"] is not None:
            raise Conflict(f"key {key_id} is revoked")
        repo.expire_secrets(conn, key_id=key_id, expires_at=now + grace_seconds * 1000)
        repo.insert_secret(conn, key_id=key_id, secret_hash=hash_secret(secret), created_at=now)
    return key, secret


def revoke_key(db: Database, *, key_id: str) -> dict:
    with db.write() as conn:
        if repo.get_key(conn, key_id=key_id) is None:
            raise NotFound(f"no key {key_id}")
        repo.revoke_key(conn, key_id=key_id, revoked_at=now_ms())
        key = repo.get_key(conn, key_id=key_id)
    assert key is not None
    return key


def _require_tenant(conn, tenant: str) -> dict:
    row = repo.get_tenant(conn, tenant=tenant)
    if row is None:
        raise NotFound(f"no tenant {tenant!r}")
    return row
