"""Erasing a closed case's personal data, on request or when its retention ends.

The record keeps every step; the law keeps personal data only as long as it
is needed. Chain version 2 entries hold commitments, not personal values
(`engine.audit.personal`), so erasing deletes the values and the case's key
and leaves the chain whole: it, checkpoints and dossiers still verify, and an
`erase` entry says who erased what, when, and why (a person's reason or the
workflow's retention rule). What the case row, the kept values and its
notifications held is replaced by `ERASED`, and its documents' content (the
letters' sources and PDFs, notes, files: `documents.<number>` among the
erased) is deleted, unless a document of another case names the same bytes;
the documents stay journalised with their digests. The store then rewrites
what the deleted rows left in its files (`CaseStore.forget`).

Refused: an unknown case, an open one (not in a final state), one erased
already, one with entries sealed under chain version 1 (their personal values
are inside the sealed entries and cannot be erased without breaking them),
and an actor who is not the advisor (the scheduler erases under a retention
rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from engine.audit.personal import ERASED
from engine.audit.renditions import renditions
from engine.cases.recorder import Change, record
from engine.cases.steps import check_step, refuse_cpr
from engine.exceptions import InvalidDataError, UserNotFoundError
from engine.ports import EngineTransaction
from engine.ports.documents import ContentRecords
from engine.records import Case, Party, User
from engine.workflow.definition import (
    ERASE_EVENT,
    SYSTEM_ACTOR,
    StateKind,
    Transition,
    WorkflowDefinition,
)

# Who may erase: the advisor, and the scheduler applying a retention rule.
ERASE = Transition(
    event=ERASE_EVENT, sources=(), dest=None, roles=("advisor", SYSTEM_ACTOR)
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Erasure:
    """What an erasure did: the case as written, and what it erased."""

    case: Case
    erased: tuple[str, ...]  # `parties.citizen.name`, `data.reason`, ...
    notifications: int  # notifications whose text held an erased value
    storage: str = ""  # what the store did to make the bytes go


def erase(
    tx: EngineTransaction,
    case: Case,
    definition: WorkflowDefinition,
    *,
    actor: str,
    reason: str,
    rule: str | None,
    now: datetime,
) -> Erasure:
    """Erase `case`'s personal data in `tx` (the case read for update).

    Raises:
        InvalidDataError: no reason, a CPR number in it, or a case that cannot
            be erased (see the module docstring).
        UserNotFoundError: no such actor.
        RoleNotAllowedError: the actor is not the advisor.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidDataError("an erasure needs a reason")
    refuse_cpr(reason, "an erasure's reason")
    user = (
        User(id=SYSTEM_ACTOR, roles=(SYSTEM_ACTOR,))
        if actor == SYSTEM_ACTOR
        else tx.get_user(actor)
    )
    if user is None:
        raise UserNotFoundError(actor)
    step = check_step(
        ERASE,
        case,
        user=user,
        data={},
        document=None,
        at=None,
        now=now,
        history=(),
        documents=(),
    )
    if case.erased is not None:
        raise InvalidDataError(
            f"case {case.number}'s personal data was erased already "
            f"({case.erased.get('at', '?')})"
        )
    if definition.state(case.state).kind is not StateKind.FINAL:
        raise InvalidDataError(
            f"case {case.number} is open (in {case.state!r}): erasing an open "
            "case's personal data is refused; close it first"
        )
    assert case.id is not None
    history = tx.history(case.id)
    if any(e.chain_version < 2 for e in history):
        raise InvalidDataError(
            f"case {case.number} has entries sealed under chain version 1, which "
            "hold its personal data themselves: erasing it would break its record"
        )
    kept = tx.personal_values([case.id]).get(case.id, {})
    personal = definition.personal_fields
    paths: list[str] = []
    for party in case.parties:
        paths.append(f"parties.{party.role}.name")
        if party.email is not None:
            paths.append(f"parties.{party.role}.email")
    paths += [f"data.{name}" for name in sorted(personal & case.data.keys())]
    # documents' content: letters name the parties, notes and files may hold
    # anything; the documents stay journalised, their bytes go
    digests = {d.number: d.sha256 for d in tx.documents(case.id) if d.sha256}
    for rendition in renditions(history).values():
        digests[f"{rendition.number}.rendered"] = rendition.sha256
    paths += [f"documents.{n}" for n in sorted({n.split(".")[0] for n in digests})]
    values = _strings(case, personal, kept)
    after = replace(
        case,
        parties=tuple(
            Party(role=p.role, name=ERASED, email=None) for p in case.parties
        ),
        data={k: ERASED if k in personal else v for k, v in case.data.items()},
        erased={
            "at": now.isoformat(),
            "by": actor,
            "reason": reason,
            "rule": rule,
            "fields": paths,
        },
        last_event_at=step.at,
    )
    change = Change(
        event=ERASE_EVENT,
        actor=step.actor,
        role=step.role,
        at=step.at,
        # "grounds", not "reason": a workflow may declare "reason" personal
        data={"grounds": reason, "rule": rule, "erased": paths},
        personal=personal,
        erasing=True,
        workflow_digest=definition.digest,
    )
    written = record(tx, case, after, change, recorded_at=now)
    changed = tx.erase_personal(written, values)
    if digests:
        assert isinstance(tx, ContentRecords)  # a store that kept content
        tx.forget_contents(case.id, sorted(set(digests.values())))
    return Erasure(case=written, erased=tuple(paths), notifications=changed)


def _strings(
    case: Case, personal: frozenset[str], kept: Mapping[str, object]
) -> list[str]:
    """Every personal value of the case as text, to find in its notifications."""
    found: list[str] = []
    for party in case.parties:
        found += [v for v in (party.name, party.email) if v]
    found += [str(v) for k, v in case.data.items() if k in personal and v]
    found += [v for v in kept.values() if isinstance(v, str) and v]
    return sorted(set(found), key=len, reverse=True)
