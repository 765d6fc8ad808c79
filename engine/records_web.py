"""The HTTP API's and the review pages' own values: tokens, idempotency keys,
sessions and sign-ins.

Kept apart from `engine.records` (the case record's values), which re-exports
them, so that file holds the record and this one the web surfaces' bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JsonDict = dict[str, Any]  # as engine.records's (which imports this module)


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiToken:
    """A bearer token of the HTTP API, bound to one user; only its digest is kept.

    The token itself is shown once, when it is made; `digest` is its SHA-256,
    so a copy of the database gives no usable token.
    """

    id: str  # the public part of the token, named in `token list` and `revoke`
    user_id: str
    digest: str  # hex SHA-256 of the secret part
    created_at: datetime
    expires_at: datetime | None = None  # refused from this instant on
    revoked_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class IdempotencyRecord:
    """A POST made with an `Idempotency-Key`, and its answer once there is one.

    Keyed by (user, key): the first request claims the key before it does
    anything, so a second one with the same key finds it (in flight, or done
    with the answer to replay) and fires nothing.
    """

    user_id: str
    key: str
    fingerprint: str  # hex SHA-256 of the method, the path and the canonical body
    created_at: datetime
    status: int | None = None  # None while the first request is in flight
    body: str | None = None  # the answer's JSON text
    headers: JsonDict = field(default_factory=dict)
    completed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class PageSession:
    """A browser signed in to the review pages (service.pages.sessions): the
    cookie holds `<id>_<secret>`, the store only the secret's SHA-256."""

    id: str  # public: the pages' `via` names it (engine.via.pages)
    digest: str  # hex SHA-256 of the secret part
    user_id: str
    method: str  # oidc (the office's provider) | token (an API token)
    token_id: str | None = None  # the token's public id, for method token
    created_at: datetime
    last_seen_at: datetime  # kept to the minute: the idle limit counts from it


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingSignIn:
    """A sign-in gone to the OpenID provider, not back yet; used once
    (service.pages.oidc_flow)."""

    state_digest: str  # hex SHA-256 of the `state` sent
    nonce: str  # the ID token must carry it
    verifier: str  # PKCE: the code is redeemed with it
    next_path: str
    browser_digest: str  # SHA-256 of the secret in the browser's sign-in cookie
    created_at: datetime
