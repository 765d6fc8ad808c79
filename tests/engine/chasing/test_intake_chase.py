"""The intake deadline of `ombudsman-inquiry` version 3, and its chase.

The office decides within 10 working days of the opening whether to take a
case up; late, a reminder goes out, and 5 working days after that the advisor
is told. A case opened on Tuesday 8 October 2024 is due Tuesday 22 October:
the reminder fires on the first sweep of 23 October (a new deadline of
Wednesday 30 October), the advisor's notice on 31 October, and nothing after.
On every store, the sweeps on the fake clock.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.cases.engine import CaseEngine
from engine.chasing.chaser import Chaser
from engine.dates.timeparse import parse_instant
from engine.testing import FakeClock, chaser_for

WORKFLOW = "ombudsman-inquiry"


def at(text: str) -> datetime:
    """A Copenhagen local time as a UTC instant."""
    return parse_instant(text)


def sweep_at(chaser: Chaser, clock: FakeClock, moment: str) -> list[tuple[str, date]]:
    clock.set(at(moment))
    return [(c.rung, c.due) for c in chaser.sweep().chased]


@pytest.fixture
def chaser(engine: CaseEngine) -> Chaser:
    return chaser_for(engine)


@pytest.fixture
def opened(engine: CaseEngine, clock: FakeClock) -> str:
    clock.set(at("2024-10-08T10:00"))
    view = engine.open_case(
        WORKFLOW, actor="jur", title="Klage over sagsbehandlingstid"
    )
    assert (view.case.state, view.case.due) == ("opened", date(2024, 10, 22))
    return view.case.number


def test_late_intake_is_reminded_then_told_to_the_advisor(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock, opened: str
) -> None:
    assert sweep_at(chaser, clock, "2024-10-22T23:30") == []  # the due day itself
    assert sweep_at(chaser, clock, "2024-10-23T00:30") == [
        ("intake_reminder", date(2024, 10, 22))
    ]
    reminded = engine.show(opened)
    assert (reminded.case.due, reminded.case.chase_position) == (date(2024, 10, 30), 1)
    assert sweep_at(chaser, clock, "2024-10-30T16:00") == []
    assert sweep_at(chaser, clock, "2024-10-31T07:00") == [
        ("intake_escalation", date(2024, 10, 30))
    ]
    assert sweep_at(chaser, clock, "2024-11-15T07:00") == []  # the ladder is spent

    view = engine.show(opened)
    chases = [e for e in view.history if e.event == "chase"]
    assert [(e.data["rung"], e.due_before, e.due_after) for e in chases] == [
        ("intake_reminder", date(2024, 10, 22), date(2024, 10, 30)),
        ("intake_escalation", date(2024, 10, 30), date(2024, 10, 30)),
    ]
    assert view.case.state == "opened"
    with engine.store.transaction(write=False) as tx:
        escalated = [
            n.recipient
            for n in tx.list_notifications()
            if n.kind == "notice" and "intake_escalation" in n.idempotency_key
        ]
    assert escalated == ["advisor: bra (no e-mail address)"]


def test_taking_the_case_up_in_time_ends_the_intake_chase(
    engine: CaseEngine, chaser: Chaser, clock: FakeClock, opened: str
) -> None:
    clock.set(at("2024-10-22T15:00"))
    sent = engine.fire(opened, "send_inquiry", actor="jur")
    assert (sent.case.state, sent.case.due) == ("inquiry_sent", date(2024, 10, 24))

    assert sweep_at(chaser, clock, "2024-10-23T07:00") == []
    assert all(e.event != "chase" for e in engine.show(opened).history)


def test_a_weekend_and_a_holiday_are_not_counted(
    engine: CaseEngine, clock: FakeClock
) -> None:
    """Opened on Friday 20 December 2024: the weekends, 24-26 December, the
    office's 31 December and New Year's Day are skipped: 23, 27 and 30
    December, then 2-3 and 6-10 January: due Friday 10 January."""
    clock.set(at("2024-12-20T10:00"))
    view = engine.open_case(WORKFLOW, actor="jur", title="Klage over afslag")
    assert view.case.due == date(2025, 1, 10)
