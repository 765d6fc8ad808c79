"""When the rules change: what moving one case to a newer workflow version does.

Pure: a case, the declaration it runs under, the one it would move to, the
mapping of states; no store, no clock. `plan_case` says where the case would
be and what its deadline would become, or why it cannot move:

- it is not on an older version, or it is closed;
- its state (after the mapping) has no place in the new version, or is final
  there (a migration never closes a case), or pauses a deadline in one
  version and not the other;
- a field it holds is personal data in one version and not the other (moved,
  a value kept as an erasable commitment would be written into the record in
  clear, or one written in clear could never be erased);
- the new version requires at opening a field it lacks.

The deadline is worked out again under the new rules: from the day the case
entered its state, as if it had entered it under them (a reply deadline
shortened from 20 to 15 working days counts 15 from the same day), from a date
field the new rules name, or the date given in the data. A deadline a sent
reminder set (the chase has fired) or one that resumed after a pause was told
to someone, or counts days no rule gives: it is kept, and the chase goes on
from its rung under the new ladder. `engine.cases.migrating` asks the guards
and writes the moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from engine.dates.calendars import BusinessCalendar, local_date
from engine.dates.deadlines import chase_due, due_for_state
from engine.records import Case
from engine.workflow.definition import StateKind, WorkflowDefinition

__all__ = ["Move", "plan_case"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Move:
    """One case's move to a newer version, or why it cannot move (`refused`)."""

    number: str
    from_version: int
    to_version: int
    state: str
    new_state: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    chase_position: int = 0
    chase_due: date | None = None
    refused: str | None = None  # why it cannot move; None: it moves

    @property
    def moves(self) -> bool:
        return self.refused is None

    def said(self) -> dict[str, object]:
        """The move as the command prints it (`--json`)."""
        return {
            "case": self.number,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "state": self.state,
            "new_state": self.new_state,
            "due_before": _iso(self.due_before),
            "due_after": _iso(self.due_after),
            "moves": self.moves,
            "refused": self.refused,
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def plan_case(
    case: Case,
    source: WorkflowDefinition,
    target: WorkflowDefinition,
    mapping: Mapping[str, str],
    *,
    calendar: BusinessCalendar,
    kept_due: bool = False,
) -> Move:
    """Where `case` (running under `source`) would be under `target`.

    `kept_due`: its deadline resumed after a pause (the caller read the entry
    that brought it into its state); it is kept like one a reminder set.
    """
    base = Move(
        number=case.number,
        from_version=case.workflow_version,
        to_version=target.version,
        state=case.state,
        due_before=case.due,
    )
    refused = _refusal(case, source, target, mapping)
    if refused is not None:
        return replace(base, refused=refused)
    new_state = mapping.get(case.state, case.state)
    there = target.state(new_state)
    if there.pauses:  # paused in both: what stands still stays in its entry
        return replace(base, new_state=new_state)
    ladder = len(there.ladder.rungs) if there.ladder else 0
    if new_state == case.state and (case.chase_position > 0 or kept_due):
        due = case.due
        position = min(case.chase_position, ladder)
    else:
        due = due_for_state(
            there.deadline,
            entered_on=local_date(case.state_entered_at),
            data=case.data,
            calendar=calendar,
        )
        position = 0
    return replace(
        base,
        new_state=new_state,
        due_after=due,
        chase_position=position,
        chase_due=chase_due(there, due, position),
    )


def _refusal(
    case: Case,
    source: WorkflowDefinition,
    target: WorkflowDefinition,
    mapping: Mapping[str, str],
) -> str | None:
    version = case.workflow_version
    if version == target.version:
        return f"already on version {version}"
    if version > target.version:
        return f"on version {version}, newer than {target.version}: cases move forward"
    if case.erased is not None or source.state(case.state).kind is StateKind.FINAL:
        return f"closed ('{case.state}'): only open cases move"
    new_state = mapping.get(case.state, case.state)
    if new_state not in {s.name for s in target.states}:
        return (
            f"version {target.version} has no state '{new_state}': "
            f"give --map {case.state}=STATE"
        )
    there = target.state(new_state)
    if there.kind is StateKind.FINAL:
        return f"'{new_state}' is final in version {target.version}"
    if there.pauses != source.state(case.state).pauses:
        return (
            f"'{case.state}' and '{new_state}' differ in pausing the deadline: "
            "move the case out of that state first"
        )
    held = {name for name, value in case.data.items() if value is not None}
    for name in sorted(held & (source.personal_fields ^ target.personal_fields)):
        if name in target.personal_fields:
            return (
                f"'{name}' is personal data in version {target.version} but was "
                f"kept in clear under version {version}: it could not be erased"
            )
        return (
            f"'{name}' is personal data under version {version} but not in "
            f"version {target.version}: moving would write it in clear"
        )
    for spec in target.opening.fields:
        if spec.required and not spec.default_today and spec.name not in held:
            return (
                f"version {target.version} requires '{spec.name}' at opening, "
                "which this case lacks"
            )
    return None
