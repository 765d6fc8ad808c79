"""Who owns a case: the caseworker on whose desk it lies (Sagsbehandler).

A case is owned by one user holding the caseworker or advisor role, or it is
unassigned. It gets its owner when it is opened (`--owner`, else the opener
when they are a caseworker) and changes hands by an audited `assign` step:
the advisor may assign any open case to anyone who may own one; a caseworker
may take an unassigned case (to themselves) or hand over a case they own. A
closed case keeps the owner it had. The owner is part of the case as each
entry seals it (`engine.audit.rows.case_fields`), so a changed owner column
shows in `audit verify` like any other field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from engine.cases.recorder import Change, record
from engine.cases.steps import check_step, refuse_cpr
from engine.exceptions import InvalidDataError, NotAllowedError, UserNotFoundError
from engine.ports import EngineTransaction
from engine.records import Case, User
from engine.workflow.definition import (
    ASSIGN_EVENT,
    SYSTEM_ACTOR,
    StateKind,
    Transition,
    WorkflowDefinition,
)

OWNER_ROLES = ("caseworker", "advisor")  # the roles a case's owner holds
ASSIGN = Transition(event=ASSIGN_EVENT, sources=(), dest=None, roles=OWNER_ROLES)


def check_owner(tx: EngineTransaction, user_id: str) -> User:
    """The user `user_id`, who may own a case.

    Raises:
        UserNotFoundError: no such user.
        InvalidDataError: the user holds neither the caseworker nor the advisor
            role (an auditor, intake only, or the system).
    """
    if user_id == SYSTEM_ACTOR:
        raise InvalidDataError("the system cannot own a case")
    user = tx.get_user(user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    if not user.active:
        raise InvalidDataError(f"user {user_id!r} is deactivated and cannot own a case")
    if not set(OWNER_ROLES) & set(user.roles):
        raise InvalidDataError(
            f"user {user_id!r} cannot own a case: an owner holds the caseworker "
            f"or advisor role, and {user_id!r} holds {', '.join(user.roles) or 'none'}"
        )
    return user


def owner_at_opening(
    tx: EngineTransaction, opener: str, owner: str | None, *, unassigned: bool
) -> str | None:
    """Who owns a case opened by `opener`: `owner` when given (checked), none
    with `unassigned`, else the opener when they hold the caseworker role."""
    if owner is not None and unassigned:
        raise InvalidDataError("give an owner or ask for an unassigned case, not both")
    if owner is not None:
        return check_owner(tx, owner).id
    if unassigned:
        return None
    user = tx.get_user(opener)
    owns = user is not None and user.active and "caseworker" in user.roles
    return opener if owns else None


def assign(
    tx: EngineTransaction,
    case: Case,
    definition: WorkflowDefinition,
    *,
    actor: str,
    owner: str,
    reason: str | None,
    at: datetime | None,
    now: datetime,
) -> Case:
    """Give `case` (read for update) to `owner`; returns the case as written.

    Raises:
        UserNotFoundError: no such actor or owner.
        RoleNotAllowedError: the actor is neither advisor nor caseworker.
        NotAllowedError: a caseworker assigning a case that is not theirs to
            give (see the module docstring).
        InvalidDataError: an owner who may not own a case, a closed case, the
            owner it has already, or a CPR number in the reason.
    """
    user = tx.get_user(actor)
    if user is None:
        raise UserNotFoundError(actor)
    step = check_step(
        ASSIGN,
        case,
        user=user,
        data={},
        document=None,
        at=at,
        now=now,
        history=(),
        documents=(),
    )
    if definition.state(case.state).kind is StateKind.FINAL:
        raise InvalidDataError(
            f"case {case.number} is closed (in {case.state!r}): a closed case "
            "keeps its owner"
        )
    check_owner(tx, owner)
    if owner == case.owner:
        raise InvalidDataError(f"case {case.number} is {owner}'s already")
    if step.role != "advisor" and not (
        case.owner == actor or (case.owner is None and owner == actor)
    ):
        held = "unassigned" if case.owner is None else f"{case.owner}'s"
        raise NotAllowedError(
            f"a caseworker may take an unassigned case or hand over their own; "
            f"case {case.number} is {held} (the advisor may assign any case)"
        )
    said: dict[str, object] = {"owner": owner, "previous": case.owner}
    if reason is not None and reason.strip():
        refuse_cpr(reason, "an assignment's reason")
        said["reason"] = reason.strip()
    after = replace(case, owner=owner, last_event_at=step.at)
    change = Change(
        event=ASSIGN_EVENT,
        actor=step.actor,
        role=step.role,
        at=step.at,
        data=said,
        personal=definition.personal_fields,
        workflow_digest=definition.digest,
    )
    return record(tx, case, after, change, recorded_at=now)
