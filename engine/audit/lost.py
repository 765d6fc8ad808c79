"""What a record behind its checkpoints lost: the cases and the entries, named.

A record that ends before what a checkpoint covered (an older backup restored,
or a tail cut off) shows in `engine.audit.verify` as a problem with `covered`
set: a case whose entries stop early (`truncated`), a case gone altogether
(`removed`), or the users' chain cut short. This module turns those into what
an operator asks after a restore: which cases, which entries, and which
checkpoint says they were there. Only case numbers and entry numbers are
named, never a party or a value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.audit.users import USERS_CHAIN
from engine.audit.verify import Problem


@dataclass(frozen=True, kw_only=True, slots=True)
class Lost:
    """Entries `first` to `last` of a chain that a checkpoint covered."""

    chain: str  # a case number, or USERS_CHAIN
    first: int
    last: int  # the entry count the checkpoint recorded
    missing: bool  # the whole case is gone
    taken: str | None  # when the checkpoint that covers `last` was taken

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def covering(checkpoints: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Chain -> when the checkpoint was taken whose count `anchored_heads`
    holds it to (the latest with the highest count), as `YYYY-MM-DD HH:MM UTC`."""
    out: dict[str, tuple[int, str]] = {}
    for checkpoint in sorted(checkpoints, key=lambda c: str(c.get("created_at"))):
        taken = _when(checkpoint.get("created_at"))
        for number, seq, _ in checkpoint["heads"]:
            if str(number) not in out or int(seq) >= out[str(number)][0]:
                out[str(number)] = (int(seq), taken)
    return {number: taken for number, (_, taken) in out.items()}


def _when(created_at: object) -> str:
    try:
        taken = datetime.fromisoformat(str(created_at))
    except ValueError:
        return str(created_at)
    return f"{taken.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def lost_from(problems: Iterable[Problem], taken: Mapping[str, str]) -> list[Lost]:
    """The losses among `problems` (those with `covered`), in their order."""
    return [
        Lost(
            chain=p.case,
            first=1 if p.kind == "removed" or p.seq is None else p.seq,
            last=p.covered,
            missing=p.kind == "removed",
            taken=taken.get(p.case),
        )
        for p in problems
        if p.covered is not None
    ]


def describe(lost: Lost) -> str:
    """One line: `case 2026-0000003: entries 5-7 lost (the checkpoint of ...
    covers 7)`, or `case ...: missing (the checkpoint of ... covers 4 entries)`."""
    of = f"the checkpoint of {lost.taken}" if lost.taken else "the checkpoint"
    users = lost.chain == USERS_CHAIN
    name = "the users' chain" if users else f"case {lost.chain}"
    noun = ("change", "changes") if users else ("entry", "entries")
    if lost.missing:
        return f"{name}: missing ({of} covers {_count(lost.last, noun)})"
    span = (
        f"{noun[0]} {lost.first}"
        if lost.first == lost.last
        else f"{noun[1]} {lost.first}-{lost.last}"
    )
    return f"{name}: {span} lost ({of} covers {lost.last})"


def summary(lost: Sequence[Lost]) -> str:
    """What was lost in all, in a few words (empty when nothing was): `behind
    its checkpoints, 4 entries of 2 cases lost (1 case missing entirely)`."""
    if not lost:
        return ""
    cases = [x for x in lost if x.chain != USERS_CHAIN]
    changes = sum(x.count for x in lost if x.chain == USERS_CHAIN)
    parts, whole = [], ""
    if cases:
        missing = sum(x.missing for x in cases)
        entries = _count(sum(x.count for x in cases), ("entry", "entries"))
        parts.append(f"{entries} of {_count(len(cases), ('case', 'cases'))}")
        if missing:
            whole = f" ({_count(missing, ('case', 'cases'))} missing entirely)"
    if changes:
        parts.append(_count(changes, ("change to users", "changes to users")))
    return f"behind its checkpoints, {' and '.join(parts)} lost{whole}"


def _count(n: int, noun: tuple[str, str]) -> str:
    return f"{n} {noun[0] if n == 1 else noun[1]}"
