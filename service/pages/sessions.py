"""The review pages' sessions: kept on the server, named by a cookie.

Signing in (with the office's OpenID provider, `service.pages.oidc_flow`, or
with an API token, `service.pages.routes.login`) stores a `PageSession` and
sets the cookie `sagsflow_session` to `<id>_<secret>`: the id is public (the
record's `via` names it, `engine.via.pages`), the secret is 32 random bytes of
which only the SHA-256 is stored. Every page request checks the cookie
(`check`, run by `service.pages.sessions_gate.SessionGate`):

- the session exists and its secret matches (compared in constant time);
- it has not been idle longer than `SAGSFLOW_SESSION_IDLE_MINUTES`
  (`last_seen_at` is written at most once a minute, to keep writes down);
- its user exists and is active, read in this request's transaction, so a
  user deactivated by any process loses the session at their next request;
- a session made with a token ends when the token is revoked or expires, and
  when the office switches token sign-in off.

A session that fails a check is deleted where it is known, and the browser is
sent to sign in again with its cookie cleared. Signing out deletes the row, so
the cookie opens nothing afterwards, even copied.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from engine.clock import Clock
from engine.exceptions import InvalidInputError
from engine.records import ApiToken, PageSession, User
from engine.workflow.definition import SYSTEM_ACTOR
from service.api import tokens
from service.api.store import ApiStore
from service.settings import Settings

log = structlog.get_logger()

COOKIE = "sagsflow_session"
OIDC = "oidc"
TOKEN = "token"
TOUCH_EVERY = timedelta(minutes=1)
_ID_BYTES = 8  # 16 hex digits: public, unique; the secret is the secret
_MAX_COOKIE = 128  # an id, an underscore and 43 characters of secret
_UNKNOWN_DIGEST = hashlib.sha256(b"no such session").hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class SessionRules:
    """How long a session lasts unused, and which ways in the office allows."""

    idle: timedelta
    token_login: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionRules:
        """The rules `settings` give.

        Raises:
            InvalidInputError: a bad `SAGSFLOW_SESSION_IDLE_MINUTES` or
                `SAGSFLOW_TOKEN_LOGIN`.
        """
        if settings.session_idle_minutes < 1:
            raise InvalidInputError(
                "SAGSFLOW_SESSION_IDLE_MINUTES must be a whole number of minutes >= 1"
            )
        if settings.token_login not in ("on", "off"):
            raise InvalidInputError("SAGSFLOW_TOKEN_LOGIN must be 'on' or 'off'")
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            token_login=settings.token_login == "on",
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Signed:
    """A session that passed every check, and its user."""

    session: PageSession
    user: User


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    """Why a cookie opens no session (logged with the public id only)."""

    reason: str  # malformed | unknown | wrong_secret | idle | no_user | deactivated
    # | token_revoked | token_expired | token_login_off
    session_id: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def open_session(
    store: ApiStore,
    clock: Clock,
    rules: SessionRules,
    *,
    user_id: str,
    method: str,
    token_id: str | None = None,
) -> str:
    """Store a new session for `user_id`; returns the cookie's value (once).

    Sessions idle past the limit are dropped on the way (they could not be
    used any more anyway).
    """
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    session = PageSession(
        id=secrets.token_hex(_ID_BYTES),
        digest=digest(secret),
        user_id=user_id,
        method=method,
        token_id=token_id,
        created_at=now,
        last_seen_at=now,
    )
    with store.transaction() as tx:
        tx.add_page_session(session, idle_before=now - rules.idle)
    log.info("page_session_opened", user=user_id, session=session.id, method=method)
    return f"{session.id}_{secret}"


def split(text: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed cookie value, else None."""
    session_id, sep, secret = text.partition("_")
    if not sep or not secret or len(text) > _MAX_COOKIE:
        return None
    if len(session_id) != 2 * _ID_BYTES or not all(
        c in "0123456789abcdef" for c in session_id
    ):
        return None
    return session_id, secret


def check(
    store: ApiStore, clock: Clock, rules: SessionRules, text: str
) -> Signed | Refusal:
    """The session a cookie names, checked now; or why it opens nothing.

    A session refused for its idleness, its user or its token is deleted.

    Raises:
        StorageError: the database is away.
    """
    parts = split(text)
    if parts is None:
        return Refusal(reason="malformed")
    session_id, secret = parts
    now = clock.now()
    with store.transaction(write=False) as tx:
        session = tx.get_page_session(session_id)
        user = tx.get_user(session.user_id) if session is not None else None
        token = (
            tx.get_token(session.token_id)
            if session is not None and session.token_id is not None
            else None
        )
    stored = session.digest if session is not None else _UNKNOWN_DIGEST
    matches = hmac.compare_digest(digest(secret), stored)  # before any early answer
    if session is None:
        return Refusal(reason="unknown")
    if not matches:
        return Refusal(reason="wrong_secret", session_id=session_id)
    reason = _why_not(session, user, token, now=now, rules=rules)
    if reason is not None:
        end(store, session_id)
        return Refusal(reason=reason, session_id=session_id)
    assert user is not None
    if now - session.last_seen_at >= TOUCH_EVERY:
        with store.transaction() as tx:
            tx.touch_page_session(session_id, now)
    return Signed(session=session, user=user)


def _why_not(
    session: PageSession,
    user: User | None,
    token: ApiToken | None,
    *,
    now: datetime,
    rules: SessionRules,
) -> str | None:
    """Why a session whose secret matched is over now (None: it is not)."""
    if now - session.last_seen_at > rules.idle:
        return "idle"
    if user is None or user.id == SYSTEM_ACTOR or SYSTEM_ACTOR in user.roles:
        return "no_user"
    if not user.active:
        return "deactivated"
    if session.method == TOKEN:
        if not rules.token_login:
            return "token_login_off"
        if token is None:
            return "token_revoked"
        state = tokens.status(token, now)
        if state != "active":
            return f"token_{state}"
    return None


def end(store: ApiStore, session_id: str) -> bool:
    """Delete a session (signing out, or a check it failed); whether it was there."""
    with store.transaction() as tx:
        return tx.end_page_session(session_id)


def end_by_cookie(store: ApiStore, text: str | None) -> str | None:
    """Sign out the session a cookie names, if it is one; returns its id.

    Only a cookie that holds the session's secret ends it: a public id alone
    (read from the record's `via`) signs nobody out.
    """
    parts = split(text or "")
    if parts is None:
        return None
    session_id, secret = parts
    with store.transaction() as tx:
        session = tx.get_page_session(session_id)
        stored = session.digest if session is not None else _UNKNOWN_DIGEST
        if not hmac.compare_digest(digest(secret), stored) or session is None:
            return None
        tx.end_page_session(session_id)
    log.info("page_session_ended", user=session.user_id, session=session_id)
    return session_id
