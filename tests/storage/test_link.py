"""A SQLite transaction on the pooled DBAPI connection, Core joining on demand.

storage/sql/link.py: the store begins and commits on the driver's connection;
a Core statement in the same transaction joins it (no second BEGIN); what a
failed transaction wrote, through either, is gone; the connection goes back to
the pool every time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from engine.exceptions import StorageError
from engine.records import format_case_number
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from storage.tables import SEQUENCES


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'link.db'}")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


def _last(db: Engine) -> int:
    with db.connect() as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.max(SEQUENCES.c.last), 0))
            ).scalar_one()
        )


def _checked_out(db: Engine) -> int:
    return int(db.pool.checkedout())  # type: ignore[attr-defined]


def _refused(store: SqlCaseStore, *, core: bool) -> None:
    with store.transaction() as tx:
        tx.next_case_number(2024)
        if core:
            tx.conn.execute(update(SEQUENCES).values(last=SEQUENCES.c.last + 10))
        raise RuntimeError("refused")


def _broken_at_commit(store: SqlCaseStore, *, core: bool) -> None:
    """A deferred foreign key broken: SQLite refuses the COMMIT."""
    with store.transaction() as tx:
        tx.next_case_number(2024)
        if core:
            tx.conn.execute(update(SEQUENCES).values(last=SEQUENCES.c.last + 10))
        driver: Any = tx.link.fairy.driver_connection
        driver.execute("PRAGMA defer_foreign_keys = ON")
        driver.execute(
            "INSERT INTO document (case_id, seq, number, title, direction, date,"
            " recorded_at, event_seq) VALUES (999, 1, 'x-1', 't', 'note',"
            " '2024-11-25', '2024-11-25 09:00:00.000000', 1)"
        )


def test_driver_and_core_write_in_one_transaction_and_commit_together(
    db: Engine,
) -> None:
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        assert tx.next_case_number(2024) == format_case_number(2024, 1)  # driver
        tx.conn.execute(update(SEQUENCES).values(last=SEQUENCES.c.last + 1))  # Core
        assert tx.next_case_number(2024) == format_case_number(2024, 3)
    assert _last(db) == 3
    assert _checked_out(db) == 0


@pytest.mark.parametrize("core", [False, True], ids=["driver-only", "with-core"])
def test_a_failed_transaction_leaves_nothing_through_either(
    db: Engine, core: bool
) -> None:
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        tx.next_case_number(2024)
    with pytest.raises(RuntimeError, match="refused"):
        _refused(store, core=core)
    assert _last(db) == 1
    assert _checked_out(db) == 0
    with store.transaction() as tx:  # the connection is clean for the next one
        assert tx.next_case_number(2024) == format_case_number(2024, 2)


def test_a_write_holds_the_write_lock_from_its_start(
    db: Engine, tmp_path: Path
) -> None:
    """BEGIN IMMEDIATE: another writer cannot start while the store writes."""
    store = SqlCaseStore(db)
    other = sqlite3.connect(tmp_path / "link.db", isolation_level=None, timeout=0)
    try:
        with (
            store.transaction(),
            pytest.raises(sqlite3.OperationalError, match="locked"),
        ):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free once the store committed
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_read_holds_one_snapshot_and_blocks_no_writer(
    db: Engine, tmp_path: Path
) -> None:
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        tx.next_case_number(2024)
    other = sqlite3.connect(tmp_path / "link.db", isolation_level=None, timeout=0)
    try:
        with store.transaction(write=False) as tx:
            before = tx.conn.execute(select(SEQUENCES.c.last)).scalar_one()
            other.execute("BEGIN IMMEDIATE")  # a writer is not blocked
            other.execute("UPDATE case_sequence SET last = last + 5")
            other.execute("COMMIT")
            after = tx.conn.execute(select(SEQUENCES.c.last)).scalar_one()
            assert before == after == 1  # the read's snapshot
            with pytest.raises(RuntimeError, match="read transaction cannot write"):
                tx.next_case_number(2024)
    finally:
        other.close()
    assert _last(db) == 6
    assert _checked_out(db) == 0


@pytest.mark.parametrize("core", [False, True], ids=["driver-only", "with-core"])
def test_a_commit_that_fails_is_a_storage_error_and_leaves_no_transaction_open(
    db: Engine, core: bool
) -> None:
    """SQLite keeps a transaction open when its COMMIT fails: the store rolls it
    back, so the next transaction on the pooled connection starts clean."""
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        tx.next_case_number(2024)
    with pytest.raises(StorageError, match="FOREIGN KEY constraint failed"):
        _broken_at_commit(store, core=core)
    assert _checked_out(db) == 0
    assert _last(db) == 1  # nothing of the refused transaction
    with store.transaction() as tx:  # the same pooled connection, clean
        assert tx.next_case_number(2024) == format_case_number(2024, 2)
    assert _last(db) == 2


def test_a_connection_lost_mid_transaction_is_a_storage_error_and_let_go(
    db: Engine,
) -> None:
    """The driver's connection closed under the store: the pool drops it, the
    error is the store's, and the next transaction gets a working one."""
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        tx.next_case_number(2024)
    with pytest.raises(StorageError, match="closed database"):
        _lost(store)
    assert _checked_out(db) == 0
    with store.transaction() as tx:
        assert tx.next_case_number(2024) == format_case_number(2024, 2)


def _lost(store: SqlCaseStore) -> None:
    with store.transaction() as tx:
        driver: Any = tx.link.fairy.driver_connection
        driver.close()
        tx.next_case_number(2024)
