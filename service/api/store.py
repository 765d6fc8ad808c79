"""The HTTP API's own rows: bearer tokens and idempotency keys; the pages' sessions.

The API owns these protocols; `storage` implements them (its SQL and in-memory
stores hand out transactions that play these roles besides the engine's),
without importing this module: the match is structural. The engine never
sees either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeAlias

from engine.ports import Store, UserRecords
from engine.records import (
    ApiToken,
    IdempotencyRecord,
    JsonDict,
    PageSession,
    PendingSignIn,
)


class TokenRecords(Protocol):
    def add_token(self, token: ApiToken) -> None:
        """Store a new API token (its digest only).

        Raises:
            DuplicateError: a token with that id exists.
        """
        ...

    def get_token(self, token_id: str) -> ApiToken | None: ...

    def list_tokens(self) -> Sequence[ApiToken]:
        """Every token, revoked and expired ones included, oldest first."""
        ...

    def revoke_token(self, token_id: str, at: datetime) -> ApiToken | None:
        """Mark a token revoked at `at` (an earlier revocation is kept).

        Returns the token as stored now, or None when there is no such token.
        """
        ...


class IdempotencyRecords(Protocol):
    def claim_idempotency(
        self, record: IdempotencyRecord, *, expire_before: datetime
    ) -> IdempotencyRecord | None:
        """Claim (user, key) for a request about to run.

        Records created before `expire_before` are past their retention: they
        are dropped first, and their key is free again. Returns None when the
        claim is this request's, else the record that holds the key (in flight
        or answered); under concurrency exactly one claimant gets None.
        """
        ...

    def finish_idempotency(
        self,
        user_id: str,
        key: str,
        *,
        status: int,
        body: str,
        headers: JsonDict,
        at: datetime,
    ) -> None:
        """Store the answer of the request that holds the claim."""
        ...

    def release_idempotency(self, user_id: str, key: str) -> None:
        """Drop an unanswered claim (the request failed and fired nothing)."""
        ...


class PageSessionRecords(Protocol):
    """The review pages' sessions and pending sign-ins (service.pages.sessions)."""

    def add_page_session(self, session: PageSession, *, idle_before: datetime) -> None:
        """Store a new session; sessions last seen before `idle_before` go first.

        Raises:
            DuplicateError: a session with that id exists.
        """
        ...

    def get_page_session(self, session_id: str) -> PageSession | None: ...

    def touch_page_session(self, session_id: str, at: datetime) -> None:
        """Mark the session seen at `at` (never earlier than it was)."""
        ...

    def end_page_session(self, session_id: str) -> bool:
        """Delete the session; whether there was one."""
        ...

    def add_pending_sign_in(
        self, pending: PendingSignIn, *, expire_before: datetime
    ) -> None:
        """Store a sign-in sent to the provider; those made before
        `expire_before` are dropped first.

        Raises:
            DuplicateError: a sign-in with that state exists.
        """
        ...

    def take_pending_sign_in(self, state_digest: str) -> PendingSignIn | None:
        """Remove the sign-in of that state and return it (None when there is
        none): under concurrency exactly one caller gets it."""
        ...


class ApiTransaction(
    TokenRecords, IdempotencyRecords, PageSessionRecords, UserRecords, Protocol
):
    """What the API and the pages read and write of their own (users: who a
    token or a session acts as)."""


ApiStore: TypeAlias = Store[ApiTransaction]
