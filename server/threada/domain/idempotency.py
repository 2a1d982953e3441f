"""Idempotency-Key: the first response is stored and replayed; nothing is created twice.

Per tenant and key string, for `ttl_seconds` (24 h). The record stores a
fingerprint of the request (method, path, body) and the first request's response
(status, body, headers). The same key with a different request is
`idempotency_conflict`. A first request that fails (any error) leaves no record,
so the client may retry with the same key.

Crash safety: the record and the resource it protects commit in one transaction
(`write_once`: the record is claimed, the resource written and the response stored
before COMMIT), so after any crash a retry finds either both or neither. A
concurrent request with the same key waits on the claim (PostgreSQL: on the
record's unique index; SQLite: on the write lock) and then replays.

Actions call out between two transactions, so their record is `pending` in between
and names the action (`begin`/`finish` in threada.domain.actions): a retry while the
action runs waits (up to `wait_seconds`, then 409 `conflict`), and once the action is
finished (also when start-up or the maintenance task finished it as `interrupted`)
replays its outcome; the hook is never called twice for one key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

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


@dataclasses.dataclass(frozen=True)
class Claim:
    """Who is asking: `key` None means no Idempotency-Key was sent."""

    tenant_id: str
    key: str | None
    fingerprint: str


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        [method.upper(), path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Pending(Exception):
    """The key's first request (an action) is still running."""

    def __init__(self, action_id: str | None) -> None:
        super().__init__(action_id)
        self.action_id = action_id


class Idempotency:
    def __init__(self, *, ttl_seconds: int, wait_seconds: float) -> None:
        self.ttl_ms = ttl_seconds * 1000
        self.wait_seconds = wait_seconds

    # --- inside the caller's transaction ---------------------------------------------------

    def lookup(self, conn: sa.Connection, claim: Claim) -> StoredResponse | None:
        """The stored response to replay for `claim`, or None when the key is free.

        Raises IdempotencyConflict (another request used the key) or Pending (an action
        holding the key runs). An expired record is deleted and the key is free.
        """
        assert claim.key is not None
        record = repo.get_idempotency_record(conn, tenant_id=claim.tenant_id, idem_key=claim.key)
        if record is not None and record["created_at"] < now_ms() - self.ttl_ms:
            repo.delete_idempotency_record(conn, tenant_id=claim.tenant_id, idem_key=claim.key)
            record = None
        if record is None:
            return None
        if record["fingerprint"] != claim.fingerprint:
            raise IdempotencyConflict(
                f"Idempotency-Key {claim.key} was already used with a different request."
            )
        if record["state"] != "done":
            raise Pending(record["action_id"])
        return StoredResponse(
            status=record["status"],
            body=record["body"],
            headers=dict(record["headers"] or {}),
            replayed=True,
        )

    def claim(self, conn: sa.Connection, claim: Claim, *, action_id: str | None = None) -> bool:
        """Insert the key's record as pending; False when a concurrent request committed
        one first (on PostgreSQL this waits for that request's transaction)."""
        assert claim.key is not None
        return repo.claim_idempotency_key(
            conn,
            tenant_id=claim.tenant_id,
            idem_key=claim.key,
            fingerprint=claim.fingerprint,
            now=now_ms(),
            action_id=action_id,
        )

    def complete(self, conn: sa.Connection, claim: Claim, response: StoredResponse) -> None:
        assert claim.key is not None
        repo.complete_idempotency_record(
            conn,
            tenant_id=claim.tenant_id,
            idem_key=claim.key,
            status=response.status,
            body=response.body,
            headers=response.headers,
        )

    # --- one transaction for a write --------------------------------------------------------

    def write_once(
        self,
        db: Database,
        claim: Claim,
        produce: Callable[[sa.Connection], StoredResponse],
    ) -> StoredResponse:
        """Run `produce(conn)` in a transaction, once per key, and store its response in the
        same transaction; a replay returns the stored response (`replayed` True).

        `produce` writes through `conn` (a caller can add its own rows there, e.g. an
        outbox row, and they commit or roll back with the resource and the record).
        """
        if claim.key is None:
            with db.write() as conn:
                return produce(conn)
        for _ in range(3):
            with db.write() as conn:
                stored = self.lookup(conn, claim)
                if stored is not None:
                    return stored
                if not self.claim(conn, claim):
                    continue  # a concurrent request committed the key first: replay it
                response = produce(conn)
                self.complete(conn, claim, response)
                return response
        raise Conflict(f"A request with Idempotency-Key {claim.key} is in progress; retry later.")

    def wait_for(
        self,
        db: Database,
        claim: Claim,
        settle: Callable[[sa.Connection, str | None], StoredResponse | None],
    ) -> StoredResponse | None:
        """For a key whose record may be pending (actions): the stored response, or None
        when the key is free. While pending, `settle(conn, action_id)` may finish it (it
        returns the response it stored, or None); otherwise wait up to `wait_seconds`
        and then raise Conflict."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while True:
            with db.write() as conn:
                try:
                    return self.lookup(conn, claim)
                except Pending as pending:
                    stored = settle(conn, pending.action_id)
                    if stored is not None:
                        return dataclasses.replace(stored, replayed=True)
            if time.monotonic() > deadline:
                raise Conflict(
                    f"A request with Idempotency-Key {claim.key} is still in progress; retry later."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
