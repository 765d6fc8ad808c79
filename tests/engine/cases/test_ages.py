"""A case's age in a state without a deadline, and which cases are stale.

The age counts working days as a deadline does (the day the case entered not
counted, weekends, holidays and the office's closing days skipped); a case is
stale once its age reaches the state's `stale_after`. The stale list is read
from the store (memory, SQLite, PostgreSQL), per workflow version: a case
stays under the rules of the version it was opened under. The clock is the
conftest's FakeClock, Monday 25 November 2024.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.cases.ages import StateAge, stale_before, state_age
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import Case
from engine.testing import FakeClock
from engine.workflow.definition import Duration, State, StateKind, Unit
from engine.workflow.file import parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.registry import WorkflowRegistry
from workflows import bundled_paths

CPH = ZoneInfo("Europe/Copenhagen")
DOCUMENTS = "access-to-documents"
INQUIRY = "ombudsman-inquiry"
TEN = Duration(amount=10, unit=Unit.WORKING_DAYS)
WAITING = State(name="decided", stale_after=TEN)
CALENDAR = BusinessCalendar()


def local(text: str) -> datetime:
    """A Copenhagen wall-clock time, e.g. `2024-12-20 15:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=CPH)


def case_entered(at: datetime, *, due: date | None = None) -> Case:
    return Case(
        number="2024-0000001",
        workflow=DOCUMENTS,
        workflow_version=3,
        title="T",
        state="decided",
        version=3,
        due=due,
        state_entered_at=at,
        opened_at=at,
        last_event_at=at,
        updated_at=at,
    )


# -- the age -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entered", "today", "days"),
    [
        ("2024-11-25 09:00", "2024-11-25", 0),  # the day it entered is not counted
        ("2024-11-22 16:00", "2024-11-25", 1),  # Friday to Monday: the weekend skipped
        # Friday 20 Dec to Friday 27 Dec: the weekend, Christmas Eve (an office
        # closing day), Christmas Day and Boxing Day skipped: 23 and 27 Dec.
        ("2024-12-20 15:00", "2024-12-27", 2),
        # Maundy Thursday to Easter Monday 2025 are holidays: 16 and 22 April.
        ("2025-04-15 10:00", "2025-04-22", 2),
        ("2024-11-25 23:30", "2024-11-26", 1),  # local dates, not UTC ones
    ],
    ids=["same-day", "weekend", "christmas", "easter", "late-evening"],
)
def test_the_age_counts_working_days_since_the_state_was_entered(
    entered: str, today: str, days: int
) -> None:
    age = state_age(
        case_entered(local(entered)),
        WAITING,
        calendar=CALENDAR,
        today=date.fromisoformat(today),
    )

    assert age == StateAge(state="decided", working_days=days, stale_after=10)


def test_stale_from_the_tenth_working_day_not_the_ninth() -> None:
    case = case_entered(local("2024-11-11 15:00"))  # a Monday

    ninth = state_age(case, WAITING, calendar=CALENDAR, today=date(2024, 11, 22))
    tenth = state_age(case, WAITING, calendar=CALENDAR, today=date(2024, 11, 25))

    assert ninth is not None
    assert (ninth.working_days, ninth.stale) == (9, False)
    assert tenth is not None
    assert (tenth.working_days, tenth.stale) == (10, True)


def test_a_state_without_stale_after_ages_but_never_goes_stale() -> None:
    case = case_entered(local("2023-01-02 10:00"))

    age = state_age(
        case, State(name="decided"), calendar=CALENDAR, today=date(2024, 11, 25)
    )

    assert age is not None
    assert age.working_days > 400
    assert (age.stale_after, age.stale) == (None, False)


def test_a_case_with_a_deadline_or_in_a_final_state_has_no_age() -> None:
    today = date(2024, 11, 25)
    with_deadline = case_entered(local("2024-11-01 10:00"), due=date(2024, 11, 12))
    closed = State(name="closed", kind=StateKind.FINAL)

    assert state_age(with_deadline, WAITING, calendar=CALENDAR, today=today) is None
    assert (
        state_age(
            case_entered(local("2024-11-01 10:00")),
            closed,
            calendar=CALENDAR,
            today=today,
        )
        is None
    )


def test_stale_before_agrees_with_the_age_on_every_day() -> None:
    """Over the Christmas closing days, Easter and a change of summer time: a
    case is selected as stale exactly when its age says so."""
    for stale_after in (1, 3, 10):
        rule = Duration(amount=stale_after, unit=Unit.WORKING_DAYS)
        state = State(name="decided", stale_after=rule)
        for today in _days(date(2024, 12, 1), 45) + _days(date(2025, 3, 20), 45):
            before = stale_before(CALENDAR, rule, today)
            for day in _days(today - timedelta(days=30), 31):
                for clock in ("00:00", "23:59"):
                    case = case_entered(local(f"{day} {clock}"))
                    age = state_age(case, state, calendar=CALENDAR, today=today)
                    assert age is not None
                    assert (case.state_entered_at < before) == age.stale, (today, day)


def _days(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


# -- the stale cases, from the store --------------------------------------------
def decided(engine: CaseEngine, at: datetime, title: str = "Aktindsigt") -> str:
    """An access-to-documents case decided at `at` (its last step)."""
    number = engine.open_case(DOCUMENTS, actor="jur", title=title, at=at).case.number
    engine.fire(number, "start_processing", actor="jur", at=at)
    engine.fire(number, "decide", actor="jur", data={"decision": "granted"}, at=at)
    return number


def stale_numbers(
    engine: CaseEngine, today: date, **page: int
) -> tuple[list[str], int]:
    with engine.store.transaction(write=False) as tx:
        places = engine.stale_places(tx, today)
        cases = tx.stale_cases(
            places, limit=page.get("limit", 100), offset=page.get("offset", 0)
        )
        return [c.number for c in cases], tx.count_stale(places)


def test_the_stale_cases_are_listed_longest_waiting_first(
    engine: CaseEngine, clock: FakeClock
) -> None:
    today = date(2024, 11, 25)
    last_day = decided(engine, local("2024-11-11 23:59"))  # 10 working days
    too_new = decided(engine, local("2024-11-12 00:00"))  # 9
    oldest = decided(engine, local("2024-11-04 10:00"))  # 15
    engine.open_case(INQUIRY, actor="jur", title="Intake", at=local("2024-10-01 10:00"))

    assert stale_numbers(engine, today) == ([oldest, last_day], 2)
    assert stale_numbers(engine, today, limit=1) == ([oldest], 2)
    assert stale_numbers(engine, today, limit=1, offset=1) == ([last_day], 2)
    assert engine.age(engine.show_case(too_new), clock.now()) == StateAge(
        state="decided", working_days=9, stale_after=10
    )
    # The intake case has a deadline (it is overdue instead), so no age.
    assert stale_numbers(engine, date(2024, 11, 12)) == ([], 0)


def _older(text: str, stale_after: str) -> WorkflowRegistry:
    """A registry of the bundled access-to-documents as version 2, its
    `decided` stale after `stale_after` (none when empty)."""
    rule = "    stale_after: {after: 10 working days}\n"
    older = text.replace("version: 3\n", "version: 2\n").replace(
        rule, f"    stale_after: {{after: {stale_after}}}\n" if stale_after else ""
    )
    return WorkflowRegistry([parse_workflow(older, source="v2.yaml", guards=GUARDS)])


def _documents_text() -> str:
    path = next(p for p in bundled_paths() if p.name == "access_to_documents.yaml")
    return path.read_text("utf-8")


@pytest.mark.parametrize(
    ("rule", "stale_after", "listed"),
    [("", None, False), ("5 working days", 5, True)],
    ids=["none", "five-days"],
)
def test_a_case_stays_under_its_versions_rule(
    engine: CaseEngine,
    clock: FakeClock,
    rule: str,
    stale_after: int | None,
    listed: bool,
) -> None:
    """A case decided under version 2 is judged by version 2's rule (none, or
    5 working days), never by the bundled version 3's 10."""
    old_engine = CaseEngine(
        store=engine.store,
        registry=_older(_documents_text(), rule),
        clock=clock,
        calendar=BusinessCalendar(),
    )
    old = decided(old_engine, local("2024-11-15 10:00"), "Under version 2")  # 6 days
    new = decided(engine, local("2024-11-01 10:00"), "Under version 3")  # 16 days

    assert stale_numbers(engine, date(2024, 11, 25)) == (
        ([new, old], 2) if listed else ([new], 1)
    )
    old_age = engine.age(engine.show_case(old), clock.now())
    assert old_age == StateAge(state="decided", working_days=6, stale_after=stale_after)
    with engine.store.transaction(write=False) as tx:
        assert tx.workflow_versions(DOCUMENTS) == [2, 3]
        assert tx.workflow_versions("no-such-workflow") == []
