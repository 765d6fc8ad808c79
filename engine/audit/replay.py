"""Rebuild a case's state from its audit trail alone.

The audit trail is the case's record: every step, in order, with the state it
left and the state it reached. `replay` walks that record through the workflow's
declared transitions, without the case row, and checks that each step is one
the workflow allows from where the case stood. Tests use it now to show that the
stored state always follows from the record; an audit review will use it later
to check a case's record before relying on it.

Pure: no I/O, no clock; only the definition and the entries are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.exceptions import TransitionNotAllowedError
from engine.records import AuditEntry
from engine.workflow.definition import (
    ENGINE_EVENTS,
    MIGRATE_EVENT,
    OPEN_EVENT,
    WorkflowDefinition,
)
from engine.workflow.machine import WorkflowMachine

__all__ = ["replay"]


def replay(
    definition: WorkflowDefinition,
    history: Sequence[AuditEntry],
    versions: Mapping[int, WorkflowDefinition] | None = None,
) -> str:
    """Return the state a case is in after the steps in `history`.

    Each entry is checked against the step before it: the first must be the
    `open` event into the definition's initial state; every later one must
    leave the state reached so far (`from_state`) and reach the state the
    workflow's transitions give for its event (`to_state`). Seqs must run
    1, 2, ..., n in order, and every entry must name this workflow version.

    A `migrate` entry moves the case to a newer version (`versions`, by
    number): it must name a newer one, leave the state reached so far and
    reach a state of that version; the entries after it are checked against it.

    Args:
        definition: The workflow version the case was opened under.
        history: The case's audit entries, in seq order.
        versions: The newer versions the case's `migrate` entries name.

    Returns:
        The name of the state the last entry leaves the case in.

    Raises:
        ValueError: The history is empty, or an entry does not follow from the
            ones before it; the message names the entry's seq and the problem.
    """
    if not history:
        raise ValueError("the audit trail is empty: a case starts with 'open'")
    machine = WorkflowMachine(definition)
    state: str | None = None
    for position, entry in enumerate(history, start=1):
        seq = entry.seq
        if seq != position:
            raise ValueError(
                f"seq {seq}: expected seq {position} (seqs run 1..n without gaps)"
            )
        if state is not None and entry.event == MIGRATE_EVENT:
            definition, machine = _migrated(definition, entry, state, versions)
            state = entry.to_state
            continue
        if (entry.workflow, entry.workflow_version) != (
            definition.name,
            definition.version,
        ):
            raise ValueError(
                f"seq {seq}: recorded under {entry.workflow}@{entry.workflow_version}, "
                f"replayed against {definition.key}"
            )
        if state is None:
            state = _opening(definition, entry)
            continue
        if entry.from_state != state:
            raise ValueError(
                f"seq {seq}: from_state is {entry.from_state!r}, but the case was "
                f"in {state!r}"
            )
        if entry.event in ENGINE_EVENTS:  # a chase or a correction keeps the state
            if entry.to_state != state:
                raise ValueError(
                    f"seq {seq}: {entry.event!r} cannot change the state "
                    f"({state!r} -> {entry.to_state!r})"
                )
            continue
        try:
            reached = machine.next_state(state, entry.event)
        except TransitionNotAllowedError as exc:
            raise ValueError(
                f"seq {seq}: event {entry.event!r} is not allowed from {state!r} "
                f"(allowed: {', '.join(exc.allowed) or 'none'})"
            ) from None
        if entry.to_state != reached:
            raise ValueError(
                f"seq {seq}: to_state is {entry.to_state!r}, but {entry.event!r} "
                f"from {state!r} leads to {reached!r}"
            )
        state = reached
    assert state is not None  # history is not empty
    return state


def _migrated(
    definition: WorkflowDefinition,
    entry: AuditEntry,
    state: str,
    versions: Mapping[int, WorkflowDefinition] | None,
) -> tuple[WorkflowDefinition, WorkflowMachine]:
    """The version a `migrate` entry moved the case to, checked."""
    seq = entry.seq
    newer = (versions or {}).get(entry.workflow_version)
    if (
        newer is None
        or entry.workflow != definition.name
        or entry.workflow_version <= definition.version
    ):
        raise ValueError(
            f"seq {seq}: migrates from {definition.key} to "
            f"{entry.workflow}@{entry.workflow_version}, not a newer version given"
        )
    if entry.from_state != state:
        raise ValueError(
            f"seq {seq}: from_state is {entry.from_state!r}, but the case was "
            f"in {state!r}"
        )
    if entry.to_state not in {s.name for s in newer.states}:
        raise ValueError(f"seq {seq}: {newer.key} has no state {entry.to_state!r}")
    return newer, WorkflowMachine(newer)


def _opening(definition: WorkflowDefinition, entry: AuditEntry) -> str:
    """Check the first entry opens the case; return the initial state."""
    seq = entry.seq
    if entry.event != OPEN_EVENT:
        raise ValueError(
            f"seq {seq}: the first entry must be {OPEN_EVENT!r}, not {entry.event!r}"
        )
    if entry.from_state is not None:
        raise ValueError(
            f"seq {seq}: {OPEN_EVENT!r} has no from_state, but it records "
            f"{entry.from_state!r}"
        )
    if entry.to_state != definition.initial:
        raise ValueError(
            f"seq {seq}: {OPEN_EVENT!r} leads to the initial state "
            f"{definition.initial!r}, but it records {entry.to_state!r}"
        )
    return definition.initial
