"""Per-key rate limits: fixed one-minute windows, shared by every process through the database.

Off the hot path: a process leases a slice of a key's window quota from the
database with one atomic UPDATE and then counts down in memory; it writes
again only when its slice runs out. The sum of all leases never exceeds the
limit, so the limit holds across processes (a process may refuse slightly
early while another holds unused quota; never late).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable

from threada.domain.auth import Principal
from threada.domain.errors import RateLimited
from threada.storage import repo
from threada.storage.db import Database, DatabaseBusy

WINDOW_MS = 60_000


@dataclasses.dataclass(frozen=True)
class Quota:
    """What the X-RateLimit-* headers say after this request."""

    limit: int
    remaining: int
    reset_seconds: int


@dataclasses.dataclass
class _Lease:
    window_start: int
    left: int = 0  # leased here and not yet spent
    claimed: int = 0  # the window's total claimed by all processes, as last seen
    exhausted: bool = False
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


class RateLimiter:
    def __init__(
        self,
        db: Database,
        *,
        default_limit: int,
        slice_fraction: float = 0.1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._default = default_limit
        self._fraction = slice_fraction
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()

    def try_local(self, principal: Principal) -> Quota | None:
        """Count one request from this process's lease, never touching the database nor
        waiting on a lock: None when that cannot be decided here (the lease must be
        refilled, or a refill is under way); then call `hit`, off the event loop."""
        now = int(self._clock() * 1000)
        window = now - now % WINDOW_MS
        lease = self._lease(principal.key_id, window)
        if not lease.lock.acquire(blocking=False):
            return None
        try:
            if lease.left == 0 and not lease.exhausted:
                return None
            return self._spend(principal, lease, now)
        finally:
            lease.lock.release()

    def hit(self, principal: Principal) -> Quota:
        """Count one request; raise RateLimited (with Retry-After) when over the limit.
        May write to the database (a lease refill): run it off the event loop."""
        now = int(self._clock() * 1000)
        window = now - now % WINDOW_MS
        limit = principal.rate_limit or self._default
        lease = self._lease(principal.key_id, window)
        # Another thread refilling this lease may be stuck on a busy database: wait no
        # longer than the database itself would.
        if not lease.lock.acquire(timeout=self._db.busy_timeout):
            raise DatabaseBusy("the rate-limit lease is busy")
        try:
            if lease.left == 0 and not lease.exhausted:
                want = max(1, math.ceil(limit * self._fraction))
                with self._db.write() as conn:
                    granted, claimed = repo.lease_quota(
                        conn,
                        key_id=principal.key_id,
                        window_start=window,
                        want=want,
                        limit=limit,
                        now=now,
                    )
                lease.left, lease.claimed = granted, claimed
                lease.exhausted = granted == 0
            return self._spend(principal, lease, now)
        finally:
            lease.lock.release()

    def _spend(self, principal: Principal, lease: _Lease, now: int) -> Quota:
        # The caller holds lease.lock.
        reset = max(1, math.ceil((lease.window_start + WINDOW_MS - now) / 1000))
        limit = principal.rate_limit or self._default
        if lease.left == 0:
            raise RateLimited(
                f"Rate limit of {limit} requests per minute exceeded for this key; "
                f"retry in {reset} s.",
                retry_after=reset,
                quota=Quota(limit=limit, remaining=0, reset_seconds=reset),
            )
        lease.left -= 1
        remaining = max(0, limit - lease.claimed + lease.left)
        return Quota(limit=limit, remaining=remaining, reset_seconds=reset)

    def _lease(self, key_id: str, window: int) -> _Lease:
        lease = self._leases.get(key_id)
        if lease is None or lease.window_start != window:
            with self._lock:
                lease = self._leases.get(key_id)
                if lease is None or lease.window_start != window:
                    if len(self._leases) > 100_000:
                        self._leases.clear()
                    lease = _Lease(window_start=window)
                    self._leases[key_id] = lease
        return lease
