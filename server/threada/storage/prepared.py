"""Hot statements: a Core statement compiled once per dialect and run on the DBAPI cursor.

`Connection.execute` costs about 45 us per statement here (execution context,
result object, expanding-IN rendering), more than SQLite takes to find a key by
its hash or to read a 26-row page (5 and 37 us, timed on the sqlite3 cursor against
the 1,000,000-ticket bench seed).
For the few statements on every request's path, `Prepared` keeps SQLAlchemy as
the one place the SQL is written (the same Core statement, compiled by the
same dialect compiler, with the same bind and result type processors) and
skips only the per-call machinery.

It runs on a DBAPI connection (`Database.quick_read()`, or the one under a
SQLAlchemy `Connection`), outside SQLAlchemy's transaction bookkeeping: use it
for a read that is one statement, or inside a transaction the caller has begun
(the write path's INSERTs and UPDATEs run this way, in `Database.write()`).
Statements with expanding IN parameters are not supported (use one bound
parameter per value), nor are Python-side column defaults (SQLAlchemy applies those
in the execution context this skips; the tables here have none): an INSERT names its
columns (`insert().values(...)` with one bindparam each), so that a column left out is
left to the database, as SQLAlchemy's own execution would. The driver's errors are
wrapped as SQLAlchemy wraps them (`sqlalchemy.exc.IntegrityError`, `OperationalError`,
...), so callers and `storage.db.unavailable` see the same exceptions either way.
"""

from __future__ import annotations

import threading
import typing as t

import sqlalchemy as sa

Row = dict[str, t.Any]
Statement = sa.Select | sa.Insert | sa.Update | sa.Delete


class _Compiled:
    __slots__ = ("sql", "positional", "names", "defaults", "bind", "keys", "convert")

    def __init__(self, stmt: Statement, dialect: sa.Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise ValueError("Prepared does not take expanding IN parameters")
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or compiled.binds)
        # Values bound into the statement itself (an OFFSET 0, a literal compared to).
        self.defaults = {
            name: bp.value
            for name, bp in compiled.binds.items()
            if bp.value is not None or not bp.required
        }
        self.bind = {}
        for name, bp in compiled.binds.items():
            proc = bp.type.dialect_impl(dialect).bind_processor(dialect)
            if proc is not None:
                self.bind[name] = proc
        columns = (
            list(stmt.selected_columns)
            if isinstance(stmt, sa.Select)
            else list(compiled.effective_returning or ())
        )
        self.keys = tuple(str(c.key) for c in columns)
        # (key, processor) for the columns whose values the dialect converts (JSON on SQLite).
        self.convert: list[tuple[str, t.Callable]] = []
        for column in columns:
            proc = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if proc is not None:
                self.convert.append((str(column.key), proc))

    def params(self, values: t.Mapping[str, t.Any]) -> t.Any:
        merged = {**self.defaults, **values}
        for name, proc in self.bind.items():
            if name in merged:
                merged[name] = proc(merged[name])
        if self.positional:
            return tuple(merged[n] for n in self.names)
        return merged

    def rows(self, raw: list[tuple]) -> list[Row]:
        keys = self.keys
        out = [dict(zip(keys, r)) for r in raw]  # noqa: B905 - the cursor's rows fit the keys
        for key, proc in self.convert:
            for row in out:
                row[key] = proc(row[key])
        return out


class Runner(t.Protocol):
    """A SQLAlchemy Connection, or a storage.db.QuickReader."""

    @property
    def dialect(self) -> sa.Dialect: ...

    @property
    def connection(self) -> t.Any: ...


class Prepared:
    """A statement that runs without SQLAlchemy's per-call work; compiled lazily per dialect."""

    def __init__(self, stmt: Statement) -> None:
        self.stmt = stmt
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: sa.Dialect) -> _Compiled:
        name = dialect.name + "+" + (dialect.driver or "")
        compiled = self._by_dialect.get(name)
        if compiled is None:
            with self._lock:
                compiled = self._by_dialect.get(name)
                if compiled is None:
                    compiled = self._by_dialect[name] = _Compiled(self.stmt, dialect)
        return compiled

    def all(self, conn: Runner, params: t.Mapping[str, t.Any]) -> list[Row]:
        compiled, raw = self._run(conn, params, lambda cursor: cursor.fetchall())
        return compiled.rows(raw)

    def first(self, conn: Runner, params: t.Mapping[str, t.Any]) -> Row | None:
        compiled, raw = self._run(conn, params, lambda cursor: cursor.fetchone())
        return compiled.rows([raw])[0] if raw is not None else None

    def run(self, conn: Runner, params: t.Mapping[str, t.Any]) -> None:
        """Execute (an INSERT, UPDATE or DELETE); nothing is fetched."""
        self._run(conn, params, lambda cursor: None)

    def run_many(self, conn: Runner, rows: t.Sequence[t.Mapping[str, t.Any]]) -> None:
        """executemany: the statement once per row (the rows of a multi-row INSERT)."""
        compiled = self._compiled(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(compiled.sql, [compiled.params(r) for r in rows])
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(compiled, rows, exc, conn.dialect) from exc
        finally:
            cursor.close()

    def _run(
        self, conn: Runner, params: t.Mapping[str, t.Any], fetch: t.Callable[[t.Any], t.Any]
    ) -> tuple[_Compiled, t.Any]:
        compiled = self._compiled(conn.dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.params(params))
            return compiled, fetch(cursor)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(compiled, params, exc, conn.dialect) from exc
        finally:
            cursor.close()


def _wrapped(compiled: _Compiled, params: t.Any, exc: Exception, dialect: sa.Dialect) -> Exception:
    """The driver's error as SQLAlchemy's Connection.execute would raise it."""
    return sa.exc.DBAPIError.instance(
        compiled.sql,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=True,
        dialect=dialect,
    )
