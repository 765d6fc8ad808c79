"""`case explain`: the state, the rule behind the deadline, what comes next."""

from __future__ import annotations

from datetime import date

import pytest

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.explain.case import explain
from engine.explain.words import day_reason
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from tests.engine.chasing.test_chaser import founding_case


def _explain(
    engine: CaseEngine, number: str, when: str, *, language: str = "en"
) -> str:
    view = engine.show(number)
    registry: WorkflowRegistry = engine.registry
    definition = registry.get(view.case.workflow, view.case.workflow_version)
    lines = explain(
        definition,
        view.case,
        view.history,
        engine.calendar,
        parse_instant(when),
        language=language,
    )
    return "\n".join(lines)


def test_the_founding_deadline_is_explained_to_the_day(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(fast_engine, clock)
    text = _explain(fast_engine, number, "2024-10-20T10:00")
    assert "entered 'awaiting_reply' on 2024-10-09 by 'mark_dispatched'" in text
    assert (
        "Its deadline is 2024-11-06: 20 working days after entering the state "
        "(2024-10-09), that day not counted." in text
    )
    assert "2024-10-26 (Saturday), 2024-10-27 (Sunday)" in text
    assert "13 working day(s) remain" in text
    assert "chase rung 1 'reminder_1' notifies authority, owner" in text
    assert "on or after 2024-11-07; the next deadline is 10 working days" in text
    assert "Events allowed now: extend_deadline, receive_reply, withdraw, note." in text


def test_a_date_given_in_the_data_is_named_as_the_rule(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(fast_engine, clock)
    fast_engine.fire(
        number,
        "extend_deadline",
        actor="jur",
        data={"reply_by": "2024-11-20", "reason": "Asked for time"},
    )
    text = _explain(fast_engine, number, "2024-11-25T10:00")
    assert "Its deadline is 2024-11-20: the date given as 'reply_by'." in text
    assert "overdue by 3 working day(s)" in text


def test_a_deadline_set_by_a_chase_rung_says_so(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(fast_engine, clock)
    clock.set(parse_instant("2024-11-07T09:00"))
    chaser_for(fast_engine).sweep()
    text = _explain(fast_engine, number, "2024-11-08T09:00")
    assert "Its deadline is 2024-11-21: set when the chase rung 'reminder_1'" in text
    assert "chase rung 2 'reminder_2' notifies authority_management" in text


def test_past_its_last_rung_the_rung_that_set_the_deadline_is_named(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    """The escalation (no `next`) left the deadline reminder 2 set."""
    number = founding_case(fast_engine, clock)
    chaser = chaser_for(fast_engine)
    for when in ("2024-11-07T09:00", "2024-11-22T09:00", "2024-12-02T09:00"):
        clock.set(parse_instant(when))
        chaser.sweep()
    view = fast_engine.show(number)
    rungs = [e.data["rung"] for e in view.history if e.event == "chase"]
    assert rungs == ["reminder_1", "reminder_2", "escalation"]
    assert view.case.due == date(2024, 11, 29)  # 22 Nov + 5 working days
    text = _explain(fast_engine, number, "2024-12-03T09:00")
    assert (
        "Its deadline is 2024-11-29: set when the chase rung 'reminder_2' fired "
        "on 2024-11-22" in text
    )
    assert "'escalation' fired" not in text


def test_a_closed_case_has_no_deadline(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(fast_engine, clock)
    clock.set(parse_instant("2024-11-20T12:00"))
    fast_engine.fire(number, "receive_reply", actor="jur")
    fast_engine.fire(
        number, "close", actor="bra", data={"outcome": "no_further_action"}
    )
    text = _explain(fast_engine, number, "2024-11-21T09:00")
    assert "It has no deadline in this state." in text
    assert "Events allowed now: reopen, note." in text


def test_in_danish_the_same_reasons_are_said_with_danish_days_and_units(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(fast_engine, clock)
    text = _explain(fast_engine, number, "2024-10-20T10:00", language="da")
    assert (
        "Sag " + number + " (ombudsman-inquiry, version 3) er i 'awaiting_reply'"
        in text
    )
    assert "Den kom i 'awaiting_reply' den 2024-10-09 ved 'mark_dispatched'" in text
    assert (
        "Fristen er 2024-11-06: 20 arbejdsdage efter at sagen kom i tilstanden "
        "(2024-10-09), den dag ikke medregnet." in text
    )
    assert "2024-10-26 (Lørdag), 2024-10-27 (Søndag)" in text
    assert "Pr. 2024-10-20 er der 13 arbejdsdag(e) tilbage." in text
    assert "rykkertrin 1 'reminder_1' underretter authority, owner" in text
    assert (
        "den 2024-11-07 eller senere; den næste frist er 10 arbejdsdage derfra" in text
    )
    assert (
        "Hændelser tilladt nu: extend_deadline, receive_reply, withdraw, note." in text
    )
    assert len(text.splitlines()) == len(
        _explain(fast_engine, number, "2024-10-20T10:00").splitlines()
    )


def test_in_danish_holidays_have_their_danish_names() -> None:
    calendar = BusinessCalendar()
    skipped = calendar.closed_days_between(date(2024, 12, 20), date(2025, 1, 2))
    said = [day_reason(d, why, "da") for d, why in skipped]
    assert said == [
        "Lørdag",
        "Søndag",
        "Juleaftensdag",
        "Juledag",
        "Anden juledag",
        "Lørdag",
        "Søndag",
        "Nytårsaftensdag",
        "Nytårsdag",
    ]
    assert [day_reason(d, why, "en") for d, why in skipped][2:4] == [
        "Christmas Eve",
        "Christmas Day",
    ]


def test_an_unknown_language_is_refused(
    fast_engine: CaseEngine, clock: FakeClock
) -> None:
    number = founding_case(fast_engine, clock)
    with pytest.raises(ValueError, match="language must be one of en, da"):
        _explain(fast_engine, number, "2024-10-20T10:00", language="de")
