"""How cases, entries, users and workflows read on the command line (text).

The JSON, CSV and the other shapes the surfaces share are `service.present`'s;
these tables and summaries are the command line's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from engine.cases.ages import StateAge
from engine.cases.view import CaseView
from engine.dates.calendars import BusinessCalendar, is_overdue
from engine.dates.deadlines import working_days_overdue
from engine.records import AuditEntry, Case
from engine.workflow.definition import ASSIGN_EVENT, WorkflowDefinition
from engine.workflow.labels import Labels, Spoken
from service.cli.words import Words
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
    view: CaseView,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    age: StateAge | None,
    spoken: Spoken | None = None,
) -> str:
    """The case as `case show` prints it, in `spoken`'s language and labels.

    Without `spoken`: in English, with the workflow's identifiers.
    """
    said = spoken or Labels().speaking("en")
    w = Words(said.language)
    c = view.case
    due = w("none")
    if c.due is not None:
        due = w("end_of_day", day=c.due.isoformat())
        if is_overdue(c.due, now):
            due += w(
                "overdue",
                days=w.days(working_days_overdue(calendar, c.due, now)),
            )
    facts = [
        (
            w("workflow"),
            w(
                "version",
                workflow=said.workflow(c.workflow),
                version=c.workflow_version,
            ),
        ),
        (
            w("state"),
            w("since", state=said.state(c.state), when=local(c.state_entered_at)),
        ),
        (w("owner"), c.owner or w("unassigned")),
        (w("deadline"), due),
        *([(w("age"), age_text(age, said))] if age is not None else []),
        (w("opened"), local(c.opened_at)),
    ]
    if c.erased is not None:
        why = c.erased.get("rule") or c.erased.get("reason")
        at, by = c.erased.get("at"), c.erased.get("by")
        facts.append((w("erased"), w("erased.said", at=at, by=by, why=why)))
    for p in c.parties:
        facts.append(
            (said.party(p.role), p.name + (f" <{p.email}>" if p.email else ""))
        )
    for key, value in sorted(c.data.items()):
        shown = w("yes" if value else "no") if isinstance(value, bool) else value
        facts.append((said.field(key), said.value(key, shown)))
    lines = [w("case", number=c.number, title=c.title)]
    width = max(10, *(len(k) for k, _ in facts))
    lines += [f"  {k:<{width}} {v}" for k, v in facts]
    if view.documents:
        lines += ["", w("documents")]
        docs = [
            (
                d.number,
                iso(d.date) or "",
                w.maybe(f"direction.{d.direction}", d.direction),
                d.title,
            )
            for d in view.documents
        ]
        lines.append(_indent(table(docs, w.heads("documents.head"))))
    lines += ["", w("history")]
    rows = [_history_row(e, said, w) for e in view.history]
    lines.append(_indent(table(rows, w.heads("history.head"))))
    return "\n".join(lines)


def _history_row(e: AuditEntry, said: Spoken, w: Words) -> tuple[str, ...]:
    recorded = local(e.recorded_at)
    if not recorded_apart(e.at, e.recorded_at):
        recorded = w("same")
    if e.from_state == e.to_state:
        move = w("stays", state=said.state(e.to_state))
    else:
        move = f"{said.state(e.from_state) or '·'} → {said.state(e.to_state)}"
    due = iso(e.due_after) or "-"
    if e.due_after != e.due_before and e.due_before is not None:
        due = f"{iso(e.due_before)} → {due}"
    event = w.maybe(f"event.{e.event}", said.event(e.event))
    if e.event == ASSIGN_EVENT:  # who had it, who has it
        readable = e.readable
        event = w(
            "assign",
            previous=readable.get("previous") or w("unassigned"),
            owner=readable.get("owner"),
        )
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
    cases: Sequence[Case],
    *,
    now: datetime,
    ages: Mapping[str, StateAge],
    speaking: Callable[[str], Spoken] | None = None,
) -> str:
    """The cases, one a line; `ages` by case number, for those that have one.

    `speaking`: a workflow's labels in the chosen language, by workflow name;
    without it, English and the identifiers.
    """
    say = speaking or (lambda _: Labels().speaking("en"))
    w = Words(say("").language)
    rows = [
        (
            c.number,
            say(c.workflow).workflow(c.workflow),
            say(c.workflow).state(c.state),
            iso(c.due) or "-",
            w.days(ages[c.number].working_days) if c.number in ages else "",
            _flag(c, now, ages.get(c.number), w),
            c.owner or "-",
            c.title,
        )
        for c in cases
    ]
    return table(rows, w.heads("list.head"))


def age_text(age: StateAge, spoken: Spoken | None = None) -> str:
    """`in opened for 73 working days`, and whether that makes the case stale."""
    said = spoken or Labels().speaking("en")
    w = Words(said.language)
    text = w("in_state", state=said.state(age.state), days=w.days(age.working_days))
    if age.stale and age.stale_after is not None:
        text += w("stale", days=w.days(age.stale_after))
    return text


def _flag(case: Case, now: datetime, age: StateAge | None, w: Words) -> str:
    if is_overdue(case.due, now):
        return w("OVERDUE")
    return w("STALE") if age is not None and age.stale else ""


def audit_table_line(e: AuditEntry, said: Spoken | None = None) -> str:
    """One entry a line: events and states in `said`'s labels (the workflow's
    words in the chosen language), identifiers without one."""
    said = said or Labels().speaking("en")
    w = Words(said.language)
    event = w.maybe(f"event.{e.event}", said.event(e.event))
    if e.from_state == e.to_state:  # a step that keeps the state
        move = w("stays", state=said.state(e.to_state))
    else:
        move = f"{said.state(e.from_state) or '·'} → {said.state(e.to_state)}"
    doc = f" {w('doc')} {e.document}" if e.document else ""
    return (
        f"{e.case_number}  #{e.seq:<3} {local(e.at)}  {event:<20} {move:<48} "
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
