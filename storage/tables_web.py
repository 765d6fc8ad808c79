"""The tables of the HTTP API and the review pages: tokens, idempotency keys,
page sessions and pending sign-ins (`storage.tables` re-exports them).

No `from __future__ import annotations` here (see `storage.tables`).
"""

import datetime as dt
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.columns import json_type as _json


class ApiTokenRow(SQLModel, table=True):
    """A bearer token of the HTTP API: its SHA-256 digest, never the token."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_user_id", "user_id"),)

    id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(max_length=128, foreign_key="app_user.id")
    digest: str = Field(max_length=64)
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class IdempotencyRow(SQLModel, table=True):
    """A POST's `Idempotency-Key` per user, claimed first, answered after.

    The primary key makes a second request with the same key find the first
    one's row instead of firing again; rows are dropped after their retention.
    """

    __tablename__ = "api_idempotency"
    __table_args__ = (Index("ix_api_idempotency_created_at", "created_at"),)

    user_id: str = Field(primary_key=True, max_length=128)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)
    created_at: dt.datetime
    status: int | None = None
    body: str | None = None
    headers: dict[str, Any] = Field(sa_type=_json())
    completed_at: dt.datetime | None = None


class PageSessionRow(SQLModel, table=True):
    """A browser signed in to the review pages: its secret's SHA-256, not the secret."""

    __tablename__ = "page_session"
    __table_args__ = (
        Index("ix_page_session_user_id", "user_id"),
        Index("ix_page_session_last_seen_at", "last_seen_at"),
    )

    id: str = Field(primary_key=True, max_length=32)
    digest: str = Field(max_length=64)
    user_id: str = Field(max_length=128, foreign_key="app_user.id")
    method: str = Field(max_length=16)  # oidc | token
    token_id: str | None = Field(default=None, max_length=32)
    created_at: dt.datetime
    last_seen_at: dt.datetime


class PendingSignInRow(SQLModel, table=True):
    """A sign-in gone to the OpenID provider, keyed by its state's digest; used once."""

    __tablename__ = "page_sign_in"
    __table_args__ = (Index("ix_page_sign_in_created_at", "created_at"),)

    state_digest: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=128)
    verifier: str = Field(max_length=128)
    next_path: str = Field(max_length=2000)
    browser_digest: str = Field(max_length=64)
    created_at: dt.datetime
