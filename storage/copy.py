"""Copy a whole sagsflow database to another (SQLite to PostgreSQL, say).

Every table is copied row for row with its ids, in foreign-key order, from one
consistent read of the source into one transaction on the target: a copy that
fails leaves the target as empty as it was. The target must hold the current
schema and no data (an empty database is migrated first). Afterwards each table
is compared by a digest of its rows in key order, so what arrived is what was
there; the caller then re-verifies the audit chain on the target.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import Connection, Engine, Table, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from engine.exceptions import InvalidInputError, StorageError
from storage.database import (
    WRITE_OPTION,
    check_schema,
    current_revision,
    error_reason,
    upgrade_schema,
)
from storage.tables import metadata

BATCH = 5000

Progress = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class TableCopy:
    name: str
    rows: int
    digest: str


def copy_database(
    source: Engine,
    target: Engine,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> list[TableCopy]:
    """Copy everything from `source` to the empty `target`; one entry per table.

    Raises:
        SchemaError: the source is not at this sagsflow's schema, or the target
            holds another schema.
        InvalidInputError: the target already holds data, or is the source.
        StorageError: a database cannot be reached, or a row is refused.
    """
    if _same_database(source, target):
        raise InvalidInputError("--from and --to name the same database")
    check_schema(source)
    _prepare_target(target)
    tables = list(metadata.sorted_tables)
    with _reading(source) as src:  # one snapshot for the copy and the check
        try:
            with target.begin() as dst:
                for table in tables:
                    _copy_table(src, dst, table, progress, batch)
                if dst.dialect.name == "postgresql":
                    _advance_sequences(dst, tables)
        except SQLAlchemyError as exc:
            raise StorageError(
                f"the copy failed and was undone: {error_reason(exc)}"
            ) from exc
        return _compare(src, target)


def _compare(src: Connection, target: Engine) -> list[TableCopy]:
    """Each table's row count and digest on the target, checked against the source.

    Raises:
        StorageError: a table differs (named, with both counts).
    """
    copies = []
    try:
        with _reading(target) as dst:
            for table in metadata.sorted_tables:
                before = _digest(src, table)
                after = _digest(dst, table)
                if before != after:
                    raise StorageError(
                        f"table {table.name} differs after the copy: "
                        f"{before[0]} rows in the source, {after[0]} in the target"
                    )
                copies.append(TableCopy(table.name, after[0], after[1]))
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot compare the databases: {error_reason(exc)}"
        ) from exc
    return copies


def _same_database(a: Engine, b: Engine) -> bool:
    return _identity(a) == _identity(b)


def _identity(engine: Engine) -> str:
    """The file behind a SQLite engine (however opened), else the server URL."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        path = url.database.removeprefix("file:").split("?")[0]
        return str(Path(unquote(path)).resolve())
    return url.set(password=None).render_as_string(hide_password=False)


def _prepare_target(target: Engine) -> None:
    revision = current_revision(target)
    if revision is None:
        upgrade_schema(target)
    else:
        check_schema(target)  # another version's schema is refused here
    try:
        with _reading(target) as conn:
            for table in metadata.sorted_tables:
                if conn.execute(select(func.count()).select_from(table)).scalar():
                    raise InvalidInputError(
                        f"the target database already holds data (table "
                        f"{table.name}): sagsflow copies only into an empty one"
                    )
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the target: {error_reason(exc)}") from exc


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """One consistent read of a whole database (a snapshot on both kinds)."""
    options: dict[str, Any] = {WRITE_OPTION: False}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    try:
        conn = engine.connect().execution_options(**options)
    except SQLAlchemyError as exc:
        raise StorageError(
            f"cannot open {_where(engine)}: {error_reason(exc)}"
        ) from exc
    try:
        conn.begin()
        yield conn
    finally:
        conn.rollback()  # nothing was written; end the snapshot
        conn.close()


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _ordered(table: Table) -> Any:
    return select(table).order_by(*table.primary_key.columns)


def _rows(conn: Connection, table: Table, batch: int) -> Iterator[list[dict[str, Any]]]:
    result = conn.execution_options(yield_per=batch).execute(_ordered(table))
    for chunk in result.mappings().partitions(batch):
        yield [dict(row) for row in chunk]


def _copy_table(
    src: Connection,
    dst: Connection,
    table: Table,
    progress: Progress | None,
    batch: int,
) -> None:
    for rows in _rows(src, table, batch):
        dst.execute(insert(table), rows)
        if progress is not None:
            progress(table.name, len(rows))


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Start each id sequence after the copied ids (inserts gave explicit ids)."""
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"COALESCE((SELECT max({column.name}) FROM {table.name}), 0) + 1, "
                "false)"
            ),
            {"table": table.name, "column": column.name},
        )


def _digest(conn: Connection, table: Table) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for rows in _rows(conn, table, BATCH):
        for row in rows:
            digest.update(json.dumps(row, sort_keys=True, default=_plain).encode())
            digest.update(b"\n")
            count += 1
    return count, digest.hexdigest()


def _plain(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):  # documents' content
        return bytes(value).hex()
    raise TypeError(f"cannot compare a {type(value).__name__}")
