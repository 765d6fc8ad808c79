"""Users: who may act, in which roles. Ids are internal; people are not named here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from engine.cases.addresses import check_address
from engine.cases.steps import refuse_cpr
from engine.exceptions import InvalidDataError
from engine.logs import contains_cpr
from engine.records import User
from engine.workflow.definition import ROLES, SYSTEM_ACTOR

_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_LOGIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._@$\\-]{0,127}$")
MAX_NAME = 200
MAX_REASON = 2000


def new_user(
    user_id: str, roles: Sequence[str], *, email: str | None, at: datetime
) -> User:
    """A user to add, checked.

    Raises:
        InvalidDataError: a malformed id or one that is a CPR number, no role,
            an unknown role, the reserved system id or role, or an e-mail that
            is not one well-formed address.
    """
    user_id = user_id.strip()
    if contains_cpr(user_id):  # the record names people by an internal id
        raise InvalidDataError(
            "a user id must not be a CPR number; give the person an internal id"
        )
    if not _USER_ID.match(user_id):
        raise InvalidDataError(
            f"user id {user_id!r} must be 1-64 letters, digits or . _ @ -"
        )
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        what = (
            f"unknown role {unknown[0]!r}"
            if unknown
            else "a user needs an id and a role"
        )
        assignable = ", ".join(r for r in ROLES if r != SYSTEM_ACTOR)
        raise InvalidDataError(f"{what} (roles: {assignable})")
    if user_id.casefold() == SYSTEM_ACTOR or SYSTEM_ACTOR in roles:
        raise InvalidDataError(
            f"{SYSTEM_ACTOR!r} is the scheduler's built-in user and role; "
            "it cannot be given to anyone"
        )
    if email is not None:
        check_address(email, f"user {user_id!r}")
    return User(
        id=user_id, roles=tuple(dict.fromkeys(roles)), email=email, created_at=at
    )


def check_name(name: str) -> str:
    """A display name: 1-200 printable characters, not a CPR number.

    Raises:
        InvalidDataError: empty, too long, with control characters or a CPR number.
    """
    text = " ".join(name.split())
    if not text or len(text) > MAX_NAME:
        raise InvalidDataError(f"a display name is 1-{MAX_NAME} characters")
    if not text.isprintable():
        raise InvalidDataError("a display name holds no control characters")
    refuse_cpr(text, "a display name")
    return text


def check_login(login: str) -> str:
    """An operating-system login: 1-128 letters, digits or . _ @ $ \\ -.

    Raises:
        InvalidDataError: anything else.
    """
    text = login.strip()
    if not _LOGIN.match(text):
        raise InvalidDataError(
            "a login is 1-128 letters, digits or . _ @ $ \\ - (as the operating "
            "system names the account)"
        )
    return text


def check_reason(reason: str | None) -> str | None:
    """A reason for the record: trimmed, at most 2000 characters, no CPR number.

    Raises:
        InvalidDataError: too long, or holding a CPR number.
    """
    if reason is None or not reason.strip():
        return None
    text = reason.strip()
    if len(text) > MAX_REASON:
        raise InvalidDataError(f"a reason is at most {MAX_REASON} characters")
    refuse_cpr(text, "a reason")
    return text
