"""`generate_office`: the bulk path writes what the engine path writes; the
record verifies, looks like a year of real work, and a sweep on it chases
exactly the cases that are really overdue.

Times come from a FakeClock standing at NOW; the offices run up to START
(tests/demo/conftest.py). Owners and absences: tests/demo/test_owners.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from demo import founding
from demo.bulk.store import BulkCaseStore
from demo.office import Office, generate_office
from engine.audit.personal import reveal
from engine.audit.review import verify_store
from engine.cases.engine import CaseEngine
from engine.chasing.chaser import Chaser, ChaseSettings
from engine.dates.calendars import COPENHAGEN, BusinessCalendar, local_date
from engine.exceptions import InvalidInputError
from engine.logs import contains_cpr
from engine.records import AuditEntry, CaseFilter
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from storage import InMemoryCaseStore, SqlCaseStore, create_db_engine
from tests.demo.conftest import FAST, NOW, START
from tests.demo.records import really_overdue, snapshot
from tests.postgres import create_database, drop_database, require_admin_url

UNTIL = datetime.combine(START, time(0), COPENHAGEN).astimezone(UTC)


def _make(url: str, cases: int, **options: object) -> Office:
    return generate_office(
        url,
        cases=cases,
        seed=7,
        start=START,
        clock=FakeClock(NOW),
        settings=FAST,
        **options,  # type: ignore[arg-type]
    )


def _verify(url: str) -> None:
    db = create_db_engine(url, create=False)
    try:
        report = verify_store(SqlCaseStore(db))
    finally:
        db.dispose()
    assert report.ok, report.problems[:3]
    assert report.cases > 0


# -- the two paths ---------------------------------------------------------------------
@pytest.mark.slow
def test_the_bulk_paths_write_exactly_what_the_engine_path_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row for row, ids included: one process over many small batches after each
    of which the bulk store forgets every record it holds (and must read it
    back), and two worker processes merged by the parent."""
    reloads = Counter[int]()
    original_record_of = BulkCaseStore.record_of
    original_forget = BulkCaseStore._forget

    def counting(self: BulkCaseStore, case_id: int):  # type: ignore[no-untyped-def]
        if case_id not in self.state.history:
            reloads[case_id] += 1
        return original_record_of(self, case_id)

    def forget_everything(self: BulkCaseStore) -> None:
        original_forget(self)
        self.state.history.clear()
        self.state.documents.clear()
        self.state.personal.clear()

    monkeypatch.setattr(BulkCaseStore, "record_of", counting)
    monkeypatch.setattr(BulkCaseStore, "_forget", forget_everything)
    engine_url = f"sqlite:///{tmp_path / 'engine.db'}"
    bulk_url = f"sqlite:///{tmp_path / 'bulk.db'}"
    parallel_url = f"sqlite:///{tmp_path / 'parallel.db'}"
    by_engine = _make(engine_url, 250, bulk=False)
    by_bulk = _make(bulk_url, 250, batch_rows=300)
    monkeypatch.undo()  # the workers are processes of their own
    by_workers = _make(parallel_url, 250, batch_rows=300, workers=2)

    assert len(reloads) > 100, "records were not read back: the test lost its edge"
    engine_tables = snapshot(engine_url)
    assert engine_tables["personal_value"]
    assert engine_tables["user_absence"]
    assert _rows(engine_url, "SELECT 1 FROM audit_entry WHERE event = 'assign'")
    for url in (bulk_url, parallel_url):
        tables = snapshot(url)
        assert tables.keys() == engine_tables.keys()
        for table in engine_tables:
            assert tables[table] == engine_tables[table], (url, table)
    for office in (by_bulk, by_workers):
        assert office.summary == by_engine.summary
        assert office.outcome == by_engine.outcome
    _verify(engine_url)
    _verify(bulk_url)


@pytest.mark.external_service
@pytest.mark.slow
def test_on_postgresql_too_and_the_database_carries_on_after_a_bulk_build() -> None:
    admin = require_admin_url()
    urls = [
        create_database(admin).render_as_string(hide_password=False) for _ in (1, 2, 3)
    ]
    try:
        engine_url, bulk_url, parallel_url = urls
        _make(engine_url, 80, bulk=False)
        _make(bulk_url, 80, batch_rows=200)
        _make(parallel_url, 80, batch_rows=200, workers=2)
        by_engine = snapshot(engine_url)
        assert by_engine["user_absence"]
        assert snapshot(bulk_url) == by_engine
        assert snapshot(parallel_url) == by_engine
        _verify(bulk_url)
        db = create_db_engine(parallel_url, create=False)
        try:  # explicit ids must not leave the id sequences behind
            engine = CaseEngine(
                store=SqlCaseStore(db),
                registry=WorkflowRegistry.from_paths(_bundled()),
                clock=FakeClock(NOW),
                calendar=BusinessCalendar(),
            )
            view = engine.open_case("ombudsman-inquiry", actor="jur", title="Ny sag")
            engine.fire(view.case.number, "note", actor="jur", document="Notat")
        finally:
            db.dispose()
    finally:
        for url in urls:
            name = url.rsplit("/", 1)[-1]
            drop_database(admin, name)


def _bundled() -> list[Path]:
    from workflows import bundled_paths

    return list(bundled_paths())


def test_the_same_seed_and_start_give_the_same_database(tmp_path: Path) -> None:
    first, second = (f"sqlite:///{tmp_path / f'{n}.db'}" for n in ("a", "b"))
    _make(first, 120)
    _make(second, 120)
    assert snapshot(first) == snapshot(second)


def test_an_office_in_a_store_goes_step_by_step() -> None:
    store = InMemoryCaseStore()
    office = generate_office(
        store, cases=20, seed=3, start=START, clock=FakeClock(NOW), settings=FAST
    )
    assert office.summary.total == 21
    assert verify_store(store).ok
    with store.transaction(write=False) as tx:
        assert tx.get_setting("kind") == "demo"
        assert tx.get_setting("demo.finished") == "yes"


# -- what the record looks like --------------------------------------------------------
def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        db.dispose()


def test_the_office_verifies_and_is_marked_as_a_finished_demo(office_url: str) -> None:
    _verify(office_url)
    rows = _rows(office_url, "SELECT key, value FROM db_setting")
    settings = {str(key): str(value) for key, value in rows}
    assert settings == {
        "kind": "demo",
        "demo.seed": "1",
        "demo.cases": "900",
        "demo.start": START.isoformat(),
        "demo.finished": "yes",
    }


def test_every_step_was_recorded_as_it_happened_and_nothing_after_the_start(
    office_url: str,
) -> None:
    rows = _rows(office_url, "SELECT case_number, at, recorded_at FROM audit_entry")
    first = UNTIL - timedelta(days=365)
    for number, at, recorded in rows:
        at, recorded = _utc(at), _utc(recorded)
        assert at < UNTIL, number
        if number == founding.NUMBER:  # imported when the office went live
            assert recorded == first
        else:
            assert recorded == at, number
            assert first <= at


def _utc(value: object) -> datetime:
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def test_the_founding_case_is_there_as_it_happened(office_url: str) -> None:
    rows = _rows(
        office_url,
        "SELECT event, actor FROM audit_entry WHERE case_number = "
        f"'{founding.NUMBER}' ORDER BY seq",
    )
    assert rows == [
        ("open", "bra"),
        ("send_inquiry", "jur"),
        ("mark_dispatched", "jur"),
        ("receive_reply", "jur"),
        ("close", "bra"),
    ]


def test_a_year_of_real_work(office_url: str) -> None:
    """Open cases, both workflows, late replies at every rung, extensions,
    reopenings, and access requests answered within and beyond 7 working days."""
    db = create_db_engine(office_url, create=False)
    try:
        with SqlCaseStore(db).transaction(write=False) as tx:
            cases = list(tx.list_cases(CaseFilter()))
            histories = {c.number: tx.history(c.id or 0) for c in cases}
    finally:
        db.dispose()
    open_cases = [c for c in cases if c.state != "closed"]
    assert 0.25 <= len(open_cases) / len(cases) <= 0.5
    assert {c.workflow for c in cases} == {"ombudsman-inquiry", "access-to-documents"}
    events = Counter(e.event for h in histories.values() for e in h)
    assert events["extend_deadline"] > 0
    assert events["reopen"] > 0
    assert events["notify_delay"] > 0
    rungs = Counter(
        e.data["rung"] for h in histories.values() for e in h if e.event == "chase"
    )
    assert {"reminder_1", "reminder_2", "escalation", "answer_due"} <= set(rungs)
    replies_after = Counter(
        _rungs_before(h, "receive_reply") for h in histories.values()
    )
    assert {0, 1, 2, 3} <= set(replies_after)  # on time, after 1, 2, escalation
    outcomes = Counter(str(c.data.get("outcome")) for c in cases if c.state == "closed")
    assert {"rejected", "withdrawn", "resolved_in_dialogue", "no_further_action"} <= (
        set(outcomes)
    )
    assert outcomes["criticism"] + outcomes["criticism_with_recommendation"] > 0
    calendar = BusinessCalendar()
    answered = [
        (h[0], next(e for e in h if e.event == "decide"))
        for c in cases
        if c.workflow == "access-to-documents"
        for h in [histories[c.number]]
        if any(e.event == "decide" for e in h)
    ]
    late = [
        calendar.working_days_between(local_date(o.at), local_date(d.at)) > 7
        for o, d in answered
    ]
    assert any(late)
    assert not all(late)


def _rungs_before(history: Sequence[AuditEntry], event: str) -> int | None:
    """How many rungs fired in the stay that `event` (first time) ended."""
    for i, entry in enumerate(history):
        if entry.event == event:
            fired = 0
            for earlier in reversed(history[:i]):
                if earlier.event == "chase":
                    fired += 1
                elif earlier.event not in ("note", "assign"):
                    return fired  # the step that entered the state
            return fired
    return None


def test_names_and_addresses_are_invented_and_nothing_looks_like_a_cpr_number(
    office_url: str,
) -> None:
    # An entry holds commitments (hex digests) in place of personal values:
    # read it with the values, as people see it.
    kept = {
        str(commitment): _loaded(value)
        for commitment, value in _rows(
            office_url, "SELECT commitment, value FROM personal_value"
        )
    }
    assert kept
    texts = [
        *(r[0] for r in _rows(office_url, "SELECT title FROM wf_case")),
        *(r[0] for r in _rows(office_url, "SELECT parties FROM wf_case")),
        *(r[0] for r in _rows(office_url, "SELECT title FROM document")),
        *(
            json.dumps(reveal(_loaded(r[0]), kept), ensure_ascii=False)
            for r in _rows(office_url, "SELECT data FROM audit_entry")
        ),
        *(r[0] for r in _rows(office_url, "SELECT subject || body FROM outbox")),
    ]
    assert not [t for t in texts if contains_cpr(str(t))]
    addresses = set(re.findall(r"[\w.+-]+@[\w.-]+", " ".join(map(str, texts))))
    addresses |= {r[0] for r in _rows(office_url, "SELECT recipient FROM outbox")}
    addresses |= {r[0] for r in _rows(office_url, "SELECT email FROM app_user")}
    assert addresses
    assert all(a.endswith("@example.org") for a in addresses), addresses
    citizens = [
        p["name"]
        for (parties,) in _rows(office_url, "SELECT parties FROM wf_case")
        for p in _json(parties)
        if p["role"] in ("citizen", "requester")
    ]
    assert citizens
    assert all(n.startswith(("Testperson ", "Journalist ")) for n in citizens)


def _json(value: object) -> list[dict[str, str]]:
    parsed = _loaded(value)
    assert isinstance(parsed, list)
    return parsed


def _loaded(value: Any) -> Any:
    """A JSON column's value (SQLite hands back its text)."""
    return json.loads(value) if isinstance(value, str) else value


# -- the sweep -------------------------------------------------------------------------
@pytest.fixture
def chaser(office_url: str, tmp_path: Path) -> Iterator[Chaser]:
    copy = tmp_path / "swept.db"
    source = Path(office_url.removeprefix("sqlite:///"))
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    db = create_db_engine(f"sqlite:///{copy}", create=False)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(_bundled()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    yield chaser_for(engine, settings=ChaseSettings())
    db.dispose()


@pytest.mark.parametrize(
    ("day", "at_least"),
    [
        (START, 1),  # Monday: what fell due on Friday
        (date(2026, 3, 20), 40),  # three weeks on, nobody having acted
    ],
    ids=["next-morning", "three-weeks-on"],
)
def test_a_sweep_chases_the_cases_really_overdue_and_nothing_else(
    chaser: Chaser, office_url: str, day: date, at_least: int
) -> None:
    """A sweep fires what fell due: as the record and the workflow files say,
    counted independently of the engine's deadline column and sweep query."""
    expected = really_overdue(office_url, day)
    assert len(expected) >= at_least
    morning = datetime.combine(day, time(9, 0), COPENHAGEN).astimezone(UTC)
    result = chaser.sweep(morning)
    assert result.skipped is None
    assert {c.number: c.rung for c in result.chased} == expected
    assert chaser.sweep(morning).chased == ()  # and nothing twice


def test_the_office_had_been_swept_every_working_morning(office_url: str) -> None:
    """Only what fell due on the last working day waits for Monday's sweep.

    The record ends on Sunday 1 March; the last sweep ran on Friday morning
    and fired every deadline up to Thursday. Deadlines end on working days.
    """
    left = really_overdue(office_url, START)
    last = _rows(
        office_url,
        "SELECT case_number, due_after FROM audit_entry a WHERE seq = "
        "(SELECT max(seq) FROM audit_entry b WHERE b.case_id = a.case_id)",
    )
    due = {n: date.fromisoformat(str(d)[:10]) for n, d in last if d is not None}
    assert left
    assert {due[n] for n in left} == {date(2026, 2, 27)}


# -- refusals --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cases", "start", "message"),
    [
        (-1, START, "--cases must be between 0"),
        (10, date(2026, 11, 25), "lies in the future"),
        (10, date(2024, 11, 20), "2024-11-21 or later"),
    ],
)
def test_what_cannot_be_generated_is_refused_before_anything_is_written(
    tmp_path: Path, cases: int, start: date, message: str
) -> None:
    path = tmp_path / "never.db"
    with pytest.raises(InvalidInputError, match=message):
        generate_office(
            f"sqlite:///{path}", cases=cases, start=start, clock=FakeClock(NOW)
        )
    assert not path.exists()


def test_a_database_with_cases_is_refused(office_url: str) -> None:
    before = snapshot(office_url)
    with pytest.raises(InvalidInputError, match="holds cases already"):
        _make(office_url, 5)
    assert snapshot(office_url) == before


def test_an_office_younger_than_a_year_after_the_founding_case(tmp_path: Path) -> None:
    """Its year began before the founding case closed: the case is recorded as
    it closed, and the office's own cases from the start of its year."""
    url = f"sqlite:///{tmp_path / 'early.db'}"
    office = generate_office(
        url, cases=60, seed=2, start=date(2025, 6, 2), clock=FakeClock(NOW)
    )
    assert office.first == date(2024, 6, 2)
    _verify(url)
    recorded = {
        _utc(r[0])
        for r in _rows(
            url,
            "SELECT recorded_at FROM audit_entry WHERE case_number = "
            f"'{founding.NUMBER}'",
        )
    }
    assert recorded == {founding.CLOSED_AT}
    numbers = [str(r[0]) for r in _rows(url, "SELECT number FROM wf_case ORDER BY id")]
    assert numbers[0] == founding.NUMBER
    assert numbers[1].startswith("2024-")  # after the founding case's number
    assert numbers[1] > founding.NUMBER
