"""Draw a workflow definition as Mermaid or Graphviz text, deadlines included.

Generated from the same validated definition the engine runs, so a diagram in
the docs never drifts from the declaration. (transitions' own GraphMachine needs
a model and knows nothing of deadlines or chase ladders.)
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.explain.diagram.words import EN
from engine.explain.words import duration_in
from engine.workflow.definition import Duration, State, StateKind, WorkflowDefinition


def state_note(state: State, words: Mapping[str, str] = EN) -> list[str]:
    """The deadline and chase ladder of `state` (or when a case there is
    stale), a line each, in `words`."""
    lines = []
    deadline = state.deadline
    if deadline is not None:
        base = duration(deadline.within, words)
        if deadline.within:
            after = deadline.counted_from or words["entering"]
            base = words["after"].format(within=base, start=after)
        if deadline.until:
            base = (
                words["if_given"].format(until=deadline.until, otherwise=base)
                if base
                else deadline.until
            )
        lines.append(words["deadline"].format(what=base))
    if state.pauses:
        lines.append(words["paused"])
    if state.ladder is not None:
        for i, rung in enumerate(state.ladder.rungs, start=1):
            then = duration(rung.next, words)
            lines.append(
                words["chase"].format(
                    i=i,
                    name=rung.name,
                    notify=", ".join(rung.notify),
                    then=words["then"].format(next=then) if then else "",
                )
            )
    if state.stale_after is not None:
        lines.append(words["stale"].format(after=duration(state.stale_after, words)))
    return lines


def duration(value: Duration | None, words: Mapping[str, str]) -> str:
    """A declared duration in the diagram's language ("" for none)."""
    return "" if value is None else duration_in(value, words["language"])


def _edges(d: WorkflowDefinition) -> list[tuple[str, str, str]]:
    out = []
    for t in d.transitions:
        if t.internal:
            continue  # listed once in the header instead of a loop on every state
        roles = "/".join(t.roles)
        for source in t.sources:
            out.append((source, t.target(source), f"{t.event} [{roles}]"))
    return out


def to_mermaid(d: WorkflowDefinition) -> str:
    """A Mermaid `stateDiagram-v2`."""
    lines = ["stateDiagram-v2", f"    %% {d.name} version {d.version}: {d.title}"]
    internal = [t.event for t in d.transitions if t.internal]
    if internal:
        lines.append(f"    %% events that keep the state: {', '.join(internal)}")
    lines.append(f"    [*] --> {d.initial}: open [{'/'.join(d.opening.roles)}]")
    for source, dest, label in _edges(d):
        lines.append(f"    {source} --> {dest}: {label}")
    for state in d.states:
        if state.kind is StateKind.FINAL:
            lines.append(f"    {state.name} --> [*]")
        note = state_note(state)
        if note:
            lines.append(f"    note right of {state.name}")
            lines.extend(f"        {n}" for n in note)
            lines.append("    end note")
    return "\n".join(lines) + "\n"


def to_dot(d: WorkflowDefinition) -> str:
    """A Graphviz digraph."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"digraph {q(d.name)} {{",
        f"  label={q(f'{d.name} version {d.version}: {d.title}')};",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  __start [shape=point, label=""];',
        f"  __start -> {q(d.initial)} [label={q('open')}];",
    ]
    for state in d.states:
        note = state_note(state)
        label = "\\n".join([state.name, *note]).replace('"', '\\"')
        shape = ", peripheries=2" if state.kind is StateKind.FINAL else ""
        style = ', style="rounded,dashed"' if state.kind is StateKind.WAITING else ""
        lines.append(f'  {q(state.name)} [label="{label}"{shape}{style}];')
    for source, dest, label in _edges(d):
        lines.append(f"  {q(source)} -> {q(dest)} [label={q(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
