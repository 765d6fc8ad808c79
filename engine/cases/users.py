"""Users: who may act, in which roles. Ids are internal; people are not named here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from engine.cases.addresses import check_address
from engine.exceptions import InvalidDataError
from engine.logs import contains_cpr
from engine.records import User
from engine.workflow.definition import ROLES, SYSTEM_ACTOR

_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


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
