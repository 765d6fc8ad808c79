"""Pure functions that place deadlines on the office calendar.

A deadline is a local date (Europe/Copenhagen) that runs to the end of that day;
it is computed once, when a case enters a state (or a chase rung fires), and
stored with the id of the calendar that computed it.
"""

from __future__ import annotations

from datetime import date, datetime

from engine.dates.calendars import BusinessCalendar, is_overdue, local_date
from engine.records import Case, JsonDict
from engine.workflow.definition import DeadlineSpec, Duration, Rung, State, Unit
from engine.workflow.eventdata import field_date

__all__ = [
    "add_duration",
    "chase_due",
    "due_for_state",
    "is_overdue",
    "next_rung",
    "rung_due",
    "working_days_overdue",
]


def add_duration(calendar: BusinessCalendar, start: date, span: Duration) -> date:
    """`span` after `start` (not counted), rolled to a day a deadline may end on."""
    if span.unit is Unit.WORKING_DAYS:
        return calendar.add_working_days(start, span.amount)
    if span.unit is Unit.CALENDAR_DAYS:
        return calendar.add_calendar_days(start, span.amount)
    if span.unit is Unit.MONTHS:
        return calendar.add_months(start, span.amount)
    if span.unit is Unit.YEARS:
        return calendar.add_months(start, 12 * span.amount)
    return calendar.add_weeks(start, span.amount)


def due_for_state(
    spec: DeadlineSpec | None,
    *,
    entered_on: date,
    data: JsonDict,
    calendar: BusinessCalendar,
) -> date | None:
    """The deadline of a state entered on `entered_on` with case data `data`."""
    if spec is None:
        return None
    if spec.until is not None and (until := field_date(data.get(spec.until))):
        # Even a date already past is the deadline the letter gave: the case is
        # then overdue at once (and chased), never stuck.
        return until
    if spec.within is None:
        return None
    start = entered_on
    if spec.counted_from is not None:
        start = field_date(data.get(spec.counted_from)) or entered_on
    return add_duration(calendar, start, spec.within)


def chase_due(state: State, due: date | None, position: int) -> date | None:
    """The deadline the chaser watches: `due` while the ladder has a rung left."""
    rungs = state.ladder.rungs if state.ladder else ()
    return due if due is not None and position < len(rungs) else None


def next_rung(rungs: tuple[Rung, ...], case: Case, now: datetime) -> Rung | None:
    """The rung to fire now: the case is overdue and rungs remain."""
    if not is_overdue(case.due, now) or case.chase_position >= len(rungs):
        return None
    return rungs[case.chase_position]


def rung_due(calendar: BusinessCalendar, rung: Rung, fired_on: date) -> date | None:
    """The deadline after `rung` fired on `fired_on` (None after the last rung)."""
    return add_duration(calendar, fired_on, rung.next) if rung.next else None


def working_days_overdue(
    calendar: BusinessCalendar, due: date | None, now: datetime
) -> int:
    """How many working days past `due` the case is at `now` (0 when not overdue).

    The deadline runs to the end of its local day (Europe/Copenhagen); the count
    is the working days in (due, local date of `now`]. `case show`, the API, the
    pages, `case explain` and the chase entry (`working_days_overdue`) all count
    with this one function, so they cannot disagree.
    """
    if due is None or not is_overdue(due, now):
        return 0
    return calendar.working_days_between(due, local_date(now))
