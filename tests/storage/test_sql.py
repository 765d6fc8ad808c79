"""SqlCaseStore on a SQLite file, created the way `sagsflow init` does it.

The process tests start real OS processes, each with its own CaseEngine on the
same file, and release them together through a pipe barrier: every child says
"ready" on stdout and blocks reading stdin until the parent has heard all of
them and writes "go" to each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from engine.cases.engine import CaseEngine
from engine.cases.view import read_views
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import SchemaError, StorageError
from engine.records import AuditEntry, Case, CaseFilter, User
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, check_schema, create_db_engine, upgrade_schema
from storage.database import DEFAULT_BUSY_TIMEOUT_MS, head_revision

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "ombudsman-inquiry"
PROCESS_TIMEOUT_S = 120
_T0 = datetime(2024, 10, 3, 8, 0, tzinfo=UTC)  # when the listed cases and users began


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sagsflow.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{db_path}")
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def case_engine(db: Engine, registry: WorkflowRegistry, clock: FakeClock) -> CaseEngine:
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])
    engine.add_user("jur", ["caseworker"])
    return engine


def _awaiting_reply(engine: CaseEngine) -> str:
    number = engine.open_case(WORKFLOW, actor="bra", title="Inquiry").case.number
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    return number


# -- append-only ------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_entry SET actor = 'mallory'", id="update-audit"),
        pytest.param("UPDATE audit_entry SET seq = seq + 100", id="update-audit-seq"),
        pytest.param("DELETE FROM audit_entry", id="delete-audit"),
        pytest.param("UPDATE document SET title = 'Nothing'", id="update-document"),
        pytest.param("DELETE FROM document WHERE seq = 1", id="delete-document"),
    ],
)
def test_record_tables_are_append_only_in_the_database(
    case_engine: CaseEngine, db: Engine, db_path: Path, statement: str
) -> None:
    number = _awaiting_reply(case_engine)
    before = case_engine.show(number)
    db.dispose()

    with closing(sqlite3.connect(db_path)) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(statement)
        conn.rollback()
        audit_rows = conn.execute("SELECT count(*) FROM audit_entry").fetchone()
        document_rows = conn.execute("SELECT count(*) FROM document").fetchone()

    assert (audit_rows, document_rows) == ((3,), (1,))
    assert case_engine.show(number) == before


def test_append_only_triggers_allow_inserts(db_path: Path, db: Engine) -> None:
    """The triggers refuse changes, not new entries (the engine's inserts work)."""
    with closing(sqlite3.connect(db_path)) as conn:
        triggers = sorted(
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
        )
    assert triggers == [
        "audit_entry_no_delete",
        "audit_entry_no_update",
        "document_no_delete",
        "document_no_update",
        "user_change_no_delete",  # the users' chain (engine.audit.users)
        "user_change_no_update",
        "wf_case_search_delete",  # the search index's (storage/sql/search.py)
        "wf_case_search_insert",
        "wf_case_search_update",
    ]


# -- pragmas ----------------------------------------------------------------------
def _pragmas(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }


@pytest.mark.parametrize(
    ("asked", "synchronous"),
    [
        pytest.param(None, 2, id="full-by-default"),
        pytest.param("NORMAL", 1, id="normal-when-asked"),
        pytest.param("normal", 1, id="normal-lower-case"),
        pytest.param("EXTRA", 3, id="extra-when-asked"),
    ],
)
def test_every_connection_gets_the_pragmas(
    db: Engine, db_path: Path, asked: str | None, synchronous: int
) -> None:
    """On a file `upgrade_schema` initialised, as `sagsflow init` does."""
    url = f"sqlite:///{db_path}"
    engine = (
        create_db_engine(url)
        if asked is None
        else create_db_engine(url, synchronous=asked)
    )
    try:
        assert _pragmas(engine) == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": synchronous,
            "busy_timeout": DEFAULT_BUSY_TIMEOUT_MS,
        }
    finally:
        engine.dispose()


def test_connecting_does_not_switch_a_foreign_file_to_wal(db_path: Path) -> None:
    """WAL is stored in the file: only `upgrade_schema` sets it, and only on a
    file that is empty or sagsflow's."""
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE other (x INTEGER)")
    engine = create_db_engine(f"sqlite:///{db_path}")
    try:
        with pytest.raises(SchemaError):
            check_schema(engine)
        assert _pragmas(engine)["journal_mode"] == "delete"
        with pytest.raises(SchemaError, match=r"not sagsflow's \(other\)"):
            upgrade_schema(engine)
        assert _pragmas(engine)["journal_mode"] == "delete"
    finally:
        engine.dispose()


def test_upgrade_schema_switches_an_empty_file_to_wal(db_path: Path) -> None:
    sqlite3.connect(db_path).close()
    engine = create_db_engine(f"sqlite:///{db_path}")
    try:
        assert _pragmas(engine)["journal_mode"] == "delete"
        upgrade_schema(engine)
        assert _pragmas(engine)["journal_mode"] == "wal"
    finally:
        engine.dispose()


def test_unknown_synchronous_setting_is_refused(db_path: Path) -> None:
    with pytest.raises(ValueError, match="FULL, NORMAL or EXTRA"):
        create_db_engine(f"sqlite:///{db_path}", synchronous="OFF")


# -- schema -----------------------------------------------------------------------
def test_check_schema_refuses_an_empty_database(db_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{db_path}")
    try:
        with pytest.raises(SchemaError, match="run 'sagsflow init'"):
            check_schema(engine)
        assert upgrade_schema(engine) == (None, head_revision())
        check_schema(engine)
    finally:
        engine.dispose()


def test_upgrade_schema_is_idempotent(db: Engine) -> None:
    head = head_revision()
    assert upgrade_schema(db) == (head, head)
    assert upgrade_schema(db) == (head, head)
    check_schema(db)


def test_upgrade_from_0001_backfills_the_chaser_columns(tmp_path: Path) -> None:
    """Cases recorded before the chaser existed are watched after the upgrade."""
    from alembic import command

    from storage.database import _alembic_config

    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
        conn.exec_driver_sql(
            "INSERT INTO wf_case (number, workflow, workflow_version, title, state, "
            "version, parties, data, due, chase_position, state_entered_at, "
            "opened_at, last_event_at, updated_at, documents_count) VALUES "
            "('2024-0000001', 'ombudsman-inquiry', 1, 'T', 'awaiting_reply', 3, "
            "'[]', '{}', '2024-11-06', 0, '2024-10-09 13:00:00', "
            "'2024-10-03 08:00:00', '2024-10-09 13:00:00', '2024-10-09 13:00:00', 0)"
        )
        for seq, event, source, dest in (
            (1, "open", None, "opened"),
            (2, "send_inquiry", "opened", "inquiry_sent"),
            (3, "mark_dispatched", "inquiry_sent", "awaiting_reply"),
        ):
            conn.exec_driver_sql(
                "INSERT INTO audit_entry (case_id, case_number, seq, event, from_state,"
                " to_state, actor, role, at, recorded_at, data, workflow, "
                "workflow_version) VALUES (1, '2024-0000001', ?, ?, ?, ?, 'jur', "
                "'caseworker', '2024-10-09 13:00:00', '2024-10-09 13:00:00', '{}', "
                "'ombudsman-inquiry', 1)",
                (seq, event, source, dest),
            )
    try:
        assert upgrade_schema(engine) == ("0001", head_revision())
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT chase_due, state_entry_seq FROM wf_case"
            ).one()
        assert tuple(row) == ("2024-11-06", 3)
    finally:
        engine.dispose()


def test_store_on_an_uninitialised_database_raises_storage_error(
    db_path: Path,
) -> None:
    engine = create_db_engine(f"sqlite:///{db_path}")
    try:
        store = SqlCaseStore(engine)
        with (
            pytest.raises(StorageError, match="no such table") as caught,
            store.transaction(write=False) as tx,
        ):
            tx.get_case("2024-0000001")
        assert caught.value.__cause__ is not None
    finally:
        engine.dispose()


def _assert_one_clean_line(message: str) -> None:
    assert "\n" not in message
    for noise in ("Traceback", "[SQL", "sqlalchemy.exc", "Background on this error"):
        assert noise not in message


def _missing_directory(tmp_path: Path) -> Path:
    return tmp_path / "no-such-dir" / "x.db"


def _a_directory(tmp_path: Path) -> Path:
    return tmp_path


def _a_text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a database\n" * 100, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        pytest.param(
            _missing_directory, "unable to open database file", id="missing-directory"
        ),
        pytest.param(_a_directory, "unable to open database file", id="a-directory"),
        pytest.param(_a_text_file, "file is not a database", id="not-a-database"),
    ],
)
@pytest.mark.parametrize(
    ("operation", "prefix"),
    [
        pytest.param(upgrade_schema, "cannot use the database: ", id="init"),
        pytest.param(check_schema, "cannot open the database: ", id="check"),
        pytest.param(
            lambda engine: _list_users(SqlCaseStore(engine)),
            "database error: ",
            id="transaction",
        ),
    ],
)
def test_unusable_database_file_is_a_clear_storage_error(
    tmp_path: Path,
    target: Callable[[Path], Path],
    reason: str,
    operation: Callable[[Engine], object],
    prefix: str,
) -> None:
    path = target(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(StorageError) as caught:
            operation(engine)
    finally:
        engine.dispose()

    assert str(caught.value) == prefix + reason
    _assert_one_clean_line(str(caught.value))
    assert caught.value.__cause__ is not None
    assert not (tmp_path / "no-such-dir").exists()
    if before is not None:
        assert path.read_bytes() == before


def _list_users(store: SqlCaseStore) -> object:
    with store.transaction() as tx:
        return tx.list_users()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("not a url", "is not a database URL", id="words"),
        pytest.param("://", "is not a database URL", id="no-scheme"),
        pytest.param("sqlite", "is not a database URL", id="bare-scheme"),
        pytest.param(
            "nosuchdb://host/db", "unknown kind of database", id="unknown-dialect"
        ),
    ],
)
def test_malformed_url_is_storage_error(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message) as caught:
        create_db_engine(url)
    _assert_one_clean_line(str(caught.value))


def test_the_migrations_build_exactly_the_models_schema(db: Engine) -> None:
    """Alembic finds nothing to change: the migrations and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.sql.search import include_name
    from storage.tables import metadata

    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, metadata) == []


def test_cases_with_their_records_are_read_by_page_not_one_case_at_a_time(
    db: Engine,
) -> None:
    """`case list --json`, the API's listing and the report: 3 reads a page of 500."""
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        for n in range(1, 1201):
            case = tx.add_case(_listed_case(n))
            tx.append_audit(_listed_entry(case))
    selects: list[str] = []

    def trace(dbapi_conn: sqlite3.Connection, *_: object) -> None:
        dbapi_conn.set_trace_callback(selects.append)

    event.listen(db, "checkout", trace)
    try:
        with store.transaction(write=False) as tx:
            views = list(read_views(tx, CaseFilter()))
    finally:
        event.remove(db, "checkout", trace)
    reads = [s for s in selects if s.lstrip().upper().startswith("SELECT")]
    assert [v.case.number for v in views] == [f"2024-{n:07d}" for n in range(1, 1201)]
    assert [len(v.history) for v in views] == [1] * 1200
    assert len(reads) == 3 * 3  # pages of 500, 500 and 200: cases, entries, documents


def test_a_user_is_read_once_per_store_and_a_missing_one_every_time(
    db: Engine,
) -> None:
    """Users never change once added, so the store remembers those it has read;
    one that was missing may be added by another process at any moment."""
    store, other = SqlCaseStore(db), SqlCaseStore(db)
    with store.transaction() as tx:
        assert tx.get_user("kim") is None
    with other.transaction() as tx:  # another process adds kim
        tx.add_user(User(id="kim", roles=("caseworker",), created_at=_T0))
    selects: list[str] = []

    def trace(dbapi_conn: sqlite3.Connection, *_: object) -> None:
        dbapi_conn.set_trace_callback(selects.append)

    event.listen(db, "checkout", trace)
    try:
        for _ in range(3):
            with store.transaction(write=False) as tx:
                assert tx.get_user("kim") == User(
                    id="kim", roles=("caseworker",), created_at=_T0
                )
    finally:
        event.remove(db, "checkout", trace)
    assert len([s for s in selects if "app_user" in s]) == 1


def _listed_case(n: int) -> Case:
    moment = _T0
    return Case(
        number=f"2024-{n:07d}",
        workflow=WORKFLOW,
        workflow_version=1,
        title=f"Case {n}",
        state="opened",
        version=1,
        state_entered_at=moment,
        opened_at=moment,
        last_event_at=moment,
        updated_at=moment,
    )


def _listed_entry(case: Case) -> AuditEntry:
    assert case.id is not None
    return AuditEntry(
        case_id=case.id,
        case_number=case.number,
        seq=1,
        event="open",
        from_state=None,
        to_state="opened",
        actor="bra",
        role="advisor",
        at=case.opened_at,
        recorded_at=case.opened_at,
        workflow=case.workflow,
        workflow_version=case.workflow_version,
    )
