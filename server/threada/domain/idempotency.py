"""Idempotency-Key: the first response is stored and replayed; nothing is created twice.

Per tenant and key string, for `ttl_seconds` (24 h). The record stores a
fingerprint of the request (method, path, body) and, once the first request
finished, its response (status, body, headers). A concurrent request with the
same key waits for the first to finish and then replays it; the same key with
a different request is `idempotency_conflict`. A first request that fails
(any error) leaves no record, so the client may retry with the same key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from threada.domain.errors import Conflict, IdempotencyConflict
from threada.ids import now_ms
from threada.storage import repo
from threada.storage.db import Database


@dataclasses.dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str
    headers: dict[str, str]
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        [method.upper(), path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Idempotency:
    def __init__(self, db: Database, *, ttl_seconds: int, wait_seconds: float) -> None:
        self._db = db
        self._ttl_ms = ttl_seconds * 1000
        self._wait = wait_seconds
        # A pending record older than this belongs to a request that will not finish.
        self._abandon_ms = 120_000

    def run(
        self,
        *,
        tenant_id: str,
        key: str,
        fingerprint: str,
        produce: Callable[[], StoredResponse],
    ) -> StoredResponse:
        deadline = time.monotonic() + self._wait
        delay = 0.01
        while True:
            now = now_ms()
            with self._db.write() as conn:
                repo.delete_idempotency_record(
                    conn, tenant_id=tenant_id, idem_key=key, older_than=now - self._ttl_ms
                )
                claimed = repo.claim_idempotency_key(
                    conn, tenant_id=tenant_id, idem_key=key, fingerprint=fingerprint, now=now
                )
                record = (
                    None
                    if claimed
                    else repo.get_idempotency_record(conn, tenant_id=tenant_id, idem_key=key)
                )
            if claimed:
                return self._first(tenant_id, key, produce)
            if record is None:
                continue  # the first request failed and let go of the key: claim it
            if record["fingerprint"] != fingerprint:
                raise IdempotencyConflict(
                    f"Idempotency-Key {key} was already used with a different request."
                )
            if record["state"] == "pending" and now - record["created_at"] > self._abandon_ms:
                # The first request's process died mid-way: let this one take the key over.
                with self._db.write() as conn:
                    repo.delete_idempotency_record(
                        conn, tenant_id=tenant_id, idem_key=key, older_than=now - self._abandon_ms
                    )
                continue
            if record["state"] == "done":
                return StoredResponse(
                    status=record["status"],
                    body=record["body"],
                    headers=dict(record["headers"] or {}),
                    replayed=True,
                )
            if time.monotonic() > deadline:
                raise Conflict(
                    f"A request with Idempotency-Key {key} is still in progress; retry later."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _first(
        self, tenant_id: str, key: str, produce: Callable[[], StoredResponse]
    ) -> StoredResponse:
        try:
            response = produce()
        except BaseException:
            with self._db.write() as conn:
                repo.delete_idempotency_record(conn, tenant_id=tenant_id, idem_key=key)
            raise
        with self._db.write() as conn:
            repo.complete_idempotency_record(
                conn,
                tenant_id=tenant_id,
                idem_key=key,
                status=response.status,
                body=response.body,
                headers=response.headers,
            )
        return response
