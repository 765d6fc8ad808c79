"""`case explain`: why a case is where it is, and what happens next, in words.

Built from the case, its record, its workflow declaration and the calendar:
which step brought it into its state, which rule set its deadline (a date given
in the data, a duration counted from entering the state or from a named date,
or a chase rung), which days the calendar skipped while counting, and which
rung fires next and when. Pure: no store, no clock.

`reasons` gives each sentence as a key and its values, with the workflow's
identifiers; `explain` says them in English or Danish (`engine.explain.words`),
states, events and fields in the workflow's labels (`engine.workflow.labels`).
Roles, parties and chase rungs are the workflow's own and stay as declared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from engine.cases.pauses import RESUMED, paused_in
from engine.dates.calendars import BusinessCalendar, local_date
from engine.explain.words import LANGUAGES, day_reason, words
from engine.records import AuditEntry, Case
from engine.workflow.definition import (
    CHASE_EVENT,
    MIGRATE_EVENT,
    Rung,
    State,
    WorkflowDefinition,
)
from engine.workflow.eventdata import field_date
from engine.workflow.labels import Labels, Spoken


@dataclass(frozen=True, slots=True)
class Reason:
    """One sentence of an explanation: its words' key and the values they name."""

    key: str
    values: Mapping[str, object]


def explain(
    definition: WorkflowDefinition,
    case: Case,
    history: Sequence[AuditEntry],
    calendar: BusinessCalendar,
    now: datetime,
    *,
    language: str = "en",
    labels: Labels | None = None,
) -> list[str]:
    """The explanation, one sentence a line, in `language` ("en" or "da").

    States, events and fields read in `labels` (a surface passes its
    workflow's newest, `WorkflowRegistry.labels`); without, as declared. A
    state's description, the workflow's English prose, is said in English only.

    Raises:
        ValueError: an unknown language.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    spoken = labels.speaking(language) if labels is not None else None
    found = reasons(definition, case, history, calendar, now)
    return [say(r, language, spoken) for r in found]


def say(reason: Reason, language: str, spoken: Spoken | None = None) -> str:
    """`reason` in `language`: its template filled in, lists joined, days named,
    the workflow's identifiers in `spoken`'s labels (as they are without)."""
    table = words(language)
    key = "state" if reason.key == "state.described" and language != "en" else None
    values = dict(reason.values)
    if spoken is not None:
        _label(values, spoken)
    if "skipped" in values:
        skipped: Sequence[tuple[date, str]] = values.pop("skipped")  # type: ignore[assignment]
        values["days"] = ", ".join(
            f"{d} ({day_reason(d, why, language)})" for d, why in skipped
        )
    for name in ("notify", "events"):
        if name in values:
            values[name] = ", ".join(values[name])  # type: ignore[arg-type]
    if "rule" in values:
        values["rule"] = table.duration(values["rule"])
    if "then" in values:
        then = values["then"]
        values["then"] = (
            table.text("next.then", rule=table.duration(then)) if then else ""
        )
    return table.text(key or reason.key, **values)


def _label(values: dict[str, object], spoken: Spoken) -> None:
    """Say the identifiers among `values` in their labels, in place."""
    for name, say_one in (
        ("state", spoken.state),
        ("event", spoken.event),
        ("field", spoken.field),
        ("workflow", spoken.workflow),
        ("rung", spoken.rung),
        ("name", spoken.rung),  # the next rung's
    ):
        if isinstance(values.get(name), str):
            values[name] = say_one(str(values[name]))
    events = values.get("events")
    if isinstance(events, tuple | list):
        values["events"] = [spoken.event(str(e)) for e in events]
    notify = values.get("notify")
    if isinstance(notify, tuple | list):  # party roles, and the office's people
        values["notify"] = [spoken.target(str(t)) for t in notify]


def reasons(
    definition: WorkflowDefinition,
    case: Case,
    history: Sequence[AuditEntry],
    calendar: BusinessCalendar,
    now: datetime,
) -> list[Reason]:
    """The explanation as sentences to be said in a language (`say`)."""
    state = definition.state(case.state)
    today = local_date(now)
    entered = next(
        (e for e in reversed(history) if e.seq == case.state_entry_seq), None
    )
    about = {
        "number": case.number,
        "workflow": definition.name,
        "version": definition.version,
        "state": case.state,
    }
    found = [
        Reason("state.described", {**about, "description": state.description})
        if state.description
        else Reason("state", about)
    ]
    if entered is not None:
        found.append(
            Reason(
                "entered",
                {
                    "state": case.state,
                    "day": local_date(entered.at),
                    "event": entered.event,
                    "actor": entered.actor,
                    "role": entered.role,
                },
            )
        )
    moved = next((e for e in reversed(history) if e.event == MIGRATE_EVENT), None)
    if moved is not None:
        found.append(
            Reason(
                "migrated",
                {
                    "from": moved.readable.get("from_version"),
                    "to": moved.workflow_version,
                    "day": local_date(moved.at),
                    "actor": moved.actor,
                },
            )
        )
    found.extend(_deadline(state, case, history, calendar, today))
    found.extend(_next(definition, state, case, calendar, today))
    return found


def _deadline(
    state: State,
    case: Case,
    history: Sequence[AuditEntry],
    calendar: BusinessCalendar,
    today: date,
) -> list[Reason]:
    if case.due is None:
        return _paused(case, history) if state.pauses else [Reason("no_deadline", {})]
    setter = _setter(case, history)
    found = []
    start: date | None
    resumed = setter.data.get(RESUMED) if setter is not None else None
    if setter is not None and isinstance(resumed, Mapping):
        start = local_date(setter.at)
        said = resumed.get("working_days_left")  # a number the engine wrote
        left = said if isinstance(said, int) and not isinstance(said, bool) else 0
        found.append(
            Reason(
                "deadline.resumed" if left >= 0 else "deadline.resumed.late",
                {
                    "due": case.due,
                    "state": case.state,
                    "paused_due": resumed.get("paused_due"),
                    "n": abs(left),
                    "start": start,
                },
            )
        )
    elif setter is not None and setter.event == CHASE_EVENT:
        start = local_date(setter.at)
        rung = setter.data.get("rung")
        found.append(
            Reason("deadline.rung", {"due": case.due, "rung": rung, "start": start})
        )
    else:
        spec = state.deadline
        given = field_date(case.data.get(spec.until)) if spec and spec.until else None
        if spec is not None and given is not None:
            found.append(
                Reason("deadline.given", {"due": case.due, "field": spec.until})
            )
            start = None
        else:
            start = local_date(case.state_entered_at)
            field = None
            if spec is not None and spec.counted_from:
                named = field_date(case.data.get(spec.counted_from))
                if named is not None:
                    start, field = named, spec.counted_from
            rule = spec.within if spec is not None else None
            values = {"due": case.due, "rule": rule, "start": start}
            if field is None:
                found.append(Reason("deadline.counted", values))
            else:
                found.append(
                    Reason("deadline.counted_from", {**values, "field": field})
                )
    if start is not None and case.due > start:
        skipped = calendar.closed_days_between(start, case.due)
        if skipped:
            found.append(
                Reason("skipped", {"calendar": calendar.id, "skipped": skipped})
            )
    found.append(Reason("end_of_day", {}))
    if today > case.due:
        late = calendar.working_days_between(case.due, today)
        found.append(Reason("overdue", {"today": today, "n": late}))
    else:
        left = calendar.working_days_between(today, case.due)
        found.append(Reason("remain", {"today": today, "n": left}))
    return found


def _paused(case: Case, history: Sequence[AuditEntry]) -> list[Reason]:
    """A state whose clock stands still: whose deadline, since when, what is left."""
    stood = paused_in(case, history)
    if stood is None:
        return [Reason("paused.none", {})]
    left = stood.working_days_left
    return [
        Reason(
            "paused" if left >= 0 else "paused.late",
            {
                "state": stood.state,
                "due": stood.due,
                "start": local_date(case.state_entered_at),
                "n": abs(left),
            },
        )
    ]


def _setter(case: Case, history: Sequence[AuditEntry]) -> AuditEntry | None:
    """The entry that set the deadline: the last that changed it to `case.due`.

    A step that left it as it was (a rung without `next`, like an escalation,
    or a note) did not set it; the walk back stops at the entry into the state.
    """
    found = None
    for entry in reversed(history):
        if found is None and entry.due_after != case.due:
            continue
        if entry.due_after != case.due:
            break
        found = entry
        if entry.due_before != case.due or entry.seq <= case.state_entry_seq:
            break
    return found


def _next(
    definition: WorkflowDefinition,
    state: State,
    case: Case,
    calendar: BusinessCalendar,
    today: date,
) -> list[Reason]:
    found = []
    coming = next_chase(state, case, calendar, today)
    if coming is not None:
        number, rung, when = coming
        found.append(
            Reason(
                "next",
                {
                    "number": number,
                    "name": rung.name,
                    "notify": rung.notify,
                    "when": when,
                    "then": rung.next,
                },
            )
        )
    elif state.ladder and state.ladder.rungs:
        found.append(Reason("ladder_spent", {}))
    allowed = definition.allowed_events(case.state)
    if allowed:
        found.append(Reason("allowed", {"events": allowed}))
    return found


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
