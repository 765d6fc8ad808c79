"""Checks on a whole workflow, once its parts have been read.

Initial and final states, duplicate events, reachability (every state can be
reached from the initial one and can reach a final one), and references between
parts: deadline date fields, chase ladder recipients, data the events reset or
set, and personal data fields (personal everywhere or nowhere, never a date a
deadline counts by). Each problem is reported through `report(path, message)`,
so the parser can name its file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.workflow.definition import (
    OWNER_TARGET,
    ROLES,
    StateKind,
    WorkflowDefinition,
)
from engine.workflow.yamlsource import Path, format_path

Report = Callable[[Path, str], None]


def check_machine(d: WorkflowDefinition, report: Report) -> None:
    """Report every structural problem of `d`."""
    _check_ends(d, report)
    _check_duplicates(d, report)
    _check_paths(d, report)
    _check_deadlines_and_ladders(d, report)
    _check_data_references(d, report)
    _check_personal(d, report)


def _check_ends(d: WorkflowDefinition, report: Report) -> None:
    initial = [s.name for s in d.states if s.kind is StateKind.INITIAL]
    if len(initial) != 1:
        report(
            ("states",),
            f"exactly one state must be 'kind: initial', found {len(initial)}",
        )
    elif d.opening.dest != initial[0]:
        report(("open", "to"), f"'open' must lead to the initial state {initial[0]!r}")
    if not any(s.kind is StateKind.FINAL for s in d.states):
        report(("states",), "at least one state must be 'kind: final'")


def _check_duplicates(d: WorkflowDefinition, report: Report) -> None:
    seen: dict[tuple[str, str], int] = {}
    for i, t in enumerate(d.transitions):
        for source in t.sources:
            if (t.event, source) in seen:
                report(
                    ("transitions", i, "event"),
                    f"duplicate event {t.event!r} from state {source!r} "
                    f"(also transitions[{seen[t.event, source]}])",
                )
            seen.setdefault((t.event, source), i)


def _check_paths(d: WorkflowDefinition, report: Report) -> None:
    finals = {s.name for s in d.states if s.kind is StateKind.FINAL}
    edges = [(s, t.target(s)) for t in d.transitions for s in t.sources]
    reachable = _closure({d.initial}, edges)
    reaches_final = _closure(finals, [(b, a) for a, b in edges])
    for state in d.states:
        if state.name not in reachable:
            report(
                ("states", state.name),
                f"state {state.name!r} cannot be reached from {d.initial!r}",
            )
        elif state.name not in reaches_final and finals:
            report(
                ("states", state.name),
                f"state {state.name!r} has no path to a final state",
            )


def _check_deadlines_and_ladders(d: WorkflowDefinition, report: Report) -> None:
    dates = d.date_fields()
    for state in d.states:
        deadline = state.deadline
        for key, field_name in (
            ("until", deadline.until if deadline else None),
            ("from", deadline.counted_from if deadline else None),
        ):
            if field_name and field_name not in dates:
                report(
                    ("states", state.name, "deadline", key),
                    f"{field_name!r} is not a date field of any event",
                )
        rungs = state.ladder.rungs if state.ladder else ()
        for i, rung in enumerate(rungs):
            for j, target in enumerate(rung.notify):
                if target not in (*d.parties, *ROLES, OWNER_TARGET):
                    report(
                        ("states", state.name, "chase", "rungs", i, "notify", j),
                        f"{target!r} is neither a party "
                        f"({', '.join(d.parties) or 'none declared'}), 'owner' "
                        "nor a role",
                    )


def _check_data_references(d: WorkflowDefinition, report: Report) -> None:
    all_fields = {f.name for t in (d.opening, *d.transitions) for f in t.fields}
    for i, t in enumerate((d.opening, *d.transitions)):
        path: Path = ("open",) if i == 0 else ("transitions", i - 1)
        for j, key in enumerate(t.resets):
            if key not in all_fields:
                report(
                    (*path, "resets", j), f"{key!r} is not a data field of any event"
                )
        for key, _ in t.sets:
            if t.field(key) is not None:
                report((*path, "sets", key), f"{key!r} is both set and taken as data")


def _check_personal(d: WorkflowDefinition, report: Report) -> None:
    """A field is personal data everywhere it is taken or nowhere; and never a
    date a deadline is counted from or to (the engine computes with it)."""
    places: dict[str, list[tuple[Path, bool]]] = {}
    for i, t in enumerate((d.opening, *d.transitions)):
        data: Path = ("open", "data") if i == 0 else ("transitions", i - 1, "data")
        for f in t.fields:
            places.setdefault(f.name, []).append(((*data, f.name), f.personal))
    for name, found in places.items():
        marked = [format_path(path) for path, personal in found if personal]
        unmarked = [path for path, personal in found if not personal]
        if marked and unmarked:
            others = ", ".join(format_path(p) for p in unmarked[1:])
            report(
                unmarked[0],
                f"{name!r} is personal data in {', '.join(marked)} but not here"
                + (f" nor in {others}" if others else "")
                + ": a field is personal everywhere or nowhere",
            )
    personal = d.personal_fields
    for state in d.states:
        deadline = state.deadline
        for key, field_name in (
            ("until", deadline.until if deadline else None),
            ("from", deadline.counted_from if deadline else None),
        ):
            if field_name in personal:
                report(
                    ("states", state.name, "deadline", key),
                    f"{field_name!r} is personal data, which a deadline cannot be "
                    "counted by: it may be erased",
                )


def _closure(start: Iterable[str], edges: list[tuple[str, str]]) -> set[str]:
    seen = set(start)
    frontier = list(seen)
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                frontier.append(b)
    return seen
