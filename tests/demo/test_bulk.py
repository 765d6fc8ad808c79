"""`BulkCaseStore`'s own rules: a refused step leaves nothing behind, batches
reach the database as the engine path writes them, and what only the
database answers is answered there.

(That it writes what the engine path writes, row for row, over a whole
office: tests/demo/test_office.py; over imported cases, as the slow service
tests build their offices: here.)
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from demo.bulk.store import BulkCaseStore
from demo.wiring import demo_key
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import InvalidDataError
from engine.ports import CaseStore
from engine.records import (
    Absence,
    AccessEntry,
    AuditFilter,
    Case,
    CaseFilter,
    ChaseRecord,
    Notification,
    NotificationStatus,
    Party,
    User,
)
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from tests.demo.records import snapshot
from tests.service.serving import founding_record, inquiry_record, new_database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AUTHORITY = Party(role="authority", name="Forvaltningen", email="f@example.org")


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'bulk.db'}"
    db = create_db_engine(url)
    upgrade_schema(db)
    db.dispose()
    return url


def _engine(
    store: CaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    return CaseEngine(
        store=store,
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
        keys=demo_key,  # the same case gets the same key in both stores
    )


def _office(engine: CaseEngine, clock: FakeClock) -> str:
    engine.add_user("bra", ["advisor"], "bra@example.org")
    engine.add_user("jur", ["caseworker"], "jur@example.org")
    view = engine.open_case(
        "ombudsman-inquiry", actor="jur", title="Klage", parties=[AUTHORITY]
    )
    clock.advance(timedelta(hours=1))
    engine.fire(view.case.number, "send_inquiry", actor="jur", document="Brev")
    return view.case.number


def test_a_transaction_that_fails_after_writing_leaves_nothing_behind(
    url: str, registry: WorkflowRegistry
) -> None:
    """Every kind of write, then an error: the undo log restores the store."""
    clock = FakeClock(T0)
    db = create_db_engine(url, create=False)
    store = BulkCaseStore(db)
    number = _office(_engine(store, registry, clock), clock)
    case = store.state.cases[number]
    before = _state(store)

    with pytest.raises(InvalidDataError):
        _write_everything_then_fail(store, case)
    assert _state(store) == before
    store.finish()
    db.dispose()
    rows = snapshot(url)
    assert [row[1] for row in rows["wf_case"]] == [number]
    assert len(rows["audit_entry"]) == 2
    assert sorted(row[2] for row in rows["personal_value"]) == [
        '"Forvaltningen"',
        '"f@example.org"',
    ]
    assert rows["chase"] == rows["outbox"] == rows["db_setting"] == []
    assert rows["user_absence"] == []


def _write_everything_then_fail(store: BulkCaseStore, case: Case) -> None:
    with store.transaction() as tx:
        new = tx.add_case(replace(case, number=tx.next_case_number(2026)))
        tx.reserve_case_number("2026-0000090")
        tx.update_case(replace(case, version=3, chase_due=None), expected_version=2)
        history = tx.history(case.id or 0)
        tx.append_audit(replace(history[-1], seq=3))
        tx.add_document(replace(tx.documents(case.id or 0)[-1], seq=3))
        tx.add_personal_values(case.id or 0, {"c" * 64: "Ny Part"})
        tx.add_personal_values(new.id or 0, {"d" * 64: "ny@example.org"})
        tx.record_chase(_chase(case.id or 0))
        tx.add_notification(_notification(new.id or 0))
        tx.add_user(User(id="ny", roles=("caseworker",), created_at=T0))
        tx.add_absence(
            Absence(
                user_id="jur",
                starts=T0.date(),
                ends=T0.date(),
                created_by="bra",
                created_at=T0,
            )
        )
        tx.record_workflow("other", 1, "d", "name: other")
        tx.record_calendar("other:1", {})
        tx.record_access(AccessEntry(at=T0, actor="ny", action="case_show"))
        tx.set_setting("kind", "demo", at=T0)
        raise InvalidDataError("refused after writing")


def _state(store: BulkCaseStore) -> object:
    """Everything the store holds, copied."""
    return copy.deepcopy(
        {
            name: value
            for name, value in vars(store).items()
            if name not in ("engine", "sql", "_lock", "_open")
        }
    )


def _chase(case_id: int) -> ChaseRecord:
    return ChaseRecord(
        case_id=case_id,
        entry_seq=2,
        rung="dispatch_reminder",
        audit_seq=3,
        due_missed=T0.date(),
        fired_at=T0,
    )


def _notification(case_id: int) -> Notification:
    return Notification(
        idempotency_key="k1",
        case_id=case_id,
        case_number="2026-0000001",
        channel="email",
        recipient="f@example.org",
        kind="letter",
        subject="Rykker",
        body="...",
        available_at=T0,
        created_at=T0,
    )


def test_the_same_steps_write_the_same_rows_as_the_sql_store(
    tmp_path: Path,
    url: str,
    registry: WorkflowRegistry,
) -> None:
    """Including a batch written mid-way, a notification claimed, finished,
    claimed again and retried after its row reached the database, and personal
    values kept after the case's record was released and read back."""
    other = f"sqlite:///{tmp_path / 'sql.db'}"
    plain = create_db_engine(other)
    upgrade_schema(plain)
    bulk_db = create_db_engine(url, create=False)
    bulk = BulkCaseStore(bulk_db, batch_rows=3)
    overdue = []
    personal = []
    absences = []
    stores: list[CaseStore] = [SqlCaseStore(plain), bulk]
    for store in stores:
        clock = FakeClock(T0)
        engine = _engine(store, registry, clock)
        number = _office(engine, clock)
        case_id = engine.show_case(number).id or 0
        with store.transaction() as tx:
            assert tx.add_notification(_notification(case_id))
            assert not tx.add_notification(_notification(case_id))
            (claimed,) = tx.claim_notifications(T0, limit=5, lease_until=T0)
        with store.transaction() as tx:
            assert tx.finish_notification(
                claimed.id or 0,
                claimed_attempts=claimed.attempts,
                status=NotificationStatus.PENDING,
                error="busy",
                available_at=T0 + timedelta(minutes=1),
            )
        clock.advance(timedelta(hours=2))
        engine.fire(number, "mark_dispatched", actor="jur")
        with store.transaction() as tx:
            later = T0 + timedelta(minutes=2)
            (again,) = tx.claim_notifications(later, limit=5, lease_until=later)
            assert tx.finish_notification(
                again.id or 0,
                claimed_attempts=again.attempts,
                status=NotificationStatus.SENT,
                sent_at=later,
            )
            assert not tx.finish_notification(  # a stale claim records nothing
                again.id or 0,
                claimed_attempts=claimed.attempts,
                status=NotificationStatus.FAILED,
            )
        if store is bulk:  # the case's record and values leave memory
            bulk.release(number)
            bulk.flush()
            assert case_id not in bulk.state.personal
        with store.transaction(write=False) as tx:  # read back from the database
            personal.append(tx.personal_values([case_id, case_id + 1]))
        _extend(engine, number, "jur", "Ferie", date(2026, 4, 1))
        # the same reason again: the same commitment, kept once
        _extend(engine, number, "bra", "Ferie", date(2026, 5, 4))
        engine.add_user("jur2", ["caseworker"], "jur2@example.org")
        engine.set_away(
            "jur",
            starts=date(2026, 4, 6),
            ends=date(2026, 4, 17),
            deputy="jur2",
            actor="bra",
        )
        engine.assign_case(number, "jur2", actor="bra", reason="Ferie")
        with store.transaction(write=False) as tx:
            absences.append(tx.absences("jur"))
        with store.transaction(write=False) as tx:
            later_day = T0.date() + timedelta(days=365)
            overdue.append(
                (tx.overdue_cases(later_day, limit=5), tx.count_overdue(later_day))
            )
            personal.append(tx.personal_values([case_id]))
    bulk.finish()
    assert overdue[0] == overdue[1]
    assert absences[0] == absences[1]
    assert [(a.id, a.deputy) for a in absences[0]] == [(1, "jur2")]
    assert [c.number for c in overdue[0][0]] == [number]
    assert personal[:2] == personal[2:]
    assert sorted(map(str, personal[0][case_id].values())) == [
        "Forvaltningen",
        "f@example.org",
    ]
    assert personal[0][case_id + 1] == {}
    assert sorted(map(str, personal[1][case_id].values())) == [
        "Ferie",
        "Forvaltningen",
        "f@example.org",
    ]
    plain.dispose()
    bulk_db.dispose()
    tables = snapshot(url)
    assert len(tables["personal_value"]) == 3
    assert tables == snapshot(other)


def _extend(
    engine: CaseEngine, number: str, actor: str, reason: str, reply_by: date
) -> None:
    engine.fire(
        number,
        "extend_deadline",
        actor=actor,
        data={"reply_by": reply_by.isoformat(), "reason": reason},
    )


def test_imported_cases_are_the_rows_importing_them_one_by_one_writes(
    tmp_path: Path, registry: WorkflowRegistry
) -> None:
    """How the slow service tests build their offices (`new_database(bulk=True)`
    in tests/service/serving.py): the same rows, ids and numbers included."""
    records = [founding_record(), *(inquiry_record(i) for i in range(30))]
    one, bulk = tmp_path / "one.db", tmp_path / "bulk.db"
    numbers = new_database(one, records, registry, synchronous="NORMAL")
    assert new_database(bulk, records, registry, synchronous="NORMAL", bulk=True) == (
        numbers
    )
    tables = snapshot(f"sqlite:///{bulk}")
    assert tables["personal_value"]
    assert tables == snapshot(f"sqlite:///{one}")


def test_what_only_the_database_answers_is_answered_there(
    url: str, registry: WorkflowRegistry
) -> None:
    clock = FakeClock(T0)
    db = create_db_engine(url, create=False)
    store = BulkCaseStore(db)
    number = _office(_engine(store, registry, clock), clock)
    with store.transaction(write=False) as tx:
        assert [c.number for c in tx.list_cases(CaseFilter())] == [number]
        assert tx.count_cases(CaseFilter()) == 1
        assert len(list(tx.audit_entries(AuditFilter()))) == 2
        assert tx.audit_counts(0)[0] == 2
        assert [c.number for c in tx.verify_cases()] == [number]
        assert [d.number for d in tx.verify_documents()] == [f"{number}-1"]
        assert len(list(tx.verify_personal())) == 2
        assert tx.notification_counts() == {}
        assert tx.owner_counts(not_in_states=frozenset({"closed"})) == [("jur", 1)]
        with pytest.raises(RuntimeError, match="a read transaction cannot write"):
            tx.purge_access(T0)
    with store.transaction() as tx:
        assert tx.purge_access(T0) == 0
    with pytest.raises(RuntimeError, match="not in a transaction that has written"):
        _read_after_writing(store)
    with pytest.raises(RuntimeError, match="do not nest"):
        _nest(store)
    with pytest.raises(RuntimeError, match="does not erase personal data"):
        _erase(store, number)
    assert store.forget().startswith("the database file was rewritten")
    db.dispose()


def _erase(store: BulkCaseStore, number: str) -> None:
    with store.transaction() as tx:
        tx.erase_personal(tx.get_case(number), ["Forvaltningen"])


def _read_after_writing(store: BulkCaseStore) -> None:
    with store.transaction() as tx:
        tx.set_setting("kind", "demo", at=T0)
        tx.list_cases(CaseFilter())


def _nest(store: BulkCaseStore) -> None:
    with store.transaction(), store.transaction():
        pass


def test_a_database_with_cases_is_refused(url: str, registry: WorkflowRegistry) -> None:
    db = create_db_engine(url, create=False)
    _office(_engine(SqlCaseStore(db), registry, FakeClock(T0)), FakeClock(T0))
    with pytest.raises(ValueError, match="without cases"):
        BulkCaseStore(db)
    db.dispose()
