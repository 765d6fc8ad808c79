"""Named guards: rules a workflow file can attach to a transition by name.

A guard gets a `GuardContext` and returns None to allow, or the reason to refuse.
Declarations name guards; they never carry code (so a workflow file is data a
lawyer can read). Add a guard here and it becomes available to every workflow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from engine.records import AuditEntry, Case, Document, JsonDict
from engine.workflow.definition import OPEN_EVENT, Direction, Transition

_CRITICISM = frozenset({"criticism", "criticism_with_recommendation"})


@dataclass(frozen=True, kw_only=True, slots=True)
class GuardContext:
    transition: Transition
    role: str  # the role the actor acts in
    data: JsonDict  # this event's data
    case: Case | None  # None while opening
    history: Sequence[AuditEntry]
    documents: Sequence[Document]


Guard = Callable[[GuardContext], "str | None"]


def own_initiative_needs_advisor(ctx: GuardContext) -> str | None:
    """Only the advisor opens a case on the office's own initiative."""
    if ctx.data.get("own_initiative") is True and ctx.role != "advisor":
        return "only the advisor opens a case on the office's own initiative"
    return None


def repeat_needs_advisor(ctx: GuardContext) -> str | None:
    """The first time in a stay in this state anyone allowed may; later, the advisor."""
    if ctx.role == "advisor" or ctx.case is None:
        return None
    state = ctx.case.state
    for entry in reversed(ctx.history):
        if entry.from_state != state or entry.to_state != state:
            break  # the entry that brought the case into this stay
        if entry.event == ctx.transition.event:
            return (
                f"{ctx.transition.event!r} was already done once in this state; "
                "a later one needs the advisor"
            )
    return None


def heard_before_criticism(ctx: GuardContext) -> str | None:
    """Ombudsmandsloven § 20: no criticism before the administration has commented."""
    if ctx.data.get("outcome") not in _CRITICISM:
        return None
    since = 0
    for entry in ctx.history:
        if entry.event in (OPEN_EVENT, "reopen"):
            since = entry.seq
    heard = any(
        d.direction == Direction.INCOMING.value and d.event_seq > since
        for d in ctx.documents
    )
    if not heard:
        return (
            "criticism needs the administration's comments on the case first "
            "(an incoming document since the case was opened)"
        )
    return None


GUARDS: Mapping[str, Guard] = {
    "own_initiative_needs_advisor": own_initiative_needs_advisor,
    "repeat_needs_advisor": repeat_needs_advisor,
    "heard_before_criticism": heard_before_criticism,
}
