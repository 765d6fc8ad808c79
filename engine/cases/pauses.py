"""A clock that stands still: states declared `deadline: pause`.

A case entering such a state from a state with a deadline (say `awaiting_reply`,
while the office waits for the citizen's consent) stops that deadline: the
step's entry records it under `paused` (the state, its deadline, the working
days left then, its chase position) and the case has no deadline while it
waits. Going back to that state, the deadline continues with the working days
that were left, counted from the day it resumes, and the chase carries on from
the rung it had reached; that entry records it under `resumed`. Working days
left is signed: a case already overdue by 3 working days when paused is
overdue by 3 again the day it resumes. Moving on to any other state starts that
state's own deadline, as every state does.

A step from one pause state to another keeps the same stopped deadline (the
entry records `paused` again, so the entry a case's state was entered by always
says what stands still). Both keys are the engine's: no event may take a field
of those names (`engine.workflow.fields`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from engine.dates.calendars import BusinessCalendar
from engine.dates.deadlines import chase_due
from engine.records import AuditEntry, Case, JsonDict
from engine.workflow.definition import WorkflowDefinition

PAUSED = "paused"
RESUMED = "resumed"

__all__ = [
    "PAUSED",
    "RESUMED",
    "Paused",
    "days_left",
    "pause_moves",
    "paused_in",
    "resume_on",
]


@dataclass(frozen=True, slots=True)
class Paused:
    """A deadline that stands still: whose it is, where it stood, what was left."""

    state: str  # the state whose deadline stopped
    due: date  # its deadline when it stopped
    working_days_left: int  # signed: negative when it was already overdue
    chase_position: int  # the rungs that state had fired

    def said(self) -> JsonDict:
        return {
            "state": self.state,
            "due": self.due.isoformat(),
            "working_days_left": self.working_days_left,
            "chase_position": self.chase_position,
        }

    @classmethod
    def read(cls, value: object) -> Paused | None:
        """The `paused` an entry recorded (None: none, or not one we wrote)."""
        if not isinstance(value, Mapping):
            return None
        try:
            return cls(
                state=str(value["state"]),
                due=date.fromisoformat(str(value["due"])),
                working_days_left=_integer(value["working_days_left"]),
                chase_position=_integer(value["chase_position"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def days_left(calendar: BusinessCalendar, on: date, due: date) -> int:
    """The working days a deadline `due` has left on day `on`: those in
    (on, due]; when `due` is past, minus the working days it is overdue by."""
    if due >= on:
        return calendar.working_days_between(on, due)
    return -calendar.working_days_between(due, on)


def resume_on(calendar: BusinessCalendar, on: date, left: int) -> date:
    """The deadline of a clock restarted on day `on` with `left` working days.

    More than 0: `left` working days after `on` (as any deadline). 0: `on`,
    or the next day a deadline may end on. Less than 0: the working day before
    which `on` is `-left` working days overdue, as it was when it stopped.
    """
    if left > 0:
        return calendar.add_working_days(on, left)
    if left == 0:
        return calendar.roll_forward(on)
    day, counted = on, 0
    while True:  # back past -left working days, counting `on` itself
        if calendar.is_working_day(day):
            counted += 1
            if counted == -left:
                break
        day -= timedelta(days=1)
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def paused_in(case: Case, history: Sequence[AuditEntry]) -> Paused | None:
    """What stands still while `case` is in a pause state: what the entry that
    brought it there recorded."""
    entry = next((e for e in history if e.seq == case.state_entry_seq), None)
    return Paused.read(entry.data.get(PAUSED)) if entry is not None else None


def pause_moves(
    definition: WorkflowDefinition,
    case: Case,
    dest: str,
    *,
    on: date,
    calendar: BusinessCalendar,
    stood: Paused | None,
) -> tuple[dict[str, Any], JsonDict] | None:
    """What a step from `case`'s state to `dest` on day `on` does to a paused
    deadline: the case row's changes and what its entry says, or None when
    neither state pauses one (the destination's own deadline applies).

    `stood` is what stands still when `case` is in a pause state
    (`paused_in`); None there means nothing was running when it paused.
    """
    here, there = definition.state(case.state), definition.state(dest)
    if there.pauses:
        if here.pauses:
            held = stood
        elif case.due is not None:
            held = Paused(
                state=case.state,
                due=case.due,
                working_days_left=days_left(calendar, on, case.due),
                chase_position=case.chase_position,
            )
        else:
            held = None
        stopped = _stopped()
        return stopped, ({PAUSED: held.said()} if held is not None else {})
    if not here.pauses or stood is None or dest != stood.state:
        return None
    due = resume_on(calendar, on, stood.working_days_left)
    return (
        {
            "due": due,
            "calendar": calendar.id,
            "chase_position": stood.chase_position,
            "chase_due": chase_due(there, due, stood.chase_position),
        },
        {
            RESUMED: {
                "state": dest,
                "working_days_left": stood.working_days_left,
                "due": due.isoformat(),
                "paused_due": stood.due.isoformat(),
            }
        },
    )


def _stopped() -> dict[str, Any]:
    return {"due": None, "calendar": None, "chase_position": 0, "chase_due": None}
