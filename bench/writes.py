"""Where a write's time goes below the HTTP layer: POST /tickets with an Idempotency-Key, and
POST /tickets/{id}/messages, called on the domain directly in one thread under cProfile.

    python -m bench.writes --url sqlite:///COPY.db --meta bench/work/seed-1000000-rev0005-v1.json
    python -m bench.writes --url postgresql+psycopg://postgres@127.0.0.1:PORT/DB --meta ...

Prints CPU per call (time.process_time) with and without the idempotency wrapper, the
statements per call by kind (SQLAlchemy's before_cursor_execute, plus the BEGIN/COMMIT
SQLAlchemy emits itself), and the top of the profile. Run it on a copy: it writes.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import pstats
import time
import uuid
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()

    import sqlalchemy as sa
    from threada.domain import tickets
    from threada.domain.auth import Principal
    from threada.domain.idempotency import Claim, Idempotency, StoredResponse, fingerprint
    from threada.storage.db import Database

    meta = json.loads(Path(args.meta).read_text())
    tenant = meta["tenants"][0]["tenant_id"]
    db = Database(args.url)
    idem = Idempotency(ttl_seconds=86400, wait_seconds=10)
    principal = Principal(key_id="key_bench", tenant_id=tenant, scopes=frozenset(), rate_limit=None)
    body = {
        "subject": "Order 1234 has not arrived",
        "channel": "email",
        "priority": "normal",
        "tags": ["shipping"],
        "contact": {"name": "Ada", "email": "ada@example.com"},
        "initial_message": {"role": "user", "content": "Where is my order?"},
    }
    with db.read() as conn:
        open_ids = list(
            conn.execute(
                sa.text(
                    "SELECT ticket_id FROM tickets WHERE tenant_id = :t AND status = 'open' "
                    "LIMIT 500"
                ),
                {"t": tenant},
            ).scalars()
        )
    statements: collections.Counter[str] = collections.Counter()

    @sa.event.listens_for(db.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *rest):  # noqa: ANN001
        statements[statement.split()[0].upper()] += 1

    @sa.event.listens_for(db.engine, "begin")
    def _begin(conn):  # noqa: ANN001
        if not db.is_sqlite:  # SQLite's BEGIN IMMEDIATE is a statement, counted above
            statements["BEGIN"] += 1

    @sa.event.listens_for(db.engine, "commit")
    def _commit(conn):  # noqa: ANN001
        statements["COMMIT"] += 1

    def create_plain(i: int) -> None:
        tickets.create_ticket(db, principal=principal, body=body)

    def create_idem(i: int) -> None:
        # As the handler does: the record and the ticket in one transaction.
        def produce(conn: sa.Connection) -> StoredResponse:
            t = tickets.insert_ticket(conn, principal=principal, body=body)
            return StoredResponse(status=201, body=json.dumps({"ticket": t}), headers={})

        claim = Claim(
            tenant_id=tenant,
            key=uuid.uuid4().hex,
            fingerprint=fingerprint("POST", "/tickets", body),
        )
        idem.write_once(db, claim, produce)

    def add_message(i: int) -> None:
        tickets.add_message(
            db,
            principal=principal,
            ticket_id=open_ids[i % len(open_ids)],
            body={"role": "agent", "content": "On its way."},
        )

    for name, fn in (
        ("create", create_plain),
        ("create_idem", create_idem),
        ("add_message", add_message),
    ):
        for i in range(50):
            fn(i)
        statements.clear()
        t0 = time.process_time()
        for i in range(args.n):
            fn(i)
        cpu = (time.process_time() - t0) / args.n * 1e6
        per = ", ".join(f"{k} {v / args.n:.2f}" for k, v in statements.most_common())
        print(
            f"{name:12} {cpu:7.1f} us CPU/call; statements per call through SQLAlchemy: {per} "
            "(Prepared statements, storage.prepared, run on the cursor and are not counted; "
            "bench.inprocess --url counts every statement on PostgreSQL)"
        )
        prof = cProfile.Profile()
        prof.enable()
        for i in range(args.n):
            fn(i)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
        print()
    db.dispose()


if __name__ == "__main__":
    main()
