"""Revision 0003 seals a record written before the hash chain existed.

A database is taken to revision 0002 and given cases through raw SQL, as that
revision's schema allows (no `prev_hash`, `hash` or `audit_head`). Upgrading to
the head must seal every entry in order per case, set each case's head, keep the
record verifiable, and leave the append-only triggers in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine

from engine.audit.chain import GENESIS, chain_fields, link_hash
from engine.audit.review import verify_store
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import AuditEntry
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from storage.database import _alembic_config, head_revision
from workflows import bundled_paths

CALENDAR = "dk-default:e9eb8d8244e4"
INQUIRY = "2024-0000001"
ACCESS = "2024-0000002"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# A record of 0002 names no declaration of its own: its cases run on the
# bundled workflow's version (whatever it is now).
BUNDLED = WorkflowRegistry.from_paths(bundled_paths()).get("ombudsman-inquiry").version


def _entry(**fields: Any) -> AuditEntry:
    base: dict[str, Any] = {
        "from_state": None,
        "data": {},
        "due_before": None,
        "due_after": None,
        "calendar": None,
        "document": None,
        "workflow_version": BUNDLED,
    }
    return AuditEntry(**(base | fields))


# Written before the chain: Danish text, JSON, dates, documents, two cases.
OLD_ENTRIES = (
    _entry(
        case_id=1,
        case_number=INQUIRY,
        seq=1,
        event="open",
        to_state="opened",
        actor="bra",
        role="advisor",
        at=utc("2024-10-03T08:00:00"),
        recorded_at=utc("2024-10-09T14:00:00"),
        data={
            "title": "Klage over sagsbehandlingstid, Ærø Kommune",
            "own_initiative": True,
        },
        workflow="ombudsman-inquiry",
    ),
    _entry(
        case_id=1,
        case_number=INQUIRY,
        seq=2,
        event="send_inquiry",
        from_state="opened",
        to_state="inquiry_sent",
        actor="jur",
        role="caseworker",
        at=utc("2024-10-09T07:30:00"),
        recorded_at=utc("2024-10-09T14:00:00.250000"),
        due_after=date(2024, 10, 11),
        calendar=CALENDAR,
        workflow="ombudsman-inquiry",
        document=f"{INQUIRY}-1",
    ),
    _entry(
        case_id=1,
        case_number=INQUIRY,
        seq=3,
        event="mark_dispatched",
        from_state="inquiry_sent",
        to_state="awaiting_reply",
        actor="jur",
        role="caseworker",
        at=utc("2024-10-09T13:00:00"),
        recorded_at=utc("2024-10-09T14:00:01"),
        due_before=date(2024, 10, 11),
        due_after=date(2024, 11, 6),
        calendar=CALENDAR,
        workflow="ombudsman-inquiry",
    ),
    _entry(
        case_id=2,
        case_number=ACCESS,
        seq=1,
        event="open",
        to_state="received",
        actor="ind",
        role="intake",
        at=utc("2024-10-09T08:00:00"),
        recorded_at=utc("2024-10-09T08:00:00"),
        data={"title": "Aktindsigt", "received_on": "2024-10-07"},
        due_after=date(2024, 10, 16),
        calendar=CALENDAR,
        workflow="access-to-documents",
        document=f"{ACCESS}-1",
    ),
    _entry(
        case_id=2,
        case_number=ACCESS,
        seq=2,
        event="note",
        from_state="received",
        to_state="received",
        actor="ind",
        role="intake",
        at=utc("2024-10-10T09:15:00"),
        recorded_at=utc("2024-10-10T09:15:00"),
        data={"direction": "note"},
        due_before=date(2024, 10, 16),
        due_after=date(2024, 10, 16),
        calendar=CALENDAR,
        workflow="access-to-documents",
        document=f"{ACCESS}-2",
    ),
)
CASES = (  # id, number, workflow, state, version, due
    (1, INQUIRY, "ombudsman-inquiry", "awaiting_reply", 3, "2024-11-06"),
    (2, ACCESS, "access-to-documents", "received", 2, "2024-10-16"),
)


def _sql_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _write_old_record(conn: Connection) -> None:
    """The record as revision 0002 stores it, through raw SQL."""
    for case_id, number, workflow, state, version, due in CASES:
        tail = (due, version)  # chase_due, state_entry_seq
        conn.exec_driver_sql(
            "INSERT INTO wf_case (id, number, workflow, workflow_version, title, "
            "state, version, parties, data, due, calendar, chase_position, "
            "chase_due, state_entry_seq, state_entered_at, opened_at, "
            "last_event_at, updated_at, documents_count) VALUES (?, ?, ?, ?, 'T', "
            "?, ?, '[]', '{}', ?, ?, 0, ?, ?, '2024-10-09 13:00:00', "
            "'2024-10-03 08:00:00', '2024-10-10 09:15:00', '2024-10-10 09:15:00', "
            "0)",
            (case_id, number, workflow, BUNDLED, state, version, due, CALENDAR, *tail),
        )
    for e in OLD_ENTRIES:
        conn.exec_driver_sql(
            "INSERT INTO audit_entry (case_id, case_number, seq, event, from_state, "
            "to_state, actor, role, at, recorded_at, data, due_before, due_after, "
            "calendar, workflow, workflow_version, document) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.case_id,
                e.case_number,
                e.seq,
                e.event,
                e.from_state,
                e.to_state,
                e.actor,
                e.role,
                _sql_time(e.at),
                _sql_time(e.recorded_at),
                json.dumps(dict(e.data), ensure_ascii=False),
                e.due_before.isoformat() if e.due_before else None,
                e.due_after.isoformat() if e.due_after else None,
                e.calendar,
                e.workflow,
                e.workflow_version,
                e.document,
            ),
        )


def _sealed(entries: tuple[AuditEntry, ...]) -> list[AuditEntry]:
    """The entries as the chain seals them, computed here independently."""
    out: list[AuditEntry] = []
    heads: dict[int, str] = {}
    for entry in entries:
        prev = heads.get(entry.case_id, GENESIS)
        sealed = replace(
            entry, prev_hash=prev, hash=link_hash(prev, chain_fields(entry))
        )
        heads[entry.case_id] = sealed.hash
        out.append(sealed)
    return out


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "old.db"


@pytest.fixture
def old_db(db_path: Path) -> Iterator[Engine]:
    """A database at revision 0002 holding the old record (no chain)."""
    engine = create_db_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0002")
        _write_old_record(conn)
    yield engine
    engine.dispose()


def _triggers(db_path: Path) -> list[str]:
    """The triggers on the record's tables (the search index has its own)."""
    with closing(sqlite3.connect(db_path)) as conn:
        return sorted(
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('audit_entry', 'document')"
            )
        )


APPEND_ONLY = [
    "audit_entry_no_delete",
    "audit_entry_no_update",
    "document_no_delete",
    "document_no_update",
]


def test_upgrade_from_0002_seals_every_entry(old_db: Engine, db_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(audit_entry)")}
    assert {"prev_hash", "hash"}.isdisjoint(columns)

    assert upgrade_schema(old_db) == ("0002", head_revision())

    expected = _sealed(OLD_ENTRIES)
    with closing(sqlite3.connect(db_path)) as conn:
        stored = conn.execute(
            "SELECT case_id, seq, prev_hash, hash FROM audit_entry "
            "ORDER BY case_id, seq"
        ).fetchall()
        heads = conn.execute(
            "SELECT number, version, audit_head FROM wf_case ORDER BY id"
        ).fetchall()
    assert stored == [(e.case_id, e.seq, e.prev_hash, e.hash) for e in expected]
    assert [e.prev_hash for e in expected if e.seq == 1] == [GENESIS, GENESIS]
    assert heads == [
        (INQUIRY, 3, expected[2].hash),
        (ACCESS, 2, expected[4].hash),
    ]
    with SqlCaseStore(old_db).transaction(write=False) as tx:
        assert list(tx.history(1)) == expected[:3]  # read back as they were sealed

    report = verify_store(SqlCaseStore(old_db))
    assert (report.ok, report.cases, report.entries) == (True, 2, 5)


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_entry SET actor = 'mallory'", id="update-audit"),
        pytest.param("UPDATE audit_entry SET hash = prev_hash", id="update-hash"),
        pytest.param("DELETE FROM audit_entry WHERE seq = 3", id="delete-audit"),
        pytest.param("UPDATE document SET title = 'x'", id="update-document"),
        pytest.param("DELETE FROM document", id="delete-document"),
    ],
)
def test_the_append_only_triggers_are_back_after_the_upgrade(
    old_db: Engine, db_path: Path, statement: str
) -> None:
    upgrade_schema(old_db)
    assert _triggers(db_path) == APPEND_ONLY
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute(
            "INSERT INTO document (case_id, seq, number, title, direction, date, "
            "recorded_at, event_seq) VALUES (1, 1, '2024-0000001-1', 'Inquiry', "
            "'outgoing', '2024-10-09', '2024-10-09 14:00:00', 2)"
        )
        conn.commit()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(statement)
        conn.rollback()
    assert verify_store(SqlCaseStore(old_db)).ok


def test_the_chain_goes_on_from_the_sealed_head(
    old_db: Engine, registry: WorkflowRegistry
) -> None:
    upgrade_schema(old_db)
    engine = CaseEngine(
        store=SqlCaseStore(old_db),
        registry=registry,
        clock=FakeClock(utc("2024-11-05T10:00:00")),
        calendar=BusinessCalendar(),
    )
    engine.add_user("jur", ["caseworker"])
    head = engine.show(INQUIRY).case.audit_head

    view = engine.fire(INQUIRY, "receive_reply", actor="jur")

    assert (view.case.version, view.history[-1].prev_hash) == (4, head)
    assert view.case.audit_head == view.history[-1].hash
    report = verify_store(SqlCaseStore(old_db))
    assert (report.ok, report.entries) == (True, 6)


def test_upgrade_from_0002_without_a_record(db_path: Path) -> None:
    """Nothing to seal: the backfill leaves the triggers alone."""
    engine = create_db_engine(f"sqlite:///{db_path}")
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), "0002")
        assert upgrade_schema(engine) == ("0002", head_revision())
        assert _triggers(db_path) == APPEND_ONLY
        report = verify_store(SqlCaseStore(engine))
        assert (report.ok, report.cases, report.entries) == (True, 0, 0)
    finally:
        engine.dispose()
