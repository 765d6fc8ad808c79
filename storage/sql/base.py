"""What every part of a SQL transaction shares: its connection and dialect.

`SqlTransaction` (storage/sql/store.py) is composed of one class of rows per
role of the engine's port (cases, the record, people, chasing, the outbox, the
HTTP API's rows); each inherits `Rows`, and the transaction sets its fields.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.sql.driver import Driver
from storage.sql.link import Link

STREAM_BATCH = 1000  # rows a streamed read holds at a time


class Rows:
    link: Link  # the transaction's connection (storage/sql/link.py)
    writable: bool
    postgres: bool
    dialect: str  # "postgresql" or "sqlite": the key of dialect-specific statements
    driver: Driver  # the hot path's statements (storage/sql/driver.py)

    @property
    def conn(self) -> Connection:
        """Core's connection, for the statements off the hot path."""
        return self.link.core

    def _writing(self) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot write")

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, with its ON CONFLICT clauses."""
        return (pg_insert if self.postgres else sqlite_insert)(table)
