"""The chaser: deadlines judged by the local date, each rung once, catch-up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from structlog.typing import EventDict

from engine.cases.engine import CaseEngine
from engine.chasing import chaser as chaser_module
from engine.chasing.chaser import Chaser, ChaseSettings
from engine.dates.timeparse import parse_instant
from engine.exceptions import InvalidTimeError, StorageError
from engine.records import CaseFilter, Party
from engine.testing import FakeClock, chaser_for
from engine.workflow.file import parse_workflow
from engine.workflow.registry import WorkflowRegistry
from workflows import bundled_paths

WORKFLOW = "ombudsman-inquiry"
AUTHORITY = Party(role="authority", name="Socialforvaltningen", email="sof@example.org")


def at(text: str) -> datetime:
    """A Copenhagen local time as a UTC instant."""
    return parse_instant(text)


def founding_case(engine: CaseEngine, clock: FakeClock) -> str:
    """The founding case up to dispatch on 9 Oct 2024: due 6 Nov 2024."""
    clock.set(at("2024-10-09T16:00"))
    view = engine.open_case(
        WORKFLOW,
        actor="bra",
        title="Politianmeldelse",
        parties=[AUTHORITY],
        data={"own_initiative": True},
        at=at("2024-10-03T10:00"),
    )
    number = view.case.number
    engine.fire(number, "send_inquiry", actor="jur", at=at("2024-10-09T09:30"))
    engine.fire(number, "mark_dispatched", actor="jur", at=at("2024-10-09T15:00"))
    assert engine.show(number).case.due == date(2024, 11, 6)
    return number


def sweep_at(chaser: Chaser, clock: FakeClock, moment: str) -> list[str]:
    clock.set(at(moment))
    return [c.rung for c in chaser.sweep().chased]


def chases(engine: CaseEngine, number: str) -> list[str]:
    return [
        str(e.data["rung"]) for e in engine.show(number).history if e.event == "chase"
    ]


@pytest.fixture
def chaser(engine: CaseEngine) -> Chaser:
    return chaser_for(engine)


def test_the_boundary_is_the_local_date(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    """Due 6 Nov: not chased at 23:30 local that day, chased at 00:30 on 7 Nov."""
    number = founding_case(engine, clock)
    assert sweep_at(chaser, clock, "2024-11-06T23:30") == []
    assert clock.now().date() == date(2024, 11, 6)  # 22:30 UTC
    assert sweep_at(chaser, clock, "2024-11-07T00:30") == ["reminder_1"]
    assert clock.now().date() == date(2024, 11, 6)  # still 6 Nov in UTC
    assert chases(engine, number) == ["reminder_1"]


def test_a_second_sweep_at_the_same_instant_chases_nothing(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"]
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == []
    assert chaser_for(engine).sweep().chased == ()  # another worker, too
    assert chases(engine, number) == ["reminder_1"]


def test_the_ladder_walks_rung_by_rung_and_stops_at_the_reply(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"]
    case = engine.show(number).case
    assert (case.due, case.chase_position) == (date(2024, 11, 21), 1)  # +10 wd
    assert sweep_at(chaser, clock, "2024-11-21T23:00") == []
    assert sweep_at(chaser, clock, "2024-11-22T09:00") == ["reminder_2"]
    assert engine.show(number).case.due == date(2024, 11, 29)  # +5 working days
    assert sweep_at(chaser, clock, "2024-12-02T09:00") == ["escalation"]
    case = engine.show(number).case
    assert (case.chase_position, case.chase_due) == (3, None)  # the ladder is spent
    assert sweep_at(chaser, clock, "2025-01-06T09:00") == []
    engine.fire(number, "receive_reply", actor="jur")
    assert engine.show(number).case.state == "assessed"
    assert chases(engine, number) == ["reminder_1", "reminder_2", "escalation"]


def test_a_reply_before_the_deadline_means_no_reminder(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    clock.set(at("2024-11-05T10:00"))
    engine.fire(number, "receive_reply", actor="jur")
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == []
    assert chases(engine, number) == []


def test_an_extension_starts_the_ladder_again(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"]
    engine.fire(
        number,
        "extend_deadline",
        actor="jur",
        data={"reply_by": "2024-12-02", "reason": "Asked for more time"},
    )
    assert engine.show(number).case.chase_position == 0
    assert sweep_at(chaser, clock, "2024-12-02T22:00") == []
    assert sweep_at(chaser, clock, "2024-12-03T09:00") == ["reminder_1"]
    assert chases(engine, number) == ["reminder_1", "reminder_1"]


def test_catch_up_after_an_outage_fires_one_rung_per_case(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    """Down from October to March: the next rung only, counted from today."""
    numbers = [founding_case(engine, clock) for _ in range(3)]
    chased = sweep_at(chaser, clock, "2025-03-03T09:00")
    assert chased == ["reminder_1"] * 3
    for number in numbers:
        history = engine.show(number).history
        last = history[-1]
        assert last.data["working_days_overdue"] == 78  # 6 Nov 2024 .. 3 Mar 2025
        assert "working_days_late" not in last.data
        assert engine.show(number).case.due == date(2025, 3, 17)  # 3 Mar + 10 wd
    assert sweep_at(chaser, clock, "2025-03-03T09:00") == []


def test_catch_up_each_fires_every_missed_rung(
    engine: CaseEngine, registry: WorkflowRegistry, clock: FakeClock
) -> None:
    text = next(p for p in bundled_paths() if p.name.startswith("ombudsman")).read_text(
        encoding="utf-8"
    )
    each = parse_workflow(
        text.replace("catch_up: next", "catch_up: each").replace(
            "version: 1", "version: 2"
        ),
        source="each.yaml",
        guards={
            "own_initiative_needs_advisor",
            "repeat_needs_advisor",
            "heard_before_criticism",
        },
    )
    other = CaseEngine(
        store=engine.store,
        registry=WorkflowRegistry([each]),
        clock=clock,
        calendar=engine.calendar,
    )
    number = founding_case(other, clock)
    chased = sweep_at(chaser_for(other), clock, "2025-03-03T09:00")
    assert chased == ["reminder_1", "reminder_2", "escalation"]
    assert chases(other, number) == chased


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        pytest.param("2024-11-09T10:00", "not a working day (Saturday)", id="saturday"),
        pytest.param(
            "2024-12-24T10:00", "not a working day (Christmas Eve)", id="xmas"
        ),
        pytest.param("2024-11-07T02:30", "quiet hours 02:00-03:00", id="quiet-hours"),
    ],
)
def test_no_sweep_on_closed_days_or_in_the_quiet_hours(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock, moment: str, reason: str
) -> None:
    founding_case(engine, clock)
    clock.set(at(moment))
    result = chaser.sweep()
    assert result.skipped is not None
    assert result.skipped.startswith(reason)
    assert result.chased == ()
    assert [c.rung for c in chaser.sweep(force=True).chased] == ["reminder_1"]


def test_an_office_may_sweep_on_closed_days(
    engine: CaseEngine, clock: FakeClock
) -> None:
    founding_case(engine, clock)
    chaser = chaser_for(engine, settings=ChaseSettings(working_days_only=False))
    assert sweep_at(chaser, clock, "2024-11-09T10:00") == ["reminder_1"]


def test_a_chase_is_an_audited_system_step_with_its_letters_and_notices(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    engine.add_user("jur3", ["caseworker"], "jur3@example.org")
    before = engine.show(number)
    sweep_at(chaser, clock, "2024-11-07T09:00")
    view = engine.show(number)
    entry = view.history[-1]
    assert (entry.event, entry.actor, entry.role) == ("chase", "system", "system")
    assert (entry.from_state, entry.to_state) == ("awaiting_reply", "awaiting_reply")
    assert (entry.due_before, entry.due_after) == (
        date(2024, 11, 6),
        date(2024, 11, 21),
    )
    assert entry.recorded_at == clock.now()
    assert entry.seq == view.case.version == before.case.version + 1
    letter = view.documents[-1]
    assert (letter.direction, letter.date) == ("outgoing", date(2024, 11, 7))
    assert entry.document == letter.number == f"{number}-{len(view.documents)}"
    with engine.store.transaction(write=False) as tx:
        outbox = tx.list_notifications()
    recipients = {(n.channel, n.recipient, n.kind) for n in outbox}
    assert ("email", "sof@example.org", "letter") in recipients
    # the case is unassigned (the advisor opened it): its owner's notice goes to
    # the advisors (bra, no address), told in the log
    assert ("log", "owner: bra (no e-mail address)", "notice") in recipients
    assert all(n.case_number == number for n in outbox)


def test_a_sweep_as_of_a_past_moment_records_with_the_real_clock(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    clock.set(at("2024-11-20T12:00"))
    chaser.sweep(at("2024-11-07T09:00"))
    entry = engine.show(number).history[-1]
    assert entry.at == at("2024-11-07T09:00")
    assert entry.recorded_at == at("2024-11-20T12:00")
    with pytest.raises(InvalidTimeError, match="in the future"):
        chaser.sweep(at("2024-11-21T12:00"))


def test_the_sweep_reads_only_overdue_cases(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    """Cases with a later deadline are not even examined."""
    founding_case(engine, clock)
    founding_case(engine, clock)
    clock.set(at("2024-11-07T09:00"))
    engine.open_case(WORKFLOW, actor="jur", title="Ny sag")  # due 21 Nov
    result = chaser.sweep()
    assert result.examined == 2
    assert len(engine.list_cases(CaseFilter())) == 3


def test_batches_cover_every_case(engine: CaseEngine, clock: FakeClock) -> None:
    numbers = [founding_case(engine, clock) for _ in range(5)]
    chaser = chaser_for(engine, settings=ChaseSettings(batch=2))
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"] * 5
    assert all(chases(engine, n) == ["reminder_1"] for n in numbers)


def test_a_rung_already_recorded_is_not_chased_again(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock
) -> None:
    """The (case, stay, rung) key holds even if the case row were stale."""
    number = founding_case(engine, clock)
    sweep_at(chaser, clock, "2024-11-07T09:00")
    with engine.store.transaction() as tx:
        case = tx.get_case(number)
        stale = replace(case, chase_position=0, chase_due=date(2024, 11, 6))
        tx.update_case(stale, expected_version=case.version)
    assert sweep_at(chaser, clock, "2024-11-08T09:00") == []
    assert chases(engine, number) == ["reminder_1"]


class _BrokenLetters:
    """An office template with a mistake in it."""

    def pinned(self) -> _BrokenLetters:
        return self

    def render(self, **_: object) -> tuple[str, str]:
        raise ValueError("reminder_1.da.txt: 'frist' is undefined")


def test_a_broken_template_does_not_stop_the_chase(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    chaser = chaser_for(engine, letters=_BrokenLetters())
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"]
    letter = engine.show(number).documents[-1]
    assert letter.title == f"Rykker: sag {number}"  # the plain wording


class _PassLetters:
    """Letters that say which pin of them wrote each letter."""

    def __init__(self, pins: list[_PassLetters], name: str = "unpinned") -> None:
        self.pins = pins
        self.name = name

    def pinned(self) -> _PassLetters:
        pin = _PassLetters(self.pins, f"pass {len(self.pins) + 1}")
        self.pins.append(pin)
        return pin

    def render(self, **_: object) -> tuple[str, str]:
        return f"Rykker ({self.name})", "Body.\n"


def test_each_sweep_writes_its_letters_with_one_pin_of_the_letters(
    engine: CaseEngine, clock: FakeClock
) -> None:
    founding_case(engine, clock)
    pins: list[_PassLetters] = []
    chaser = chaser_for(engine, letters=_PassLetters(pins))
    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"]
    assert sweep_at(chaser, clock, "2024-11-26T09:00") == ["reminder_2"]
    with engine.store.transaction(write=False) as tx:
        subjects = {n.subject for n in tx.list_notifications() if n.subject}
    assert subjects == {"Rykker (pass 1)", "Rykker (pass 2)"}
    assert len(pins) == 2


def test_a_workflow_webhook_gets_every_chase(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(engine, clock)
    chaser = chaser_for(
        engine, settings=ChaseSettings(webhook_url="https://dms.example.org/h")
    )
    sweep_at(chaser, clock, "2024-11-07T09:00")
    with engine.store.transaction(write=False) as tx:
        hooks = [n for n in tx.list_notifications() if n.channel == "webhook"]
    assert [(n.recipient, n.case_number) for n in hooks] == [
        ("https://dms.example.org/h", number)
    ]
    assert hooks[0].payload["rung"] == "reminder_1"


def test_a_sweep_that_does_not_keep_its_chases_counts_them_alike(
    engine: CaseEngine, clock: FakeClock
) -> None:
    """Five overdue cases over batches of two: the service keeps the counts alone."""
    numbers = [founding_case(engine, clock) for _ in range(5)]
    clock.set(at("2024-12-02T09:00"))
    chaser = chaser_for(engine, settings=ChaseSettings(batch=2))
    counted = chaser.sweep(keep=False)
    assert counted.chased == ()
    assert (counted.examined, counted.fired) == (5, 5)
    assert counted.notifications > 0
    assert [chases(engine, n) for n in numbers] == [["reminder_1"]] * 5


def test_a_kept_sweep_holds_each_chase_and_the_same_counts(
    engine: CaseEngine, clock: FakeClock
) -> None:
    for _ in range(5):
        founding_case(engine, clock)
    clock.set(at("2024-12-02T09:00"))
    kept = chaser_for(engine, settings=ChaseSettings(batch=2)).sweep()
    assert (kept.examined, kept.fired, len(kept.chased)) == (5, 5, 5)
    assert kept.notifications == sum(c.notifications for c in kept.chased)
    assert kept.notifications > 0


# -- the operator's log: a chase is logged once its batch has committed ----------


@pytest.fixture
def chase_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EventDict]]:
    """The chaser's log lines. Through a fresh logger: one cached by an earlier
    test in this process (`configure_logging` caches) would bypass the capture."""
    monkeypatch.setattr(chaser_module, "log", structlog.get_logger())
    with capture_logs() as logs:
        yield logs


def logged_chases(logs: list[EventDict]) -> list[str]:
    return [e["case"] for e in logs if e["event"] == "case_chased"]


class _Commits:
    """The engine's store, noting how many chases were logged when each write
    transaction committed; with `fail` its commit fails (all is rolled back)."""

    def __init__(
        self, engine: CaseEngine, logs: list[EventDict], *, fail: bool = False
    ) -> None:
        self.store = engine.store
        self.logs = logs
        self.fail = fail
        self.logged_at_commit: list[int] = []

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Any]:
        with self.store.transaction(write=write) as tx:
            yield tx
            if self.fail:
                raise StorageError("database error: disk I/O error")
        self.logged_at_commit.append(len(logged_chases(self.logs)))


def _chaser_on(engine: CaseEngine, store: _Commits, batch: int) -> Chaser:
    return Chaser(
        store=store,
        clock=engine.clock,
        calendar=engine.calendar,
        rules=engine.rules,
        settings=ChaseSettings(batch=batch),
    )


def test_each_chase_is_logged_after_its_batch_commits(
    engine: CaseEngine, clock: FakeClock, chase_log: list[EventDict]
) -> None:
    """Three cases in batches of two: no line before its batch's commit."""
    numbers = [founding_case(engine, clock) for _ in range(3)]
    store = _Commits(engine, chase_log)

    rungs = sweep_at(_chaser_on(engine, store, 2), clock, "2024-11-07T09:00")

    assert rungs == ["reminder_1"] * 3
    assert store.logged_at_commit == [0, 2]  # the first batch's lines came after
    assert sorted(logged_chases(chase_log)) == numbers
    assert [e["rung"] for e in chase_log if e["event"] == "case_chased"] == [
        "reminder_1"
    ] * 3


def test_a_chase_whose_commit_fails_is_not_logged(
    engine: CaseEngine, clock: FakeClock, chase_log: list[EventDict]
) -> None:
    numbers = [founding_case(engine, clock) for _ in range(2)]
    store = _Commits(engine, chase_log, fail=True)

    with pytest.raises(StorageError, match="disk I/O error"):
        sweep_at(_chaser_on(engine, store, 10), clock, "2024-11-07T09:00")

    assert logged_chases(chase_log) == []
    assert [chases(engine, n) for n in numbers] == [[], []]  # rolled back
    store.fail = False  # the next sweep does the work, and logs it
    rungs = sweep_at(_chaser_on(engine, store, 10), clock, "2024-11-07T09:00")
    assert rungs == ["reminder_1"] * 2
    assert sorted(logged_chases(chase_log)) == numbers


# -- personal data: a chase seals the case as every step does ----------------------
def test_a_chase_seals_personal_values_as_commitments(
    engine: CaseEngine, clock: FakeClock, chaser: Chaser
) -> None:
    """A chase entry seals the case as it left it: a personal field's value
    (an extension's reason naming a citizen) as its commitment, never in the
    clear, or erasing the case would leave it in the chain."""
    number = founding_case(engine, clock)
    clock.set(at("2024-11-01T10:00"))
    engine.fire(
        number,
        "extend_deadline",
        actor="jur",
        data={"reply_by": "2024-11-08", "reason": "Rasmus Klump Testesen er syg"},
        document="Forvaltningen beder om mere tid",
    )
    assert sweep_at(chaser, clock, "2024-11-11T09:00") == ["reminder_1"]
    [chase] = [e for e in engine.show(number).history if e.event == "chase"]
    assert chase.sealed is not None
    assert "Rasmus Klump" not in str(chase.sealed)
    assert "Rasmus Klump" not in str(chase.data)
