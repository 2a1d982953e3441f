"""The webhook dispatcher: durable, at-least-once delivery of the event outbox.

One `Dispatcher` runs as an asyncio task in each server process (started and
stopped with the app's lifespan). It never blocks the event loop: database work
runs in its own small thread pool, the HTTP call is async (`AsyncOutbound`, the
guarded path actions use), and every wait has a timeout.

- **Claim.** Due deliveries are claimed in a write transaction and leased to this
  process for `lease_seconds` (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several
  processes claim disjoint rows; SQLite: BEGIN IMMEDIATE serialises claims). A
  process that dies mid-delivery leaves a lease that expires, and another process
  (or the restarted one) sends the delivery again: at least once, never twice at
  the same time while a lease is live.
- **Order.** Only the first pending delivery of each (endpoint, ticket) is due, so
  one ticket's events reach an endpoint one at a time, in order.
- **Caps.** At most `endpoint_max_in_flight` deliveries per endpoint and
  `tenant_max_in_flight` per tenant are leased at once, counted over every process
  (live leases), and `max_in_flight` per process; endpoints and tenants at their cap
  are left out of the claim itself, so a slow endpoint cannot fill the batch.
- **Retries.** After failed attempt n the next is due after
  `retry_base_seconds * 4**(n-1)`, with +-20 % jitter, up to `max_attempts` attempts
  (defaults: 5 s, 9 attempts: at least 24 h, about 30 h). An endpoint whose every
  delivery failed for that whole window is disabled, with the reason.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import dataclasses
import functools
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from threada.domain import webhooks
from threada.ids import now_ms, rfc3339
from threada.outbound import AsyncOutbound, OutboundPolicy, Outcome
from threada.outbound.webhook import post_webhook
from threada.storage import webhooks as store
from threada.storage.db import Database

log = logging.getLogger(__name__)

JITTER = 0.2
FACTOR = 4
# Finished deliveries (and events no delivery needs) are kept this long (the spec says so).
RETENTION_MS = 30 * 24 * 3600 * 1000
PURGE_EVERY_MS = 3600 * 1000


@dataclasses.dataclass(frozen=True)
class Schedule:
    """When failed attempts are retried."""

    base_seconds: float = 5.0
    max_attempts: int = 9

    def delay_seconds(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        """The wait after the `attempts`-th failed attempt (1-based), jittered."""
        nominal = self.base_seconds * FACTOR ** (attempts - 1)
        return nominal * (1 - JITTER + 2 * JITTER * rng())

    @property
    def shortest_window_seconds(self) -> float:
        """The least time between the first and the last attempt (all jitter negative)."""
        total = sum(self.base_seconds * FACTOR**i for i in range(self.max_attempts - 1))
        return total * (1 - JITTER)


def sign(*, secrets_: list[str], msg_id: str, body: str, at: datetime) -> str:
    """The `webhook-signature` value: one `v1,` signature per live secret."""
    return " ".join(Webhook(s).sign(msg_id=msg_id, timestamp=at, data=body) for s in secrets_)


Sender = Callable[..., Awaitable[Outcome]]


class Dispatcher:
    def __init__(
        self,
        db: Database,
        policy: OutboundPolicy,
        *,
        schedule: Schedule | None = None,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        max_in_flight: int = 16,
        endpoint_max_in_flight: int = 4,
        tenant_max_in_flight: int = 8,
        db_timeout_seconds: float = 60.0,
        sender: Sender = post_webhook,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.policy = policy
        self.schedule = schedule or Schedule()
        self.poll_seconds = poll_seconds
        # A lease must outlive the call it covers, or a second process could send too.
        self.lease_ms = int(max(lease_seconds, policy.total_timeout * 2) * 1000)
        self.max_in_flight = max_in_flight
        self.endpoint_cap = endpoint_max_in_flight
        self.tenant_cap = tenant_max_in_flight
        self.db_timeout = db_timeout_seconds
        self.sender = sender
        self.owner = owner or f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._outbound: AsyncOutbound | None = None
        self._tasks: set[asyncio.Task] = set()
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._runner: asyncio.Task | None = None
        self._purged_at = 0

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> asyncio.Task:
        """Start `run()` as a task of the running loop."""
        self._runner = asyncio.get_running_loop().create_task(self.run(), name="webhooks")
        return self._runner

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop claiming, give deliveries in flight `timeout` seconds, cancel the rest and
        let go of their leases (they are sent again, by this or another process)."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._runner is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._runner, timeout)
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=timeout)
            for task in pending:
                task.cancel()
        try:
            await self._call(self._release)
        except Exception:  # noqa: BLE001 - the leases expire on their own
            log.exception("webhooks: could not release leases at shutdown")
        if self._outbound is not None:
            await self._outbound.aclose()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        # Database work only: the calls are async.
        self._executor = concurrent.futures.ThreadPoolExecutor(
            4, thread_name_prefix="threada-webhooks"
        )
        self._outbound = AsyncOutbound(self.policy, max_connections=self.max_in_flight)

        def wake_up() -> None:  # from the thread whose transaction committed
            with contextlib.suppress(RuntimeError):  # the loop is closing: it polls no more
                loop.call_soon_threadsafe(wake.set)

        unregister = webhooks.on_new_events(wake_up)
        try:
            while not self._stopping:
                wake.clear()
                sleep = self.poll_seconds
                try:
                    claimed, next_due = await self._call(self._claim)
                except Exception:  # noqa: BLE001 - a bad moment of the database: try later
                    log.exception("webhooks: claiming deliveries failed")
                    claimed, next_due = [], None
                for row in claimed:
                    task = loop.create_task(self._deliver(row))
                    self._tasks.add(task)
                    task.add_done_callback(self._finished)
                if next_due is not None:
                    sleep = min(sleep, max(0.0, (next_due - now_ms()) / 1000))
                if sleep > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(wake.wait(), sleep)
        finally:
            unregister()

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if self._wake is not None:
            self._wake.set()  # a free slot, and maybe the next event of that ticket

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(
            loop.run_in_executor(self._executor, functools.partial(fn, *args)), self.db_timeout
        )

    # --- claim, send, record (in the dispatcher's threads) ----------------------------------

    def _claim(self) -> tuple[list[dict], int | None]:
        now = now_ms()
        if now - self._purged_at >= PURGE_EVERY_MS:
            self._purged_at = now
            self.purge(now=now)
        free = self.max_in_flight - len(self._tasks)
        with self.db.read() as conn:
            due = store.any_due(conn, now=now)
            next_due = store.next_due_at(conn, now=now)
        if free <= 0 or not due:
            return [], next_due
        with self.db.write() as conn:
            per_endpoint: collections.Counter[str] = collections.Counter()
            per_tenant: collections.Counter[str] = collections.Counter()
            for lease in store.leases_in_flight(conn, now=now):
                per_endpoint[lease["endpoint_id"]] += lease["n"]
                per_tenant[lease["tenant_id"]] += lease["n"]
            rows = store.due_deliveries(
                conn,
                now=now,
                limit=free * 4,
                skip_endpoints=[e for e, n in per_endpoint.items() if n >= self.endpoint_cap],
                skip_tenants=[t for t, n in per_tenant.items() if n >= self.tenant_cap],
                skip_locked=not self.db.is_sqlite,
            )
            chosen: list[dict] = []
            for row in rows:
                if len(chosen) >= free:
                    break
                if (
                    per_endpoint[row["endpoint_id"]] >= self.endpoint_cap
                    or per_tenant[row["tenant_id"]] >= self.tenant_cap
                ):
                    continue
                per_endpoint[row["endpoint_id"]] += 1
                per_tenant[row["tenant_id"]] += 1
                chosen.append(row)
            if chosen:
                store.lease(
                    conn,
                    delivery_ids=[r["delivery_id"] for r in chosen],
                    owner=self.owner,
                    now=now,
                    expires_at=now + self.lease_ms,
                )
                keys: dict[str, list[str]] = {}
                for row in chosen:
                    if row["endpoint_id"] not in keys:
                        keys[row["endpoint_id"]] = store.live_secrets(
                            conn, endpoint_id=row["endpoint_id"], now=now
                        )
                    row["secrets"] = keys[row["endpoint_id"]]
        return chosen, next_due

    async def _deliver(self, row: dict) -> None:
        started = now_ms()
        try:
            headers = {
                "webhook-id": row["event_id"],
                "webhook-timestamp": str(started // 1000),
                "webhook-signature": sign(
                    secrets_=row["secrets"],
                    msg_id=row["event_id"],
                    body=row["body"],
                    at=datetime.fromtimestamp(started // 1000, tz=UTC),
                ),
            }
            assert self._outbound is not None
            outcome = await asyncio.wait_for(
                self.sender(
                    self._outbound, url=row["url"], headers=headers, body=row["body"].encode()
                ),
                self.policy.total_timeout + 5,
            )
        except TimeoutError:
            outcome = Outcome(False, None, now_ms() - started, "timeout", None)
        except Exception as exc:  # noqa: BLE001 - recorded as a failed attempt
            log.exception("webhooks: delivery %s failed unexpectedly", row["delivery_id"])
            outcome = Outcome(False, None, now_ms() - started, f"internal error ({exc})", None)
        try:
            await self._call(self._record, row, outcome)
        except Exception:  # noqa: BLE001 - the lease expires and the delivery is retried
            log.exception("webhooks: recording delivery %s failed", row["delivery_id"])

    def _record(self, row: dict, outcome: Outcome) -> None:
        now = now_ms()
        attempts = row["attempts"] + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_response_code": outcome.http_status,
            "last_response_excerpt": outcome.response_excerpt,
            "last_error": outcome.error,
            "lease_owner": None,
            "lease_expires_at": None,
        }
        final = False
        if outcome.succeeded:
            values.update(status="succeeded", next_attempt_at=None)
        elif attempts >= self.schedule.max_attempts:
            values.update(status="failed", next_attempt_at=None)
            final = True
        else:
            delay_ms = int(self.schedule.delay_seconds(attempts) * 1000)
            values.update(next_attempt_at=now + delay_ms)
        with self.db.write() as conn:
            if not store.update_delivery(
                conn, delivery_id=row["delivery_id"], values=values, lease_owner=self.owner
            ):
                return  # our lease ran out and another process took the delivery over
            if outcome.succeeded:
                store.mark_endpoint_ok(conn, endpoint_id=row["endpoint_id"])
                return
            store.mark_endpoint_failing(conn, endpoint_id=row["endpoint_id"], since=now)
            if final:
                self._maybe_disable(conn, row["endpoint_id"], now, outcome)
        log.info(
            "webhooks: delivery %s attempt %d failed: %s",
            row["delivery_id"],
            attempts,
            outcome.error,
        )

    def _maybe_disable(self, conn: Any, endpoint_id: str, now: int, outcome: Outcome) -> None:
        """Disable an endpoint that has failed every delivery for the whole retry window."""
        ep = store.get_endpoint(conn, tenant_id=None, endpoint_id=endpoint_id)
        if ep is None or not ep["enabled"] or ep["failing_since"] is None:
            return
        if now - ep["failing_since"] < self.schedule.shortest_window_seconds * 1000:
            return
        reason = (
            f"Every delivery failed from {rfc3339(ep['failing_since'])} to {rfc3339(now)}; "
            f"last error: {outcome.error}"
        )
        store.update_endpoint(
            conn,
            endpoint_id=endpoint_id,
            values={"enabled": False, "disabled_reason": reason, "updated_at": now},
        )
        log.warning("webhooks: endpoint %s disabled: %s", endpoint_id, reason)

    def purge(self, *, now: int) -> int:
        """Forget finished deliveries older than the retention (30 days)."""
        with self.db.write() as conn:
            return store.purge_finished(conn, older_than=now - RETENTION_MS)

    def _release(self) -> None:
        with self.db.write() as conn:
            store.release_leases(conn, owner=self.owner)
