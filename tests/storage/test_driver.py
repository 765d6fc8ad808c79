"""The hot path's driver statements (storage/sql/driver.py) against SQLAlchemy Core.

The driver runs SQL that SQLAlchemy compiled, with SQLAlchemy's own value
converters, on the DBAPI cursor. What it stores must be exactly what Core
stores (other queries compare those values), and what goes wrong must reach
the caller as SQLAlchemy's errors, so the store's handling still applies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.exc import IntegrityError
from sqlmodel.sql.sqltypes import UTCDateTime

import storage.database
from engine.exceptions import StorageError
from engine.records import AuditEntry, OverdueCase, format_case_number
from storage import SqlCaseStore, create_db_engine
from storage.sql import statements as stm
from storage.sql.driver import Driver, sqlite_utc_text, sqlite_utc_value
from storage.tables import CASES, SEQUENCES

AT = datetime(2024, 10, 9, 7, 30, 0, 123456, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url, create=False)
    yield engine
    engine.dispose()


def _case_values(number: str) -> dict[str, Any]:
    return {
        "number": number,
        "workflow": "ombudsman-inquiry",
        "workflow_version": 1,
        "title": "Klage over sagsbehandlingstid",
        "state": "opened",
        "version": 1,
        "parties": [{"role": "citizen", "name": "Åse Ørsted", "email": None}],
        "data": {"outcome": "æøå", "n": 3, "nested": {"ok": True}},
        "due": date(2024, 11, 6),
        "calendar": "dk",
        "chase_position": 0,
        "chase_due": date(2024, 11, 7),
        "state_entry_seq": 1,
        "state_entered_at": AT,
        "opened_at": AT,
        "last_event_at": AT,
        "updated_at": AT,
        "documents_count": 0,
        "audit_head": "a" * 64,
        "personal_key": "b" * 64,
        "erased": None,
        "owner": "jur",
    }


def test_a_row_the_driver_writes_is_the_row_core_writes(db: Engine) -> None:
    """Column for column, compared as the database returns them untranslated."""
    with db.begin() as conn:
        (by_driver,) = Driver.over(conn).rows(
            stm.INSERT_CASE, _case_values("2024-00001"), stm.CASE_KEYS
        )
        core_key = conn.execute(
            insert(CASES).values(**_case_values("2024-00002"))
        ).inserted_primary_key
        assert core_key is not None
    columns = [c for c in CASES.columns if c.name not in ("id", "number")]
    with db.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        names = ", ".join(c.name for c in columns)
        stored = []
        for case_id in (by_driver["id"], core_key[0]):
            where = "id = ?" if db.dialect.name == "sqlite" else "id = %s"
            cursor.execute(f"SELECT {names} FROM wf_case WHERE {where}", (case_id,))
            stored.append(cursor.fetchone())
        cursor.close()
    assert stored[0] == stored[1]


def test_rows_read_by_the_driver_equal_rows_read_by_core(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(insert(CASES).values(**_case_values("2024-00001")))
        (by_driver,) = Driver.over(conn).rows(
            stm.CASE_BY_NUMBER, {"number": "2024-00001"}
        )
        by_core = conn.execute(stm.CASE_BY_NUMBER, {"number": "2024-00001"})
        assert by_driver == dict(by_core.mappings().one())
    assert by_driver["state_entered_at"] == AT  # aware, to the microsecond
    assert by_driver["data"] == _case_values("x")["data"]


_ZONES = st.sampled_from(
    [UTC, ZoneInfo("Europe/Copenhagen"), ZoneInfo("America/St_Johns"),
     timezone(timedelta(hours=14)), timezone(-timedelta(hours=12, minutes=30))]
)  # fmt: skip


@given(
    moment=st.datetimes(
        min_value=datetime(2, 1, 1),  # noqa: DTZ001 (naive bounds, zoned values)
        max_value=datetime(9998, 12, 31),  # noqa: DTZ001
        timezones=_ZONES,
        allow_imaginary=False,  # a time skipped by summer time is no instant
    )
)
def test_the_sqlite_instant_converters_agree_with_sqlalchemys(moment: datetime) -> None:
    """The driver's one-step converters store and read what UTCDateTime does."""
    sqlite = sqlite_dialect()
    column = UTCDateTime().dialect_impl(sqlite)  # as Core runs it
    store = column.bind_processor(sqlite)
    load = column.result_processor(sqlite, None)
    assert store is not None
    assert load is not None
    text = sqlite_utc_text(moment)
    assert text == store(moment)
    # compared in UTC: Python never equates a repeated local time across zones
    assert sqlite_utc_value(text) == load(text) == moment.astimezone(UTC)
    assert sqlite_utc_value(text).tzinfo is UTC  # type: ignore[union-attr]
    assert sqlite_utc_text(None) is None
    assert sqlite_utc_value(None) is None


def test_an_overdue_listing_row_is_the_overdue_case_in_field_order() -> None:
    """The store builds each OverdueCase from its row's tuple as it comes."""
    assert OverdueCase._fields == tuple(c.key for c in stm.OVERDUE.selected_columns)


def test_the_sqlite_instant_converter_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        sqlite_utc_text(datetime(2024, 10, 9, 9, 30))  # noqa: DTZ001 (the point)


def test_a_broken_constraint_is_sqlalchemys_integrity_error(db: Engine) -> None:
    """So the store turns it into DuplicateError / ConcurrentUpdateError."""
    with db.begin() as conn:
        driver = Driver.over(conn)
        (case,) = driver.rows(stm.INSERT_CASE, _case_values("2024-1"), stm.CASE_KEYS)
        entry = {
            "case_id": case["id"],
            "case_number": "2024-1",
            "seq": 1,
            "event": "open",
            "from_state": None,
            "to_state": "opened",
            "actor": "bra",
            "role": "advisor",
            "at": AT,
            "recorded_at": AT,
            "data": {},
            "due_before": None,
            "due_after": None,
            "calendar": None,
            "workflow": "ombudsman-inquiry",
            "workflow_version": 1,
            "document": None,
            "prev_hash": "0" * 64,
            "hash": "b" * 64,
            "chain_version": 2,
            "sealed": {"documents": [], "case": {}},
            "via": None,
        }
        assert set(entry) == set(stm.AUDIT_KEYS)
        assert set(AuditEntry.__dataclass_fields__) >= set(stm.AUDIT_KEYS)
        driver.count(stm.INSERT_AUDIT, entry, stm.AUDIT_KEYS)
        with pytest.raises(IntegrityError) as caught:
            driver.many(stm.INSERT_AUDIT, [entry], stm.AUDIT_KEYS)
        assert isinstance(caught.value.orig, db.dialect.loaded_dbapi.Error)
        conn.rollback()


def test_a_missing_parameter_is_named(db: Engine) -> None:
    with db.begin() as conn, pytest.raises(KeyError, match="'number'"):
        Driver.over(conn).rows(stm.CASE_BY_NUMBER, {"numbr": "2024-00001"})


def test_statements_the_sql_carries_keep_their_own_values(db: Engine) -> None:
    """`last + 1` in the case-number statement is a bound 1 nobody passes."""
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        numbers = [tx.next_case_number(2024) for _ in range(3)]
    assert numbers == [format_case_number(2024, n) for n in (1, 2, 3)]
    with db.connect() as conn:
        last = conn.execute(select(SEQUENCES.c.last)).scalar_one()
    assert last == 3


def test_a_locked_sqlite_file_is_a_storage_error_not_a_driver_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The BEGIN IMMEDIATE runs on the driver's connection: its error is wrapped."""
    from storage import upgrade_schema

    path = tmp_path / "locked.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    monkeypatch.setattr(storage.database, "DEFAULT_BUSY_TIMEOUT_MS", 1)
    engine = create_db_engine(f"sqlite:///{path}", create=False)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with (
            pytest.raises(StorageError, match="database is locked"),
            SqlCaseStore(engine).transaction() as tx,
        ):
            tx.next_case_number(2024)
        holder.execute("ROLLBACK")
        with SqlCaseStore(engine).transaction() as tx:  # the pool is still usable
            assert tx.next_case_number(2024) == format_case_number(2024, 1)
    finally:
        holder.close()
        engine.dispose()


def _write_after_the_server_ends_the_session(
    store: SqlCaseStore, admin: Engine
) -> None:
    with store.transaction() as tx:
        pid = tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            conn.commit()
        tx.next_case_number(2024)


def test_a_connection_the_server_drops_leaves_the_pool(postgres_url: str) -> None:
    """As through `Connection.execute`: the error is a StorageError, the pool heals.

    The server ends the session between two statements of one transaction
    (an administrator's pg_terminate_backend, a restart, a failover). The
    engine has no pre-ping, so only the invalidation keeps the dead
    connection out of the pool.
    """
    engine = create_db_engine(postgres_url, create=False)
    store = SqlCaseStore(engine)
    admin = create_db_engine(postgres_url, create=False)
    try:
        with pytest.raises(StorageError, match="terminating connection"):
            _write_after_the_server_ends_the_session(store, admin)
        with store.transaction() as tx:  # a fresh connection, not the dead one
            assert tx.next_case_number(2024) == format_case_number(2024, 1)
    finally:
        admin.dispose()
        engine.dispose()
