"""A clock that stands still (`deadline: pause`): #22.

A case waiting for the citizen's consent stops the deadline of the state it
came from; back there, the deadline continues with the working days that were
left, counted from the day it resumes, across closed days like any deadline,
and the chase carries on from the rung it had reached. Both moves are in the
record, `case explain` says them, and the record still verifies.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.audit.review import verify_store
from engine.cases.engine import CaseEngine
from engine.cases.pauses import days_left, resume_on
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.exceptions import DefinitionError
from engine.explain.case import explain
from engine.explain.diagram.svg import to_svg
from engine.explain.diagram.text import to_mermaid
from engine.ports import CaseStore
from engine.testing import FakeClock, chaser_for
from engine.workflow.file import parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.registry import WorkflowRegistry
from storage import InMemoryCaseStore
from tests.conftest import make_engine

WORKFLOW = """\
name: consent
version: 1
title: Waits for a reply, and sometimes for consent
states:
  opened:
    kind: initial
  awaiting_reply:
    kind: waiting
    deadline: {within: 10 working days}
    chase:
      rungs:
        - {name: reminder_1, notify: [owner], next: 5 working days}
        - {name: escalation, notify: [advisor]}
  awaiting_consent:
    kind: waiting
    deadline: pause
  closed:
    kind: final
open:
  to: opened
  roles: [caseworker]
transitions:
  - {event: ask, from: opened, to: awaiting_reply, roles: [caseworker]}
  - event: ask_consent
    from: [opened, awaiting_reply]
    to: awaiting_consent
    roles: [caseworker]
  - {event: consent_given, from: awaiting_consent, to: awaiting_reply,
     roles: [caseworker]}
  - {event: close, from: "*", to: closed, roles: [caseworker]}
"""

CALENDAR = BusinessCalendar()


def parse(text: str = WORKFLOW) -> WorkflowRegistry:
    return WorkflowRegistry([parse_workflow(text, source="f.yaml", guards=GUARDS)])


@pytest.fixture
def office(store: CaseStore, clock: FakeClock) -> CaseEngine:
    return make_engine(store, parse(), clock)


def step(engine: CaseEngine, clock: FakeClock, when: str, number: str, event: str):  # type: ignore[no-untyped-def]
    clock.set(parse_instant(when))
    return engine.fire(number, event, actor="jur")


def asked_on_25_november(engine: CaseEngine, clock: FakeClock) -> str:
    """Asked Monday 25 November 2024: the reply is due 9 December."""
    clock.set(parse_instant("2024-11-25T09:00"))
    number = engine.open_case("consent", actor="jur", title="Klage").case.number
    assert step(engine, clock, "2024-11-25T10:00", number, "ask").case.due == date(
        2024, 12, 9
    )
    return number


def explained(engine: CaseEngine, number: str, language: str = "en") -> str:
    shown = engine.show(number)
    definition = engine.registry.get("consent")
    return "\n".join(
        explain(
            definition,
            shown.case,
            shown.history,
            engine.calendar,
            engine.clock.now(),
            language=language,
        )
    )


def test_a_paused_deadline_resumes_with_the_days_left_across_christmas(
    office: CaseEngine, clock: FakeClock
) -> None:
    number = asked_on_25_november(office, clock)
    # Wednesday 4 December: 5, 6 and 9 December are left.
    paused = step(office, clock, "2024-12-04T11:00", number, "ask_consent")
    assert (paused.case.due, paused.case.chase_due) == (None, None)
    entry = paused.history[-1]
    assert (entry.due_before, entry.due_after) == (date(2024, 12, 9), None)
    assert entry.data["paused"] == {
        "state": "awaiting_reply",
        "due": "2024-12-09",
        "working_days_left": 3,
        "chase_position": 0,
    }
    assert chaser_for(office).sweep().chased == ()  # nothing to chase meanwhile
    text = explained(office, number)
    assert (
        "the deadline of 'awaiting_reply', 2024-12-09, was paused on 2024-12-04 with 3 "
        "working day(s) left" in text
    )

    # Friday 20 December: 23, 27 and 30 December (24-26 are closed).
    resumed = step(office, clock, "2024-12-20T09:00", number, "consent_given")
    assert resumed.case.due == date(2024, 12, 30)
    entry = resumed.history[-1]
    assert (entry.due_before, entry.due_after) == (None, date(2024, 12, 30))
    assert entry.data["resumed"] == {
        "state": "awaiting_reply",
        "working_days_left": 3,
        "due": "2024-12-30",
        "paused_due": "2024-12-09",
    }
    text = explained(office, number)
    assert (
        "Its deadline is 2024-12-30: the deadline of 'awaiting_reply' (2024-12-09) "
        "stood still with 3 working day(s) left and continued when the case came "
        "back on 2024-12-20" in text
    )
    assert "2024-12-24 (Christmas Eve)" in text
    assert "fristen i 'awaiting_reply' (2024-12-09) stod stille med 3" in (
        explained(office, number, "da")
    )
    report = verify_store(office.store)
    assert report.ok, report.problems


def test_the_chase_carries_on_from_the_rung_it_had_reached(
    office: CaseEngine, clock: FakeClock
) -> None:
    number = asked_on_25_november(office, clock)
    chaser = chaser_for(office)
    clock.set(parse_instant("2024-12-10T08:00"))
    assert [c.rung for c in chaser.sweep().chased] == ["reminder_1"]
    assert office.show(number).case.due == date(2024, 12, 17)  # 5 working days
    # Thursday 12 December: 13, 16 and 17 December are left.
    paused = step(office, clock, "2024-12-12T09:00", number, "ask_consent")
    assert paused.history[-1].data["paused"]["chase_position"] == 1
    resumed = step(office, clock, "2024-12-20T09:00", number, "consent_given")
    assert (resumed.case.due, resumed.case.chase_position) == (date(2024, 12, 30), 1)
    assert resumed.case.chase_due == date(2024, 12, 30)
    clock.set(parse_instant("2024-12-30T20:00"))
    assert chaser.sweep().chased == ()  # the deadline runs to the end of its day
    clock.set(parse_instant("2025-01-02T08:00"))
    assert [c.rung for c in chaser.sweep().chased] == ["escalation"]


def test_a_deadline_paused_when_overdue_resumes_as_overdue(
    memory_store: InMemoryCaseStore, clock: FakeClock
) -> None:
    office = make_engine(memory_store, parse(), clock)
    number = asked_on_25_november(office, clock)
    # Wednesday 11 December: overdue by 2 working days (10 and 11 December).
    paused = step(office, clock, "2024-12-11T09:00", number, "ask_consent")
    assert paused.history[-1].data["paused"]["working_days_left"] == -2
    assert "overdue by 2 working day(s); it continues, as overdue" in explained(
        office, number
    )
    resumed = step(office, clock, "2024-12-20T09:00", number, "consent_given")
    assert resumed.case.due == date(2024, 12, 18)  # overdue by 19 and 20 December
    assert "overdue by 2 working day(s)" in explained(office, number)


def test_nothing_runs_when_nothing_ran_and_another_state_starts_its_own(
    memory_store: InMemoryCaseStore, clock: FakeClock
) -> None:
    office = make_engine(memory_store, parse(), clock)
    clock.set(parse_instant("2024-11-25T09:00"))
    number = office.open_case("consent", actor="jur", title="Klage").case.number
    paused = step(office, clock, "2024-11-25T10:00", number, "ask_consent")
    assert "paused" not in paused.history[-1].data
    assert "none was running when the case came here" in explained(office, number)
    # no deadline stood still: awaiting_reply's own 10 working days, from 2 December
    after = step(office, clock, "2024-12-02T09:00", number, "consent_given")
    assert after.case.due == date(2024, 12, 16)
    assert "resumed" not in after.history[-1].data


def test_leaving_the_pause_for_another_state_drops_the_stopped_deadline(
    memory_store: InMemoryCaseStore, clock: FakeClock
) -> None:
    office = make_engine(memory_store, parse(), clock)
    number = asked_on_25_november(office, clock)
    step(office, clock, "2024-12-04T11:00", number, "ask_consent")
    closed = step(office, clock, "2024-12-05T11:00", number, "close")
    assert (closed.case.state, closed.case.due) == ("closed", None)
    assert "resumed" not in closed.history[-1].data


@pytest.mark.parametrize(
    ("on", "due", "left"),
    [
        (date(2024, 12, 4), date(2024, 12, 9), 3),
        (date(2024, 12, 9), date(2024, 12, 9), 0),
        (date(2024, 12, 11), date(2024, 12, 9), -2),
        (date(2024, 12, 23), date(2024, 12, 20), -1),  # the weekend is no day
    ],
)
def test_days_left_is_what_resuming_gives_back(on: date, due: date, left: int) -> None:
    assert days_left(CALENDAR, on, due) == left
    assert resume_on(CALENDAR, on, left) == due


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "  opened:\n    kind: initial\n",
            "  opened:\n    kind: initial\n    deadline: pause\n",
            "f.yaml:7: states.opened.deadline: an initial state cannot pause a "
            "deadline: no state comes before it",
            id="initial",
        ),
        pytest.param(
            "    deadline: pause\n",
            "    deadline: pause\n    chase: {rungs: [{name: r, notify: [owner]}]}\n",
            "states.awaiting_consent.chase: a state that pauses the deadline has "
            "none to chase",
            id="chased",
        ),
        pytest.param(
            "    deadline: pause\n",
            "    deadline: stop\n",
            "states.awaiting_consent.deadline: 'stop' is not a deadline",
            id="not-pause",
        ),
        pytest.param(
            "  closed:\n    kind: final\n",
            "  closed:\n    kind: final\n    deadline: pause\n",
            "a final state cannot have a deadline",
            id="final",
        ),
        pytest.param(
            "  - {event: ask, from: opened, to: awaiting_reply, roles: [caseworker]}",
            "  - {event: ask, from: opened, to: awaiting_reply, roles: [caseworker],"
            " data: {paused: {type: text}}}",
            "'paused' is the engine's own word in an entry",
            id="field",
        ),
    ],
)
def test_a_bad_pause_is_refused_with_its_file_and_line(
    old: str, new: str, expected: str
) -> None:
    assert WORKFLOW.count(old) == 1
    with pytest.raises(DefinitionError) as caught:
        parse(WORKFLOW.replace(old, new))
    assert any(
        p.startswith("f.yaml:") and expected in p for p in caught.value.problems
    ), caught.value.problems


def test_diagrams_draw_the_clock_that_stands_still() -> None:
    definition = parse().get("consent")
    assert "deadline: the previous state's stands still" in to_mermaid(definition)
    assert "frist: den forrige tilstands står stille" in to_svg(
        definition, language="da"
    )
