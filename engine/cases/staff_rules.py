"""The rules of the users' lifecycle (`engine.cases.staff`), and its chain entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog

from engine import via
from engine.audit.users import seal, user_state
from engine.cases.users import check_reason
from engine.exceptions import (
    InvalidDataError,
    NotAllowedError,
    UserDeactivatedError,
    UserNotFoundError,
)
from engine.ports import CaseTransaction
from engine.records import Case, CaseFilter, User, UserChange
from engine.workflow.definition import ROLES, SYSTEM_ACTOR
from engine.workflow.registry import WorkflowRegistry

MANAGER = "advisor"  # the role that manages users
log = structlog.get_logger()


def check_manager(tx: CaseTransaction, actor: str) -> None:
    """Check that `actor` may manage users: an active advisor, or `system`."""
    if actor == SYSTEM_ACTOR:
        return
    user = tx.get_user(actor)
    if user is None:
        raise UserNotFoundError(actor)
    if not user.active:
        raise UserDeactivatedError(actor)
    if MANAGER not in user.roles:
        raise NotAllowedError(
            f"user {actor!r} ({', '.join(user.roles)}) may not manage users; "
            f"the {MANAGER} does"
        )


def target_user(tx: CaseTransaction, user_id: str) -> User:
    if user_id == SYSTEM_ACTOR:
        raise InvalidDataError(
            f"{SYSTEM_ACTOR!r} is the scheduler's built-in user; it cannot be changed"
        )
    user = tx.get_user(user_id)
    if user is None:
        raise UserNotFoundError(user_id)
    return user


def keep_an_advisor(
    tx: CaseTransaction, user: User, *, roles_after: Sequence[str]
) -> None:
    if MANAGER not in user.roles or MANAGER in roles_after:
        return
    others = [u for u in tx.users_with_role(MANAGER) if u.id != user.id]
    if not others:
        raise NotAllowedError(
            f"user {user.id!r} is the office's last active {MANAGER}: give "
            f"another user the {MANAGER} role first (nobody could manage users)"
        )


def check_login_free(tx: CaseTransaction, login: str, user_id: str) -> None:
    holder = tx.user_by_login(login)
    if holder is not None and holder.id != user_id:
        raise InvalidDataError(
            f"login {login!r} is bound to user {holder.id!r} already"
        )


def check_roles(add: Sequence[str], remove: Sequence[str]) -> None:
    if not add and not remove:
        raise InvalidDataError("give --add ROLE or --remove ROLE")
    assignable = [r for r in ROLES if r != SYSTEM_ACTOR]
    for role in (*add, *remove):
        if role not in assignable:
            raise InvalidDataError(
                f"unknown role {role!r} (roles: {', '.join(assignable)})"
            )
    both = sorted(set(add) & set(remove))
    if both:
        raise InvalidDataError(f"role {both[0]!r} is both added and removed")


def required_reason(reason: str | None) -> str:
    text = check_reason(reason)
    if not text:
        raise InvalidDataError("give a reason (--reason TEXT): it goes on the record")
    return text


def chain_change(
    tx: CaseTransaction,
    user: User,
    change: str,
    *,
    actor: str,
    reason: str | None,
    at: datetime,
) -> UserChange:
    count, head = tx.users_head()
    entry = seal(
        UserChange(
            seq=count + 1,
            user_id=user.id,
            change=change,
            actor=actor,
            at=at,
            reason=reason,
            state=user_state(user),
            via=via.current(actor),
        ),
        head,
    )
    tx.append_user_change(entry)
    # an operator's line (the reason and the name stay on the record only)
    log.info("user_changed", user=user.id, change=change, actor=actor, seq=entry.seq)
    return entry


def owned_open(
    tx: CaseTransaction, registry: WorkflowRegistry, user_id: str
) -> tuple[Case, ...]:
    selection = CaseFilter(owner=user_id, not_in_states=registry.closed_states())
    return tuple(tx.list_cases(selection))
