"""Bearer tokens of the HTTP API: made, listed, revoked, and checked.

A token reads `sgf_<id>_<secret>`: a recognisable prefix (so a leaked one is
easy to find in a repository or a log), the token's public id, and 32 random
bytes (`secrets.token_urlsafe(32)`). Only the SHA-256 of the secret is stored;
a presented token is looked up by its id and its digest compared in constant
time (`hmac.compare_digest`). A token acts as its user, with the user's roles;
the scheduler's `system` user can have none. A deactivated user's tokens
stop at their next request (the user is read on every request, and the store
sees another process's change at once); deactivating revokes them for good.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.clock import Clock
from engine.dates.calendars import COPENHAGEN
from engine.dates.timeparse import parse_date
from engine.exceptions import (
    InvalidInputError,
    InvalidTimeError,
    NotFoundError,
    UserDeactivatedError,
    UserNotFoundError,
)
from engine.records import ApiToken, User
from engine.workflow.definition import SYSTEM_ACTOR
from service.api.store import ApiStore

PREFIX = "sgf_"
_ID_BYTES = 6  # 12 hex digits: ids only need to be unique, the secret is secret
_UNKNOWN_DIGEST = hashlib.sha256(b"no such token").hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    """Why a presented token does not authenticate (logged; the token is not)."""

    # malformed | unknown | wrong_secret | revoked | expired | no_user | deactivated
    reason: str
    token_id: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def end_of_day(text: str) -> datetime:
    """`--expires DATE`: the end of that day in Copenhagen, as a UTC instant.

    Raises:
        InvalidTimeError: not a date (YYYY-MM-DD), or one without a next day.
    """
    day = parse_date(text, what="--expires")
    try:
        following = day + timedelta(days=1)
    except OverflowError:
        raise InvalidTimeError(f"--expires {text!r} is too far ahead") from None
    return datetime.combine(following, time(0), COPENHAGEN).astimezone(UTC)


def issue(
    store: ApiStore,
    clock: Clock,
    user_id: str,
    *,
    expires: date | str | None = None,
    lifetime: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user_id`; returns it (as stored) and its text (once).

    Args:
        expires: its last day (`--expires`): it works to the end of that day
            in Copenhagen.
        lifetime: else, how long it works from now (`SAGSFLOW_TOKEN_DAYS`);
            with neither it never expires (`--no-expiry`).

    Raises:
        InvalidInputError: the system user, an expiry that has passed, or a
            lifetime that is not positive or reaches past the year 9999.
        UserNotFoundError: no such user.
    """
    if user_id == SYSTEM_ACTOR:
        raise InvalidInputError(
            f"{SYSTEM_ACTOR!r} is the scheduler's own user; it gets no token"
        )
    now = clock.now()
    expires_at = None
    if expires is not None:
        expires_at = end_of_day(expires if isinstance(expires, str) else str(expires))
        if expires_at <= now:
            raise InvalidTimeError(
                f"--expires {expires}: that day has passed in Copenhagen"
            )
    elif lifetime is not None:
        expires_at = _after(now, lifetime)
    token_id = secrets.token_hex(_ID_BYTES)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        id=token_id,
        user_id=user_id,
        digest=digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    with store.transaction() as tx:
        user = tx.get_user(user_id)
        if user is None:
            raise UserNotFoundError(user_id)
        if not user.active:
            raise UserDeactivatedError(user_id)
        tx.add_token(token)
    return token, f"{PREFIX}{token_id}_{secret}"


def _after(now: datetime, lifetime: timedelta) -> datetime:
    if lifetime <= timedelta(0):
        raise InvalidInputError("a token's lifetime must be positive")
    try:
        return now + lifetime
    except OverflowError:
        raise InvalidInputError(
            "a token's lifetime reaches past the year 9999"
        ) from None


def revoke(store: ApiStore, clock: Clock, token_id: str) -> ApiToken:
    """Revoke a token from now on (a revoked one stays revoked as it was).

    Raises:
        NotFoundError: no such token.
    """
    with store.transaction() as tx:
        token = tx.revoke_token(token_id, clock.now())
    if token is None:
        raise NotFoundError(f"no token {token_id!r} (see 'sagsflow token list')")
    return token


def revoke_all(store: ApiStore, clock: Clock, user_id: str) -> list[ApiToken]:
    """Revoke every token of `user_id` that still works (a deactivated user's,
    so that activating them again does not bring old tokens back)."""
    now = clock.now()
    with store.transaction() as tx:
        live = [
            t
            for t in tx.list_tokens()
            if t.user_id == user_id and status(t, now) == "active"
        ]
        return [r for t in live if (r := tx.revoke_token(t.id, now)) is not None]


def list_tokens(store: ApiStore) -> list[ApiToken]:
    with store.transaction(write=False) as tx:
        return list(tx.list_tokens())


def status(token: ApiToken, now: datetime) -> str:
    """`active`, `revoked` (from the moment it is, for good) or `expired`."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def split(text: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token text, else None."""
    if not text.startswith(PREFIX):
        return None
    token_id, sep, secret = text[len(PREFIX) :].partition("_")
    if not sep or not secret or len(token_id) != 2 * _ID_BYTES:
        return None
    if not all(c in "0123456789abcdef" for c in token_id):
        return None
    return token_id, secret


def authenticate(store: ApiStore, clock: Clock, text: str) -> User | Refusal:
    """The user a presented token acts as, or why it does not authenticate."""
    parts = split(text)
    if parts is None:
        return Refusal(reason="malformed")
    token_id, secret = parts
    now = clock.now()
    with store.transaction(write=False) as tx:
        token = tx.get_token(token_id)
        user = tx.get_user(token.user_id) if token is not None else None
    presented = digest(secret)
    stored = token.digest if token is not None else _UNKNOWN_DIGEST
    matches = hmac.compare_digest(presented, stored)  # before any early answer
    if token is None:
        return Refusal(reason="unknown")
    if not matches:
        return Refusal(reason="wrong_secret", token_id=token_id)
    state = status(token, now)
    if state != "active":
        return Refusal(reason=state, token_id=token_id)
    if user is None or user.id == SYSTEM_ACTOR or SYSTEM_ACTOR in user.roles:
        return Refusal(reason="no_user", token_id=token_id)
    if not user.active:  # read now: a deactivation elsewhere counts at once
        return Refusal(reason="deactivated", token_id=token_id)
    return user
