"""How cases, entries, users and workflows read on the command line (text).

The JSON, CSV and the other shapes the surfaces share are `service.present`'s;
these tables and summaries are the command line's alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from engine.cases.ages import StateAge
from engine.cases.view import CaseView
from engine.dates.calendars import BusinessCalendar, is_overdue, local_date
from engine.records import AuditEntry, Case
from engine.workflow.definition import ASSIGN_EVENT, WorkflowDefinition
from service.present import iso, local, recorded_apart, via_text


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def case_text(
    view: CaseView, *, now: datetime, calendar: BusinessCalendar, age: StateAge | None
) -> str:
    c = view.case
    due = "none"
    if c.due is not None:
        due = c.due.isoformat() + " (end of day, Copenhagen time)"
        if is_overdue(c.due, now):
            n = calendar.working_days_between(c.due, local_date(now))
            due += f": OVERDUE by {n} working day{'s' if n != 1 else ''}"
    lines = [
        f"Case {c.number}: {c.title}",
        f"  workflow   {c.workflow} (version {c.workflow_version})",
        f"  state      {c.state} (since {local(c.state_entered_at)})",
        f"  owner      {c.owner or 'unassigned'}",
        f"  deadline   {due}",
        *([f"  age        {age_text(age)}"] if age is not None else []),
        f"  opened     {local(c.opened_at)}",
    ]
    if c.erased is not None:
        why = c.erased.get("rule") or c.erased.get("reason")
        lines.append(
            f"  erased     personal data, {c.erased.get('at')} by "
            f"{c.erased.get('by')}: {why}"
        )
    for p in c.parties:
        lines.append(f"  {p.role:<10} {p.name}" + (f" <{p.email}>" if p.email else ""))
    for key, value in sorted(c.data.items()):
        shown = (
            {True: "yes", False: "no"}.get(value, value)
            if isinstance(value, bool)
            else value
        )
        lines.append(f"  {key:<10} {shown}")
    if view.documents:
        lines += ["", "Documents"]
        docs = [
            (d.number, iso(d.date) or "", d.direction, d.title) for d in view.documents
        ]
        lines.append(_indent(table(docs, ("number", "date", "direction", "title"))))
    lines += ["", "History"]
    rows = [_history_row(e) for e in view.history]
    lines.append(
        _indent(
            table(
                rows,
                (
                    "#",
                    "effective",
                    "recorded",
                    "event",
                    "from → to",
                    "by",
                    "via",
                    "deadline",
                ),
            )
        )
    )
    return "\n".join(lines)


def _history_row(e: AuditEntry) -> tuple[str, ...]:
    recorded = local(e.recorded_at)
    if not recorded_apart(e.at, e.recorded_at):
        recorded = "same"
    if e.from_state == e.to_state:
        move = f"{e.to_state} (stays)"
    else:
        move = f"{e.from_state or '·'} → {e.to_state}"
    due = iso(e.due_after) or "-"
    if e.due_after != e.due_before and e.due_before is not None:
        due = f"{iso(e.due_before)} → {due}"
    event = e.event
    if e.event == ASSIGN_EVENT:  # who had it, who has it
        said = e.readable
        event = f"assign {said.get('previous') or 'unassigned'} → {said.get('owner')}"
    return (
        str(e.seq),
        local(e.at),
        recorded,
        event,
        move,
        f"{e.actor} ({e.role})",
        via_text(e.via),
        due,
    )


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def cases_text(
    cases: Sequence[Case], *, now: datetime, ages: Mapping[str, StateAge]
) -> str:
    """The cases, one a line; `ages` by case number, for those that have one."""
    rows = [
        (
            c.number,
            c.workflow,
            c.state,
            iso(c.due) or "-",
            _days(ages[c.number].working_days) if c.number in ages else "",
            _flag(c, now, ages.get(c.number)),
            c.owner or "-",
            c.title,
        )
        for c in cases
    ]
    return table(
        rows, ("number", "workflow", "state", "due", "age", "", "owner", "title")
    )


def age_text(age: StateAge) -> str:
    """`in opened for 73 working days`, and whether that makes the case stale."""
    said = f"in {age.state} for {_days(age.working_days)}"
    if age.stale and age.stale_after is not None:
        said += f": STALE (stale after {_days(age.stale_after)})"
    return said


def _flag(case: Case, now: datetime, age: StateAge | None) -> str:
    if is_overdue(case.due, now):
        return "OVERDUE"
    return "STALE" if age is not None and age.stale else ""


def _days(n: int) -> str:
    return f"{n} working day{'s' if n != 1 else ''}"


def audit_table_line(e: AuditEntry) -> str:
    move = f"{e.from_state or '·'} → {e.to_state}"
    doc = f" doc {e.document}" if e.document else ""
    return (
        f"{e.case_number}  #{e.seq:<3} {local(e.at)}  {e.event:<16} {move:<32} "
        f"{e.actor} ({e.role}) via {via_text(e.via)}{doc}"
    ).rstrip()


def workflow_text(d: WorkflowDefinition) -> str:
    lines = [f"{d.name} (version {d.version}): {d.title}"]
    if d.description:
        lines.append(f"  {d.description.strip()}")
    lines.append(f"  parties: {', '.join(d.parties) or 'none'}")
    if d.retention is not None:
        lines.append(f"  retention: {d.retention.describe()}")
    lines += ["", "States"]
    for s in d.states:
        extra = f"  deadline: {s.deadline.describe()}" if s.deadline else ""
        if s.stale_after is not None:
            extra = f"  stale after {s.stale_after} in it"
        lines.append(f"  {s.name:<16} {s.kind.value:<8}{extra}")
        for i, rung in enumerate(s.ladder.rungs if s.ladder else (), start=1):
            nxt = f", next deadline {rung.next}" if rung.next else ""
            lines.append(
                f"  {'':<16} chase {i}: {rung.name} → {', '.join(rung.notify)}{nxt}"
            )
    lines += ["", "Events"]
    for t in (d.opening, *d.transitions):
        src = ", ".join(t.sources) if t.sources else "(new case)"
        dest = t.dest or "(stays)"
        lines.append(f"  {t.event:<16} {src} → {dest}   roles: {', '.join(t.roles)}")
        for f in t.fields:
            req = "required" if f.required else "optional"
            vals = f" ({', '.join(f.values)})" if f.values else ""
            cond = "".join(
                f", required if {o} in {', '.join(v)}" for o, v in f.required_if
            )
            mark = ", personal" if f.personal else ""
            lines.append(
                f"  {'':<16}   {f.name}: {f.type.value}{vals}, {req}{cond}{mark}"
            )
        if t.guards:
            lines.append(f"  {'':<16}   rules: {', '.join(t.guards)}")
    return "\n".join(lines)
