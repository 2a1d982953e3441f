"""Housekeeping run at start-up and periodically by the server (threada.app's lifespan).

- Actions left `running` past their deadline by a process that died are finished as
  failed, error `interrupted` (threada.domain.actions.finish_stale_actions).
- Idempotency-Key records older than their TTL are deleted, in bounded batches (one
  short transaction each, so the purge never holds the write lock for long).

Both are safe to run from several processes at once.
"""

from __future__ import annotations

import dataclasses
import logging

from threada.domain.actions import finish_stale_actions
from threada.ids import now_ms
from threada.storage import repo
from threada.storage.db import Database

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Report:
    interrupted: int
    purged: int


def purge_idempotency_records(
    db: Database, *, ttl_seconds: int, batch: int, max_batches: int = 100
) -> int:
    """Delete records older than `ttl_seconds`, `batch` per transaction, at most
    `max_batches` transactions per call (the rest waits for the next run)."""
    cutoff = now_ms() - ttl_seconds * 1000
    total = 0
    for _ in range(max_batches):
        with db.write() as conn:
            deleted = repo.purge_idempotency_records(conn, older_than=cutoff, limit=batch)
        total += deleted
        if deleted < batch:
            break
    return total


def run(db: Database, *, idempotency_ttl_seconds: int, purge_batch: int) -> Report:
    report = Report(
        interrupted=finish_stale_actions(db),
        purged=purge_idempotency_records(
            db, ttl_seconds=idempotency_ttl_seconds, batch=purge_batch
        ),
    )
    if report.interrupted or report.purged:
        log.info(
            "maintenance: %d stale actions finished as interrupted, %d idempotency records purged",
            report.interrupted,
            report.purged,
        )
    return report
