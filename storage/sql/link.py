"""One transaction's connection: a pooled DBAPI connection, Core over it on demand.

A transition runs its statements on the driver's cursor (storage/sql/driver.py).
What Core adds around each transaction (a `Connection`, its `Transaction`,
execution options, the begin and commit events, the checkin) measured a tenth
of a transition on SQLite (bench W1). So on SQLite the store checks a DBAPI
connection out of the pool, issues its own `BEGIN IMMEDIATE` (a write) or
`BEGIN` (a read) and commits or rolls back on it; a Core `Connection` is made
over the same DBAPI connection only when a statement off the hot path needs
one. Core's transaction then joins the one already open: the `begin` listener
(storage/database.py) sees the connection marked as the store's (`LINKED`)
and issues no BEGIN, and the commit goes through Core so its bookkeeping ends
with ours. A connection goes back to the pool out of any transaction: SQLite
keeps a transaction open when its COMMIT fails (a deferred constraint, a full
disk), and neither Core nor the pool's reset would roll that one back.

On PostgreSQL the store keeps Core's transaction (a read's REPEATABLE READ is
set through it): `Link.over` wraps that `Connection`.

Every driver error here is raised as SQLAlchemy's own (`OperationalError`,
...), as the driver's statements are, so the store translates one kind.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection

from storage.database import LINKED
from storage.sql.driver import Driver


class Link:
    """A transaction's DBAPI connection, its driver, and Core on demand."""

    __slots__ = ("_core", "_owned", "driver", "engine", "fairy")

    def __init__(
        self,
        engine: Engine,
        fairy: PoolProxiedConnection,
        core: Connection | None = None,
    ) -> None:
        self.engine = engine
        self.fairy = fairy
        self._core = core
        self._owned = core is None  # the store began it on the driver
        self.driver = Driver(fairy, engine.dialect)

    @classmethod
    def over(cls, conn: Connection) -> Link:
        """A link over a Core connection whose transaction Core runs."""
        return cls(conn.engine, conn.connection, conn)

    @classmethod
    def begin(cls, engine: Engine, *, write: bool) -> Link:
        """A pooled connection in a new SQLite transaction (IMMEDIATE to write).

        Raises:
            DBAPIError: no connection, or the BEGIN failed (it is returned).
        """
        dialect = engine.dialect
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        try:
            fairy = engine.raw_connection()
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(engine, "connect", exc) from exc
        try:
            fairy.driver_connection.execute(statement)  # type: ignore[union-attr]
        except dialect.loaded_dbapi.Error as exc:
            fairy.close()
            raise _wrapped(engine, statement, exc) from exc
        fairy.info[LINKED] = True
        return cls(engine, fairy)

    @property
    def core(self) -> Connection:
        """A Core `Connection` over this transaction's DBAPI connection."""
        core = self._core
        if core is None:
            core = self._core = Connection(self.engine, connection=self.fairy)
        return core

    def commit(self) -> None:
        """Commit the transaction the store began (Core's, when it joined)."""
        assert self._owned, "Core runs this transaction"
        core = self._core
        if core is not None and core.in_transaction():
            core.commit()
            return
        try:
            self.fairy.driver_connection.commit()  # type: ignore[union-attr]
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raise _wrapped(self.engine, "COMMIT", exc) from exc

    def close(self) -> None:
        """Roll back what is not committed; the connection goes back to the pool."""
        assert self._owned, "Core runs this transaction"
        fairy = self.fairy
        try:
            if fairy.dbapi_connection is not None:  # None: lost, already let go
                fairy.info.pop(LINKED, None)
                driver: Any = fairy.driver_connection
                if driver.in_transaction:
                    driver.rollback()  # not committed, or its COMMIT failed
        except self.engine.dialect.loaded_dbapi.Error as exc:
            fairy.invalidate(exc)  # unusable: the pool makes a new one
        finally:
            if self._core is not None:
                self._core.close()  # ends Core's part; checks the connection in
            elif fairy.dbapi_connection is not None:
                fairy.close()


def _wrapped(engine: Engine, statement: str, exc: Exception) -> Exception:
    error: Any = engine.dialect.loaded_dbapi.Error
    return DBAPIError.instance(statement, None, exc, error, dialect=engine.dialect)
