"""The timeline's reminders: how overdue each chase was, old entries too."""

from __future__ import annotations

from datetime import date

import pytest

from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.records import AuditEntry
from service.pages.timeline import Reminder, build

CHASED_AT = parse_instant("2024-11-07T09:00")  # reply due 6 Nov: 1 working day


def chase(data: dict[str, object]) -> AuditEntry:
    return AuditEntry(
        case_id=1,
        case_number="2024-0000001",
        seq=4,
        event="chase",
        from_state="awaiting_reply",
        to_state="awaiting_reply",
        actor="system",
        role="system",
        at=CHASED_AT,
        recorded_at=CHASED_AT,
        data={
            "rung": "reminder_1",
            "rung_number": 1,
            "due_missed": "2024-11-06",
            "notified": ["authority", "owner"],
            **data,
        },
        due_before=date(2024, 11, 6),
        due_after=date(2024, 11, 21),
        workflow="ombudsman-inquiry",
        workflow_version=1,
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"working_days_overdue": 1}, id="new-entry"),
        # sealed before `working_days_overdue`: the sweep's lag, one less; the
        # figure shown is counted again as `case show` counts it
        pytest.param({"working_days_late": 0}, id="old-entry"),
    ],
)
def test_a_reminder_shows_how_overdue_the_case_was(data: dict[str, object]) -> None:
    items = build(
        [chase(data)], [], calendar=BusinessCalendar(), today=date(2024, 11, 8)
    )
    [reminder] = [i for i in items if isinstance(i, Reminder)]
    assert (reminder.missed, reminder.late) == (date(2024, 11, 6), 1)
