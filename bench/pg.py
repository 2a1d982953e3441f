"""PostgreSQL for the bench: a throw-away cluster it starts itself, seeded with COPY, cached.

The cluster lives in bench/work/pg/ (initdb once; PostgreSQL 15 from Debian), listens on
127.0.0.1 on a free port only, and is stopped at the end of the run. It runs with the
settings server/README.md recommends for production (`PRODUCTION`): durability stays on
(fsync, full_page_writes, synchronous_commit). Seeding alone starts it without fsync
(`SEEDING`), then stops it cleanly (a checkpoint), so the data is on disk before anything
is measured.

Each seeded database (`seed_<tickets>_r<alembic head>_v<seed version>`) is made once by
the same generator as the SQLite file (bench.seed.batches), loaded with COPY with the
secondary indexes and constraints dropped and rebuilt afterwards, then VACUUM ANALYZE
(the visibility map lets index-only scans skip the heap). A run serves a copy
(`CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY`), so its writes never reach the seed.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

from bench import harness
from bench.seed import SEED_VERSION, Seeded, batches, make_tenants, schema_revision

PG_MAJOR = "15"

# What server/README.md recommends for a production PostgreSQL serving this API (per 8 GB of
# RAM dedicated to it; the bench uses these on a shared machine as they are).
PRODUCTION = {
    "shared_buffers": "2GB",
    "effective_cache_size": "6GB",
    "work_mem": "16MB",
    "maintenance_work_mem": "512MB",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "max_connections": "200",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "on",
    # JIT compiles plans for long analytic queries; for millisecond OLTP statements it only
    # adds start-up time to the occasional statement that crosses its cost threshold.
    "jit": "off",
    # Durability: the defaults, said out loud.
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": "on",
    "track_io_timing": "on",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "top",
}
# Loading only: nothing is measured while these apply, and a clean stop checkpoints after.
SEEDING = {
    **PRODUCTION,
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "autovacuum": "off",
    "max_wal_size": "16GB",
}
SEED_TABLES = ("tickets", "ticket_tags", "messages")


def _bin(name: str) -> str:
    path = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin/{name}")
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: apt-get install postgresql-{PG_MAJOR}")
    return str(path)


def available() -> bool:
    try:
        _bin("postgres")
        return True
    except FileNotFoundError:
        return False


def _owner() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: as root, the cluster belongs to `postgres`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user for PostgreSQL")


class BenchCluster:
    """bench/work/pg/data, started on a free 127.0.0.1 port with `settings`."""

    def __init__(self, work: Path, *, log=print) -> None:
        self.dir = work.resolve() / "pg"
        self.data = self.dir / "data"
        self.log = log
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.settings: dict[str, str] = {}
        self._user = _owner()

    def _as_user(self) -> dict:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "cwd": str(self.dir)}

    def init(self) -> None:
        version = self.data / "PG_VERSION"
        if version.exists() and version.read_text().strip() == PG_MAJOR:
            return
        if self.data.exists():
            subprocess.run(["rm", "-rf", str(self.data)], check=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            os.chown(self.dir, self._user.pw_uid, self._user.pw_gid)
        self.log(f"pg: initdb {self.data}")
        subprocess.run(
            [_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
            **self._as_user(),
        )

    def start(self, settings: dict[str, str], *, cpus: str | None = None) -> BenchCluster:
        self.init()
        self.port = harness.free_port()
        self.settings = settings
        args = [_bin("postgres"), "-D", str(self.data), "-p", str(self.port)]
        args += ["-h", "127.0.0.1", "-k", str(self.dir)]
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        if cpus:
            args = ["taskset", "-c", cpus, *args]
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._as_user()
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                tail = (self.dir / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"postgres exited: {tail}")
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=1):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """A fast shutdown: clients are disconnected, a checkpoint writes everything out."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> BenchCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def dsn(self, db: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def url(self, db: str) -> str:
        """The SQLAlchemy URL the server takes (THREADA_DATABASE_URL)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{db}"

    def execute(self, sql: str, db: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(self.dsn(db), autocommit=True) as conn:
            cur = conn.execute(sql)
            return cur.fetchall() if cur.description else []

    def databases(self) -> set[str]:
        return {r[0] for r in self.execute("SELECT datname FROM pg_database")}

    def copy_database(self, source: str, target: str) -> float:
        """A fresh copy of `source` (a file copy, not WAL-logged block by block)."""
        started = time.perf_counter()
        self.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        return round(time.perf_counter() - started, 1)

    def cpu_seconds(self) -> float:
        """CPU seconds of the postmaster and every backend so far (exited backends count
        through the postmaster's reaped-children time)."""
        if not self.pid:
            return 0.0
        return process_tree_cpu(self.pid)


def process_tree_cpu(root: int) -> float:
    """utime + stime of `root` and its live children, plus what `root` reaped from children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == root:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        elif ppid == root:
            total += int(fields[11]) + int(fields[12])
    return total / tick


# --- seeding ----------------------------------------------------------------------------------


def seed_name(tickets: int) -> str:
    return f"seed_{tickets}_v{SEED_VERSION}"


def seed(cluster: BenchCluster, work: Path, tickets: int, *, log=print) -> Seeded:
    """The seeded database for `tickets` (its name is Seeded.path.name), from the cache when
    the database and its description both exist. The cluster must run with SEEDING or
    PRODUCTION settings; a load restarts it with SEEDING and back."""
    name = seed_name(tickets)
    meta_path = cluster.dir.parent / f"pg-{name}.json"
    head = schema_revision()
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if meta and name in cluster.databases() and meta.get("revision") != head:
        # A newer schema: migrate the cached seed as a production database would be.
        try:
            _upgrade(cluster, name, log=log)
            meta["revision"] = head
            meta_path.write_text(json.dumps(meta, indent=2))
        except Exception as exc:  # noqa: BLE001 - any failure means: seed again
            log(f"pg seed: upgrading {name} failed ({exc}); seeding again")
            meta = None
    if meta and name in cluster.databases():
        log(f"pg seed: using cached database {name} ({tickets:,} tickets, schema {head})")
        return Seeded(
            path=Path(name),
            tickets=meta["tickets"],
            tenants=meta["tenants"],
            sample_ticket_ids=meta["sample_ticket_ids"],
            seconds=0.0,
            cached=True,
        )
    # Seeds of an older schema or seed version for this count are dead weight.
    for stale in cluster.databases():
        if stale.startswith(f"seed_{tickets}_") and stale != name:
            cluster.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')
    for old in work.glob(f"pg-seed_{tickets}_*.json"):
        old.unlink()
    settings = cluster.settings
    cluster.stop()
    cluster.start(SEEDING)
    started = time.perf_counter()
    try:
        seeded = _load(cluster, name, tickets, log=log)
    finally:
        cluster.stop()  # a clean stop: everything loaded is checkpointed to disk
        cluster.start(settings or PRODUCTION)
    seeded.seconds = round(time.perf_counter() - started, 1)
    meta_path.write_text(json.dumps({**seeded.to_json(), "revision": head}, indent=2))
    log(f"pg seed: {tickets:,} tickets in {seeded.seconds:.0f} s -> database {name}")
    return seeded


def _upgrade(cluster: BenchCluster, name: str, *, log) -> None:
    from threada.storage.db import Database

    log(f"pg seed: migrating {name} to {schema_revision()}")
    db = Database(cluster.url(name))
    try:
        db.upgrade()
    finally:
        db.dispose()
    cluster.execute("VACUUM ANALYZE", name)


def _load(cluster: BenchCluster, name: str, total: int, *, log) -> Seeded:
    import psycopg
    from threada.storage.db import Database

    cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    cluster.execute(f'CREATE DATABASE "{name}"')
    db = Database(cluster.url(name))
    db.upgrade()
    tenants = make_tenants(db, total)
    db.dispose()
    samples: list[str] = []
    with psycopg.connect(cluster.dsn(name)) as conn:
        # Constraints and indexes of the loaded tables go, and come back after the load: one
        # sorted build per index instead of 10 million random insertions.
        ddl = conn.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, pg_get_constraintdef(c.oid), c.contype
            FROM pg_constraint c
            WHERE c.contype IN ('p', 'u', 'f')
              AND (c.conrelid::regclass::text = ANY(%(t)s)
                   OR c.confrelid::regclass::text = ANY(%(t)s))
            """,
            {"t": list(SEED_TABLES)},
        ).fetchall()
        indexes = conn.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%(t)s) AND i.schemaname = 'public'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            {"t": list(SEED_TABLES)},
        ).fetchall()
        # Foreign keys first (they depend on the keys they reference), then keys, then indexes.
        order = {"f": 0, "u": 1, "p": 2}
        for conname, table, _definition, _kind in sorted(ddl, key=lambda r: order[r[3]]):
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{conname}"')
        for index, _definition in indexes:
            conn.execute(f'DROP INDEX "{index}"')
        columns = {
            table: [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
            ]
            for table in SEED_TABLES
        }
        with conn.cursor() as cur:
            for tk, tg, ms in batches(tenants, total, samples=samples, log=log):
                for table, rows in (("tickets", tk), ("ticket_tags", tg), ("messages", ms)):
                    if not rows:
                        continue
                    cols = columns[table]
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(
                                [json.dumps(row[c]) if c == "tags" else row.get(c) for c in cols]
                            )
        log("pg seed: building indexes and constraints")
        conn.execute("SET maintenance_work_mem = '1GB'")
        for _index, definition in indexes:
            conn.execute(definition)
        for conname, table, definition, _kind in sorted(ddl, key=lambda r: -order[r[3]]):
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{conname}" {definition}')
        conn.commit()
        conn.autocommit = True
        log("pg seed: VACUUM ANALYZE")
        conn.execute("VACUUM (ANALYZE, FREEZE)")
    return Seeded(
        path=Path(name),
        tickets=total,
        tenants=tenants,
        sample_ticket_ids=samples,
        seconds=0.0,
        cached=False,
    )
