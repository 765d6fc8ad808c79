"""The hot path's statements, run on the driver's own cursor.

`Connection.execute` costs SQLAlchemy about 70 µs of Python a statement (cache
lookup, parameter processing, result set-up, events), several times what
SQLite itself needs to update a row (bench W1's profile). A transition runs
five or six statements, so on the hot path that overhead was most of the time.

Here SQLAlchemy still does what it is good at, once per statement and dialect:
it compiles the SQL and supplies the bind and result processors of each
column's type, so values convert exactly as they do through Core (the UTC
datetimes, JSON, dates). Each call then only converts the values and runs the
compiled SQL on the DBAPI cursor, inside the transaction the store began on
that connection (storage/sql/link.py). A driver error is re-raised wrapped as
SQLAlchemy's own (`IntegrityError`, `OperationalError`, ...), so callers
handle one kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import Select
from sqlmodel.sql.sqltypes import UTCDateTime

Statement = Select[Any] | UpdateBase
Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect, with its value converters."""

    __slots__ = (
        "_names",
        "_own",
        "_pick",
        "_process",
        "_process_named",
        "_process_results",
        "names",
        "positional",
        "results",
        "sql",
        "stmt",
    )

    def __init__(
        self, stmt: Statement, dialect: Dialect, keys: Sequence[str] | None = None
    ) -> None:
        compiled = stmt.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        self.stmt = stmt
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        order = compiled.positiontup if self.positional else list(compiled.binds)
        assert order is not None
        binds = [compiled.binds[name] for name in order]
        self._names = tuple(order)
        self._pick = itemgetter(*order) if order else (lambda _values: ())
        # The values the statement carries itself (the 1 in `last + 1`).
        self._own = {
            name: b.effective_value
            for name, b in zip(order, binds, strict=True)
            if not b.required
        }
        processors = [_bind_processor(b, dialect) for b in binds]
        self._process = [(i, p) for i, p in enumerate(processors) if p is not None]
        returned = list(stmt.exported_columns)
        self.names = tuple(str(c.key) for c in returned)
        self.results: tuple[Processor, ...] = tuple(
            _result_processor(c, dialect) for c in returned
        )
        self._process_results = [
            (i, p) for i, p in enumerate(self.results) if p is not None
        ]
        self._process_named = [(self.names[i], p) for i, p in self._process_results]

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """`values` converted for the driver, in the order the SQL names them.

        Raises:
            KeyError: a parameter the statement needs is missing.
        """
        if self._own:
            values = {**self._own, **values}
        picked = self._pick(values)
        converted = list(picked) if len(self._names) != 1 else [picked]
        for i, process in self._process:
            converted[i] = process(converted[i])
        if self.positional:
            return converted
        return dict(zip(self._names, converted, strict=True))

    def converted(self, raws: list[Any]) -> list[tuple[Any, ...]]:
        """Returned rows as tuples in the statement's column order, converted."""
        process = self._process_results
        if not process:
            return [tuple(raw) for raw in raws]
        out = []
        for raw in raws:
            values = list(raw)
            for i, p in process:
                values[i] = p(values[i])
            out.append(tuple(values))
        return out

    def row(self, raw: Sequence[Any]) -> dict[str, Any]:
        """A returned row as {column: value}, each value converted back."""
        out = dict(zip(self.names, raw, strict=True))
        for name, process in self._process_named:
            out[name] = process(out[name])
        return out


def _bind_processor(bind: BindParameter[Any], dialect: Dialect) -> Processor:
    if dialect.name == "sqlite" and isinstance(bind.type, UTCDateTime):
        return sqlite_utc_text
    return bind.type.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(column: Any, dialect: Dialect) -> Processor:
    if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
        return sqlite_utc_value
    return cast(
        Processor, column.type.dialect_impl(dialect).result_processor(dialect, None)
    )


# SQLModel's UTCDateTime on SQLite is two layers of Python a value (the type's
# conversion to UTC, then SQLite's DATETIME formatting it as text, and back);
# on the hot path's half a dozen instants a transition that was 4 % of the time.
# These do both steps in one, giving the same text and the same value
# (tests/storage/test_driver.py checks them against SQLAlchemy's own).
def sqlite_utc_text(value: datetime | None) -> str | None:
    """An aware instant as SQLite stores it: UTC, `YYYY-MM-DD HH:MM:SS.ffffff`."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # most instants are UTC already
        if value.utcoffset() is None:
            raise ValueError("Datetime values must have timezone information.")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_utc_value(text: str | None) -> datetime | None:
    """The stored text back as an aware UTC instant."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_CACHE: dict[tuple[int, str, str, tuple[str, ...] | None], Prepared] = {}


def prepared(
    stmt: Statement, dialect: Dialect, keys: Sequence[str] | None = None
) -> Prepared:
    """`stmt` compiled for `dialect`, once per process.

    The hot path's statements are module-level and live as long as the process;
    the cache keeps each one it compiled, so its id cannot be reused by another.
    """
    cache_key = (
        id(stmt),
        dialect.name,
        dialect.driver,
        tuple(keys) if keys is not None else None,
    )
    found = _CACHE.get(cache_key)
    if found is None:
        found = _CACHE[cache_key] = Prepared(stmt, dialect, keys)
    assert found.stmt is stmt
    return found


class Driver:
    """Runs prepared statements on one pooled DBAPI connection, on one cursor.

    The cursor is opened at the first statement and reused by the next ones:
    every statement's rows are fetched (or counted) before the next runs.
    """

    __slots__ = ("_cursor", "_error", "dialect", "fairy")

    def __init__(self, fairy: PoolProxiedConnection, dialect: Dialect) -> None:
        self.fairy = fairy
        self.dialect = dialect
        self._error: type[Exception] = dialect.loaded_dbapi.Error
        self._cursor: Any = None

    @classmethod
    def over(cls, conn: Connection) -> Driver:
        """The driver of a Core `Connection`'s DBAPI connection."""
        return cls(conn.connection, conn.dialect)

    def rows(
        self,
        stmt: Statement,
        values: Mapping[str, Any],
        keys: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Run `stmt` once with `values`; its returned rows, converted."""
        prep = prepared(stmt, self.dialect, keys)
        cursor = self._run(prep, prep.parameters(values))
        if not prep.names:
            return []
        return [prep.row(raw) for raw in cursor.fetchall()]

    def tuples(
        self, stmt: Statement, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Run `stmt` once with `values`; its rows as converted tuples.

        For long listings: no dict per row, the columns in the statement's order.
        """
        prep = prepared(stmt, self.dialect)
        return prep.converted(self._run(prep, prep.parameters(values)).fetchall())

    def count(
        self,
        stmt: Statement,
        values: Mapping[str, Any],
        keys: Sequence[str] | None = None,
    ) -> int:
        """Run `stmt` once with `values`; the number of rows it changed."""
        prep = prepared(stmt, self.dialect, keys)
        return int(self._run(prep, prep.parameters(values)).rowcount)

    def many(
        self,
        stmt: Statement,
        values: Iterable[Mapping[str, Any]],
        keys: Sequence[str] | None = None,
    ) -> int:
        """Run `stmt` for every set of values, as one executemany.

        Returns the rows changed in all, as the driver counts them (sqlite3 and
        psycopg 3 both sum the statements' counts).
        """
        prep = prepared(stmt, self.dialect, keys)
        batch = [prep.parameters(v) for v in values]
        if not batch:
            return 0
        try:
            cursor = self._open()
            cursor.executemany(prep.sql, batch)
        except self._error as exc:
            raise self._wrapped(prep, batch, exc) from exc
        return int(cursor.rowcount)

    def _open(self) -> Any:
        cursor = self._cursor
        if cursor is None:
            cursor = self._cursor = self.fairy.driver_connection.cursor()  # type: ignore[union-attr]
        return cursor

    def _run(self, prep: Prepared, params: Any) -> Any:
        try:
            cursor = self._open()
            cursor.execute(prep.sql, params)
        except self._error as exc:
            raise self._wrapped(prep, params, exc) from exc
        return cursor

    def _wrapped(self, prep: Prepared, params: Any, exc: Exception) -> BaseException:
        """SQLAlchemy's error for `exc`; a lost connection leaves the pool.

        As `Connection.execute` would: a connection the server dropped is
        invalidated, so the pool hands out a fresh one next time.
        """
        dbapi_error: Any = exc  # the driver's own Error class, typed loosely
        lost = self.dialect.is_disconnect(
            dbapi_error, self.fairy.dbapi_connection, None
        )
        if lost:
            self.fairy.invalidate(exc)
        return DBAPIError.instance(
            prep.sql,
            params,
            exc,
            self._error,
            dialect=self.dialect,
            connection_invalidated=lost,
        )
