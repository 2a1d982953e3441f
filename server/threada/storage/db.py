"""Engine, connections and schema upgrades.

SQLite gets WAL, foreign keys and a bounded busy timeout; write transactions on SQLite
start with BEGIN IMMEDIATE so that concurrent writers queue on the lock instead
of failing when a read transaction tries to upgrade. PostgreSQL gets a connect
timeout, a statement (and lock) timeout and a pool-checkout timeout. Whatever
waits past one of them fails fast; `unavailable(exc)` recognises those failures,
which the web layer answers with 503 `service_unavailable`.
"""

from __future__ import annotations

import dataclasses
import math
import sqlite3
import threading
import time
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclasses.dataclass(frozen=True)
class QuickReader:
    """What a Prepared statement runs on: the dialect and a DBAPI connection."""

    dialect: sa.Dialect
    connection: t.Any


class DatabaseBusy(Exception):
    """A connection or the write lock was not had within the configured time."""


class StartupError(Exception):
    """The database cannot be served from; the message is one line for the operator."""


class Database:
    """One engine per process; `read()` and `write()` hand out connections.

    Time bounds (seconds unless named _ms): `connect_timeout` and `pool_timeout`
    (PostgreSQL: opening a connection, waiting for one from the pool),
    `statement_timeout_ms` (PostgreSQL: each statement, and each wait for a row or
    table lock), `busy_timeout_ms` (SQLite: waiting for the write lock, in this
    process and from others).
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        connect_timeout: float = 5.0,
        statement_timeout_ms: int = 5000,
        pool_timeout: float = 5.0,
        busy_timeout_ms: int = 5000,
        pool_size: int = 10,
        max_overflow: int = 0,
        pre_ping: bool = False,
        prepare_threshold: int | None = 5,
    ) -> None:
        self.url = url
        self.busy_timeout = busy_timeout_ms / 1000
        self._local = threading.local()
        self._quick: list = []  # every per-thread SQLite connection, closed by dispose()
        self._quick_lock = threading.Lock()
        self._writer = threading.RLock()
        self.is_sqlite = url.startswith("sqlite")
        # orjson reads the JSON columns (a list page decodes 26 `tags` arrays: 50 us with
        # the json module, 6 with orjson); writing stays with json, which yields str.
        kwargs: dict = {"echo": echo, "json_deserializer": orjson.loads}
        if self.is_sqlite:
            path = sa.engine.make_url(url).database
            if path and path != ":memory:":
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StartupError(
                        f"cannot create the directory of {path}: {exc.strerror}"
                    ) from None
            kwargs["connect_args"] = {
                "timeout": busy_timeout_ms / 1000,
                "check_same_thread": False,
            }
            if path and path != ":memory:":  # a file: SQLAlchemy's QueuePool
                kwargs["pool_timeout"] = pool_timeout
        else:
            # No ping on every checkout: it is a round trip per request (a third of a list
            # page's on PostgreSQL). A connection the server dropped fails its statement
            # instead; SQLAlchemy then throws away the whole pool, so after a database restart
            # one request per process fails and the rest reconnect (THREADA_DB_PRE_PING=1
            # trades the round trip for that request).
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=pre_ping)
            kwargs["pool_timeout"] = pool_timeout
            if url.startswith("postgresql"):
                kwargs["connect_args"] = {
                    # libpq takes whole seconds (and treats 1 as 2).
                    "connect_timeout": max(2, math.ceil(connect_timeout)),
                    "options": (
                        f"-c statement_timeout={statement_timeout_ms}"
                        f" -c lock_timeout={statement_timeout_ms}"
                    ),
                }
                if url.startswith("postgresql+psycopg"):
                    # psycopg prepares a statement on a connection once it has run this
                    # many times there (None: never, e.g. behind PgBouncer before 1.21).
                    kwargs["connect_args"]["prepare_threshold"] = prepare_threshold
        self.engine = sa.create_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine, busy_timeout_ms=busy_timeout_ms)

    @classmethod
    def from_settings(cls, settings: t.Any) -> Database:
        """A Database with the time bounds of `threada.config.Settings`."""
        return cls(
            settings.database_url,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            pool_timeout=settings.db_pool_timeout_seconds,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pre_ping=settings.db_pre_ping,
            prepare_threshold=None
            if settings.db_prepare_threshold < 0
            else settings.db_prepare_threshold,
        )

    @contextmanager
    def read(self, *, single_statement: bool = False) -> Iterator[sa.Connection]:
        """A read; several statements share one snapshot unless `single_statement` says
        they need not (then each statement is its own transaction: no BEGIN and ROLLBACK,
        two round trips less on PostgreSQL)."""
        with self.engine.connect() as conn:
            if single_statement:
                conn = conn.execution_options(
                    **(
                        {"sqlite_begin": None}
                        if self.is_sqlite
                        else {"isolation_level": "AUTOCOMMIT"}
                    )
                )
            yield conn
            if not self.is_sqlite and conn.in_transaction():
                # A read ends in COMMIT, not ROLLBACK (the same for a transaction that wrote
                # nothing): psycopg answers every ROLLBACK by dropping the connection's
                # prepared statements (DEALLOCATE ALL, and five more runs of each statement
                # before it is prepared again).
                conn.commit()

    @contextmanager
    def quick_read(self) -> Iterator[QuickReader]:
        """A connection for one Prepared statement (storage.prepared), without SQLAlchemy's
        Connection: checking one out and back costs about 11 us, as much as finding a key.

        SQLite: one connection per thread, kept open (autocommit; a single SELECT is its own
        snapshot). Other databases: a pool checkout in autocommit for the statement, so it
        costs one round trip (no BEGIN, no ROLLBACK when it goes back to the pool).
        """
        if self.is_sqlite:
            reader = getattr(self._local, "reader", None)
            if reader is None:
                fairy = self.engine.raw_connection()  # through the pool: the PRAGMAs apply
                reader = QuickReader(self.engine.dialect, fairy.driver_connection)
                fairy.detach()  # ... but owned by this thread from now on
                self._local.reader = reader
                with self._quick_lock:
                    self._quick.append(fairy)
            yield reader
            return
        fairy = self.engine.raw_connection()
        dbapi: t.Any = fairy.driver_connection
        try:
            dbapi.autocommit = True  # psycopg: a local flag, no round trip
            yield QuickReader(self.engine.dialect, dbapi)
        finally:
            try:
                dbapi.autocommit = False
            finally:
                fairy.close()

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A transaction, committed on success, rolled back on any exception.

        On SQLite, writers in this process take turns on a lock before BEGIN IMMEDIATE:
        SQLite has one writer at a time anyway, and its busy handler makes waiters sleep
        in growing steps (up to 100 ms), which put p99 of POSTs at 400 ms under 32
        concurrent clients. Other processes still queue on SQLite's own lock."""
        with self._write_turn():
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                try:
                    with conn.begin():
                        yield conn
                except BaseException:
                    conn.info.pop("after_commit", None)  # conn.info outlives the checkout
                    raise
                # Work that must wait for the commit (domain.webhooks.after_commit).
                for callback in conn.info.pop("after_commit", ()):
                    callback()

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        if not self.is_sqlite:
            yield
            return
        # Bounded like SQLite's own busy wait: a writer stuck behind another process's
        # lock must not hold every other writer of this process for longer.
        if not self._writer.acquire(timeout=self.busy_timeout):
            raise DatabaseBusy("the database is busy (write lock)")
        try:
            yield
        finally:
            self._writer.release()

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # A migration may rightly take longer than a request's statement.
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
                conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            cfg = alembic_config(self.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def prepare(self) -> None:
        """Upgrade the schema, then prove the database can be written, or raise
        `StartupError` with one line saying what is wrong: missing or unwritable
        directory, read-only file, not a database (corrupt), unreachable server, or a
        schema newer than this code."""
        try:
            script = ScriptDirectory.from_config(alembic_config(self.url))
            with self.engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
            known = {rev.revision for rev in script.walk_revisions()}
            if current is not None and current not in known:
                raise StartupError(
                    f"the database schema is at revision {current}, which this version of "
                    f"threada does not know (its newest is {script.get_current_head()}): the "
                    "database was upgraded by a newer threada; run that version"
                )
            self.upgrade()
            with self.engine.connect() as conn:
                if self.is_sqlite:
                    conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                with conn.begin() as tx:
                    # A write that changes nothing, rolled back: fails on a read-only file
                    # or directory (WAL needs its -wal and -shm files) or a read-only role.
                    conn.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
                    tx.rollback()
        except StartupError:
            raise
        except (sa.exc.SQLAlchemyError, OSError, sqlite3.Error) as exc:
            raise StartupError(self._describe(exc)) from None

    def _describe(self, exc: BaseException) -> str:
        where = self.engine.url.render_as_string(hide_password=True)
        text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        lower = text.lower()
        if "not a database" in lower or "malformed" in lower:
            return f"{where} is not a usable SQLite database (corrupt, or another kind of file)"
        if "readonly" in lower or "read-only" in lower:
            return f"{where} is read-only: the file and its directory must be writable"
        if "unable to open" in lower or isinstance(exc, PermissionError):
            return f"cannot open {where}: does its directory exist, and is it writable? ({text})"
        return f"cannot use {where}: {text}"

    def dispose(self) -> None:
        with self._quick_lock:
            quick, self._quick = self._quick, []
        for fairy in quick:
            fairy.close()
        self._local = threading.local()
        self.engine.dispose()


# A read on the event loop (AsyncApp with inline reads) runs under a deadline; SQLite's
# progress handler interrupts a statement that passes it, so one slow query (a filter
# that matches almost nothing makes SQLite walk a tenant's whole index) cannot stall
# every other request on the loop. The caller then reruns the read in a thread.
_deadline: ContextVar[float | None] = ContextVar("threada_read_deadline", default=None)
_PROGRESS_STEPS = 1000  # SQLite VM instructions between deadline checks (~10-20 us)


@contextmanager
def read_deadline(seconds: float) -> Iterator[None]:
    """SQLite statements run in this block are interrupted once `seconds` have passed."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def interrupted_by_deadline(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's interruption of a statement that ran past read_deadline."""
    deadline = _deadline.get()
    if deadline is None or time.monotonic() < deadline:
        return False
    orig = getattr(exc, "orig", exc)  # SQLAlchemy wraps the driver's exception
    return isinstance(orig, sqlite3.OperationalError) and "interrupt" in str(orig)


def _past_deadline() -> int:
    deadline = _deadline.get()
    return 1 if deadline is not None and time.monotonic() >= deadline else 0


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database was busy, slow or unreachable (answer 503)."""
    if isinstance(exc, DatabaseBusy | sa.exc.TimeoutError):
        return True
    if not isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig)
        return "locked" in text or "busy" in text
    # psycopg: QueryCanceled (statement_timeout), LockNotAvailable (lock_timeout), and
    # OperationalError for a refused, timed-out or broken connection.
    return type(orig).__module__.startswith("psycopg")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_setup(engine: sa.Engine, *, busy_timeout_ms: int) -> None:
    # SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, emit BEGIN.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # pragma: no cover - driver hook
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.close()
        dbapi_conn.set_progress_handler(_past_deadline, _PROGRESS_STEPS)

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - driver hook
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode is not None:  # None: autocommit, each statement its own transaction
            conn.exec_driver_sql(f"BEGIN {mode}")
