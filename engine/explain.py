"""`case explain`: why a case is where it is, and what happens next, in words.

Built from the case, its record, its workflow declaration and the calendar:
which step brought it into its state, which rule set its deadline (a date given
in the data, a duration counted from entering the state or from a named date,
or a chase rung), which days the calendar skipped while counting, and which
rung fires next and when. Pure: no store, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from engine.calendars import BusinessCalendar, local_date
from engine.definition import CHASE_EVENT, Rung, State, WorkflowDefinition
from engine.eventdata import field_date
from engine.records import AuditEntry, Case


def explain(
    definition: WorkflowDefinition,
    case: Case,
    history: Sequence[AuditEntry],
    calendar: BusinessCalendar,
    now: datetime,
) -> list[str]:
    """The explanation, one sentence a line."""
    state = definition.state(case.state)
    today = local_date(now)
    entered = next(
        (e for e in reversed(history) if e.seq == case.state_entry_seq), None
    )
    lines = [
        f"Case {case.number} ({definition.name}, version {definition.version}) is "
        f"'{case.state}'" + (f": {state.description}" if state.description else "."),
    ]
    if entered is not None:
        lines.append(
            f"It entered '{case.state}' on {local_date(entered.at)} by "
            f"'{entered.event}' ({entered.actor}, {entered.role})."
        )
    lines.extend(_deadline(state, case, history, calendar, today))
    lines.extend(_next(definition, state, case, calendar, today))
    return lines


def _deadline(
    state: State,
    case: Case,
    history: Sequence[AuditEntry],
    calendar: BusinessCalendar,
    today: date,
) -> list[str]:
    if case.due is None:
        return ["It has no deadline in this state."]
    setter = next((e for e in reversed(history) if e.due_after == case.due), None)
    lines = []
    if setter is not None and setter.event == CHASE_EVENT:
        rung = setter.data.get("rung")
        start = local_date(setter.at)
        lines.append(
            f"Its deadline is {case.due}: set when the chase rung '{rung}' fired on "
            f"{start}, counting that rung's next deadline from that day."
        )
    else:
        spec = state.deadline
        given = field_date(case.data.get(spec.until)) if spec and spec.until else None
        if spec is not None and given is not None:
            lines.append(
                f"Its deadline is {case.due}: the date given as '{spec.until}'."
            )
            start = None
        else:
            start = local_date(case.state_entered_at)
            counted = "entering the state"
            if spec is not None and spec.counted_from:
                named = field_date(case.data.get(spec.counted_from))
                if named is not None:
                    start, counted = named, f"'{spec.counted_from}'"
            rule = str(spec.within) if spec is not None and spec.within else "?"
            lines.append(
                f"Its deadline is {case.due}: {rule} after {counted} ({start}), "
                "that day not counted."
            )
    if start is not None and case.due > start:
        skipped = calendar.closed_days_between(start, case.due)
        if skipped:
            days = ", ".join(f"{d} ({why})" for d, why in skipped)
            lines.append(f"The calendar ({calendar.id}) skipped: {days}.")
    lines.append(
        "A deadline runs to the end of its day, Copenhagen time; the case is "
        "overdue from the next day."
    )
    if today > case.due:
        late = calendar.working_days_between(case.due, today)
        lines.append(f"As of {today} it is overdue by {late} working day(s).")
    else:
        left = calendar.working_days_between(today, case.due)
        lines.append(f"As of {today}, {left} working day(s) remain.")
    return lines


def _next(
    definition: WorkflowDefinition,
    state: State,
    case: Case,
    calendar: BusinessCalendar,
    today: date,
) -> list[str]:
    lines = []
    coming = next_chase(state, case, calendar, today)
    if coming is not None:
        number, rung, when = coming
        then = f"; the next deadline is {rung.next} from then" if rung.next else ""
        lines.append(
            f"Next, unless the case moves on: chase rung {number} "
            f"'{rung.name}' notifies {', '.join(rung.notify)} on the first sweep on "
            f"or after {when}{then}."
        )
    elif state.ladder and state.ladder.rungs:
        lines.append("Every rung of this state's chase ladder has fired.")
    allowed = definition.allowed_events(case.state)
    if allowed:
        lines.append(f"Events allowed now: {', '.join(allowed)}.")
    return lines


def next_chase(
    state: State, case: Case, calendar: BusinessCalendar, today: date
) -> tuple[int, Rung, date] | None:
    """The rung the chaser fires next on `case`, if any is left.

    Returns its number on the ladder (from 1), the rung, and the first day a
    sweep fires it: the working day after the deadline, or today if that
    has passed.
    """
    rungs = state.ladder.rungs if state.ladder else ()
    if case.due is None or case.chase_position >= len(rungs):
        return None
    when = max(calendar.add_working_days(case.due, 1), today)
    return case.chase_position + 1, rungs[case.chase_position], when
