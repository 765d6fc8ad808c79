"""How long a case has waited in a state without a deadline, and whether it is stale.

A state with a deadline is watched by it: the case falls overdue and is chased.
One without (an old version's intake queue, a decision waiting to be closed)
is watched by nothing, so a case could sit there unseen. Such a case shows its
age instead: the working days since it entered its state, counted on the
office calendar as a deadline is (the day it entered not counted), so a case
opened on a Friday is in `opened` for 1 working day on Monday. A case is
stale once its age reaches the state's `stale_after`; a closed case has no age.

Both are judged as of a day the caller reads from its clock (`local_date`),
never the wall clock here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.dates.calendars import COPENHAGEN, BusinessCalendar, local_date
from engine.records import Case, StalePlace
from engine.workflow.definition import Duration, State, StateKind, WorkflowDefinition

# A calendar without a working day for a whole year is broken (as
# `BusinessCalendar` says): the walk back stops there rather than run on.
_MOST_CLOSED = 366


@dataclass(frozen=True, kw_only=True, slots=True)
class StateAge:
    """A case's time in a state without a deadline."""

    state: str
    working_days: int  # since it entered the state, that day not counted
    stale_after: int | None = None  # the state's `stale_after`, in working days

    @property
    def stale(self) -> bool:
        return self.stale_after is not None and self.working_days >= self.stale_after


def state_age(
    case: Case, state: State, *, calendar: BusinessCalendar, today: date
) -> StateAge | None:
    """The age of `case` in `state`, its present state, on `today`.

    None when the case has a deadline (it is overdue or not, which says more)
    or the state is final.
    """
    if case.due is not None or state.kind is StateKind.FINAL:
        return None
    entered = local_date(case.state_entered_at)
    return StateAge(
        state=state.name,
        working_days=calendar.working_days_between(entered, today),
        stale_after=state.stale_after.amount if state.stale_after else None,
    )


def stale_before(
    calendar: BusinessCalendar, stale_after: Duration, today: date
) -> datetime:
    """The instant (UTC) before which a case must have entered its state to be
    stale on `today`: the start of the day after the latest day with at least
    `stale_after` working days between it and `today`.

    Raises:
        ValueError: the calendar has no working day for a year (a broken one).
    """
    day, counted, gap = today, 0, 0
    while counted < stale_after.amount:
        if calendar.is_working_day(day):
            counted, gap = counted + 1, 0
        elif (gap := gap + 1) > _MOST_CLOSED:
            raise ValueError(f"{calendar.id}: no working day within a year of {day}")
        day -= timedelta(days=1)
    # `counted` working days lie in (day, today]: entered on `day` or before.
    start = datetime.combine(day + timedelta(days=1), time.min, tzinfo=COPENHAGEN)
    return start.astimezone(UTC)


def stale_places(
    definition: WorkflowDefinition, calendar: BusinessCalendar, today: date
) -> list[StalePlace]:
    """Where a case of `definition` is stale on `today`: each state with
    `stale_after`, and the instant its cases must have entered it before."""
    return [
        StalePlace(
            workflow=definition.name,
            version=definition.version,
            state=state.name,
            entered_before=stale_before(calendar, state.stale_after, today),
        )
        for state in definition.states
        if state.stale_after is not None
    ]
