"""The HTTP API's own rows: bearer tokens and idempotency keys.

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
from engine.records import ApiToken, IdempotencyRecord, JsonDict


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


class ApiTransaction(TokenRecords, IdempotencyRecords, UserRecords, Protocol):
    """What the API reads and writes of its own (users: who a token acts as)."""


ApiStore: TypeAlias = Store[ApiTransaction]
