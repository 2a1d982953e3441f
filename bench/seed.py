"""Seed a benchmark database through the storage layer's own tables.

Rows go in with SQLAlchemy Core executemany in large batches, inside one
transaction, with the secondary indexes dropped during the load and rebuilt
at the end (building an index once over sorted data is far cheaper than
updating it per row). The schema itself comes from the server's Alembic
migrations, so the bench always measures the schema the server ships.

The result is cached under bench/work/ keyed by ticket count, Alembic head
revision and this file's SEED_VERSION; a rerun with the same key skips seeding.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

# Bump when the generated data changes shape, so cached databases are rebuilt.
SEED_VERSION = 1

# Tenant A holds most tickets so that page 10,000 of its open tickets exists
# at the default million (700,000 tickets, about 350,000 open: 14,000 pages of 25).
TENANT_SHARE = 0.7
STATUSES = [("open", 50), ("pending", 20), ("on_hold", 5), ("solved", 15), ("closed", 10)]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 20), ("urgent", 5)]
CHANNELS = [
    ("email", 35),
    ("chat", 20),
    ("web", 15),
    ("whatsapp", 10),
    ("sms", 5),
    ("voice", 5),
    ("messenger", 4),
    ("instagram", 3),
    ("telegram", 2),
    ("api", 1),
]
TAGS = ["vip", "billing", "returns", "shipping", "bug", "feedback", "refund", "onboarding"]
YEAR_MS = 365 * 24 * 3600 * 1000
BATCH = 20_000

_B32_TO_CROCKFORD = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)


@dataclass
class Seeded:
    """What the scenarios need from a seeded database."""

    path: Path
    tickets: int
    tenants: list[dict]  # tenant_id, name, key (secret), count
    sample_ticket_ids: list[str]  # tenant A tickets, for the get / add-message scenarios
    seconds: float  # time spent seeding (0 when the cache was used)
    cached: bool

    def to_json(self) -> dict:
        return {
            "path": str(self.path),
            "tickets": self.tickets,
            "tenants": self.tenants,
            "sample_ticket_ids": self.sample_ticket_ids,
            "seconds": self.seconds,
        }


def ulid_like(prefix: str, ms: int, rng: random.Random) -> str:
    """`prefix_` + 26 Crockford base32 characters: 48-bit time, 80 random bits (as threada.ids)."""
    value = (ms << 80) | rng.getrandbits(80)
    # 130 bits of base32 from the top: pad 6 zero bits to whole bytes and keep 26 characters.
    raw = (value << 6).to_bytes(17, "big")
    return f"{prefix}_{base64.b32encode(raw)[:26].decode().translate(_B32_TO_CROCKFORD)}"


def _weighted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def schema_revision() -> str:
    from alembic.script import ScriptDirectory
    from threada.storage.db import MIGRATIONS, alembic_config

    cfg = alembic_config("sqlite://")
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    return "+".join(sorted(heads))


def cache_paths(work: Path, tickets: int) -> tuple[Path, Path]:
    key = f"seed-{tickets}-rev{schema_revision()}-v{SEED_VERSION}"
    return work / f"{key}.db", work / f"{key}.json"


def seed(work: Path, tickets: int, *, log=print) -> Seeded:
    """A seeded SQLite database for `tickets` tickets, from the cache when present."""
    work.mkdir(parents=True, exist_ok=True)
    db_path, meta_path = cache_paths(work, tickets)
    if db_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        log(f"seed: using cached {db_path.name} ({tickets:,} tickets)")
        return Seeded(
            path=db_path,
            tickets=meta["tickets"],
            tenants=meta["tenants"],
            sample_ticket_ids=meta["sample_ticket_ids"],
            seconds=0.0,
            cached=True,
        )
    # A seed of the same version for an older schema: migrate it, as a production database
    # would be, instead of seeding again.
    for older in sorted(work.glob(f"seed-{tickets}-rev*-v{SEED_VERSION}.db")):
        older_meta = older.with_suffix(".json")
        if older == db_path or not older_meta.exists():
            continue
        try:
            _upgrade(older, log=log)
        except Exception as exc:  # noqa: BLE001 - any failure means: seed again
            log(f"seed: migrating {older.name} failed ({exc}); seeding again")
            break
        shutil.move(older, db_path)
        shutil.move(older_meta, meta_path)
        return seed(work, tickets, log=log)
    # Databases seeded for an older schema or seed version are dead weight (about 1.3 GB each).
    for stale in work.glob(f"seed-{tickets}-*"):
        if stale.name.split(".")[0] != db_path.stem:
            stale.unlink()
    tmp = db_path.with_suffix(".partial")
    for p in work.glob(tmp.name + "*"):
        p.unlink()
    started = time.perf_counter()
    seeded = _seed_into(tmp, tickets, log=log)
    seeded.seconds = round(time.perf_counter() - started, 1)
    shutil.move(tmp, db_path)
    seeded.path = db_path
    meta_path.write_text(json.dumps(seeded.to_json(), indent=2))
    log(f"seed: {tickets:,} tickets in {seeded.seconds:.0f} s -> {db_path.name}")
    return seeded


def _upgrade(path: Path, *, log) -> None:
    from threada.storage.db import Database

    log(f"seed: migrating {path.name} to {schema_revision()}")
    db = Database(f"sqlite:///{path.as_posix()}")
    try:
        db.upgrade()
        with db.write() as conn:
            conn.exec_driver_sql("ANALYZE")
    finally:
        db.dispose()


def _seed_into(path: Path, total: int, *, log) -> Seeded:
    import sqlalchemy as sa
    from threada.storage import tables as t
    from threada.storage.db import Database

    url = f"sqlite:///{path.as_posix()}"
    db = Database(url)
    db.upgrade()

    tenants = make_tenants(db, total)
    db.dispose()

    engine = sa.create_engine(url)
    samples: list[str] = []

    with engine.connect() as conn:
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "cache_size=-1000000",
            "temp_store=MEMORY",
            "foreign_keys=OFF",
        ):
            conn.exec_driver_sql(f"PRAGMA {pragma}")
        conn.commit()
        with conn.begin():
            # The migrations' own indexes, dropped for the load and rebuilt as they were.
            indexes = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('tickets', 'ticket_tags', 'messages')"
            ).all()
            for name, _sql in indexes:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
            for tk, tg, ms in batches(tenants, total, samples=samples, log=log):
                conn.execute(t.tickets.insert(), tk)
                if tg:
                    conn.execute(t.ticket_tags.insert(), tg)
                conn.execute(t.messages.insert(), ms)
            log("seed: building indexes")
            for _name, sql in indexes:
                conn.exec_driver_sql(sql)
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    engine.dispose()
    # Leave the file in the server's normal WAL mode.
    with sa.create_engine(url).connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.commit()
    return Seeded(
        path=path,
        tickets=total,
        tenants=tenants,
        sample_ticket_ids=samples,
        seconds=0.0,
        cached=False,
    )


def make_tenants(db, total: int) -> list[dict]:
    """Two tenants and their keys, through the server's own admin functions; rate limits out
    of the way (the accounting still runs on every request, only the 429s are avoided)."""
    from threada.domain import auth

    tenants = []
    counts = [round(total * TENANT_SHARE), total - round(total * TENANT_SHARE)]
    for name, count in zip(["bench-a", "bench-b"], counts, strict=True):
        row = auth.create_tenant(db, name=name)
        auth.set_rate_limit(db, tenant=row["tenant_id"], per_minute=1_000_000_000)
        _key, secret = auth.create_key(
            db, tenant=row["tenant_id"], name="bench", scopes=list(auth.SCOPES)
        )
        tenants.append({"tenant_id": row["tenant_id"], "name": name, "key": secret, "count": count})
    return tenants


def batches(tenants: list[dict], total: int, *, samples: list[str], log):
    """(tickets, tags, messages) row batches for every tenant, the same for every database
    (one seeded generator); the first 1,000 ticket ids of tenant A go to `samples`."""
    rng = random.Random(20261125)
    statuses, status_w = _weighted(STATUSES)
    priorities, priority_w = _weighted(PRIORITIES)
    channels, channel_w = _weighted(CHANNELS)
    now = int(time.time() * 1000)
    done = 0
    for tenant in tenants:
        left = tenant["count"]
        while left > 0:
            n = min(BATCH, left)
            left -= n
            tk, tg, ms = _batch(
                n,
                tenant["tenant_id"],
                now,
                rng,
                (statuses, status_w),
                (priorities, priority_w),
                (channels, channel_w),
            )
            if tenant is tenants[0] and len(samples) < 1000:
                samples.extend(r["ticket_id"] for r in tk[: 1000 - len(samples)])
            yield tk, tg, ms
            done += n
            if done % 200_000 < BATCH:
                log(f"seed: {done:,}/{total:,} tickets")


def _batch(n, tenant_id, now, rng, statuses, priorities, channels):
    st = rng.choices(statuses[0], statuses[1], k=n)
    pr = rng.choices(priorities[0], priorities[1], k=n)
    ch = rng.choices(channels[0], channels[1], k=n)
    tickets, tags, messages = [], [], []
    for i in range(n):
        created = now - rng.randrange(YEAR_MS)
        ticket_id = ulid_like("tkt", created, rng)
        nmsg = rng.randint(1, 3)
        times = sorted(created + rng.randrange(0, 3 * 24 * 3600 * 1000) for _ in range(nmsg - 1))
        times.insert(0, created)
        last = min(times[-1], now)
        ticket_tags = rng.sample(TAGS, k=rng.choice((0, 0, 1, 1, 2)))
        tickets.append(
            {
                "ticket_id": ticket_id,
                "tenant_id": tenant_id,
                "subject": f"Order {rng.randrange(10_000, 99_999)}: question about my delivery",
                "status": st[i],
                "priority": pr[i],
                "channel": ch[i],
                "tags": ticket_tags,
                "contact_name": "Ada Lovelace",
                "contact_email": f"customer{rng.randrange(1_000_000)}@example.com",
                "contact_phone": None,
                "created_at": created,
                "updated_at": last,
                "last_message_at": last,
            }
        )
        for tag in ticket_tags:
            tags.append({"ticket_id": ticket_id, "tag": tag, "tenant_id": tenant_id})
        for j, at in enumerate(times):
            at = min(at, now)
            messages.append(
                {
                    "message_id": ulid_like("msg", at, rng),
                    "ticket_id": ticket_id,
                    "tenant_id": tenant_id,
                    "role": "user" if j % 2 == 0 else "agent",
                    "content": "Hello, my parcel has not arrived yet. Could you check on it?"
                    if j % 2 == 0
                    else "Thanks for reaching out, I am looking into it now.",
                    "channel": ch[i],
                    "external_message_id": None,
                    "created_at": at,
                }
            )
    return tickets, tags, messages


if __name__ == "__main__":
    import argparse
    import os

    ap = argparse.ArgumentParser(description="Seed (or find cached) a benchmark database.")
    ap.add_argument(
        "--tickets", type=int, default=int(os.environ.get("BENCH_TICKETS") or 1_000_000)
    )
    done = seed(Path(__file__).resolve().parent / "work", ap.parse_args().tickets)
    print(done.path)
