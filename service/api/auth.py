"""Who is asking: the bearer token's user, and the roles a resource needs.

Every request except `/health` and the documentation carries
`Authorization: Bearer <token>`; the request acts as the token's user and
nobody else. Without a valid token: 401 (with `WWW-Authenticate: Bearer`).
Events are authorised by the workflow declarations (the engine's own role
checks, see `service.api.routes.cases`); the record, reports and the outbox
by the role groups below, with `require`. Every office role may read cases and
workflows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.records import User
from service.api import tokens
from service.api.problems import ApiProblem
from service.api.state import ApiState, api_state

RECORD_READERS = ("caseworker", "advisor", "auditor")
"""The audit log, case dossiers, reports and the outbox."""

OVERSEERS = ("advisor", "auditor")
"""Verification of the whole record, and the access log (who read what)."""

OUTBOX_HANDLERS = ("caseworker", "advisor")
"""Putting a failed notification back in line."""

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from 'sagsflow token create USER'; it acts as USER.",
)


PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect"})
"""What answers without a token: probes, and the API's own documentation."""

DOCS_ASSETS = "/docs-assets"
"""Swagger UI's script, stylesheet and icon for /docs (served, like /docs, to all)."""

PAGES_PREFIX = "/ui"
"""The review pages (service.pages): they check their own session cookie, and
`/` sends a browser there. A cookie never authenticates an API request."""


def needs_token(path: str) -> bool:
    """Whether a request to `path` must carry a bearer token (the gate's rule)."""
    if path in PUBLIC_PATHS or path in ("/", PAGES_PREFIX):
        return False
    if path.startswith(DOCS_ASSETS + "/"):
        return False
    return not path.startswith(PAGES_PREFIX + "/")


def _unauthenticated(
    detail: str, reason: str, token_id: str | None = None
) -> ApiProblem:
    return ApiProblem(
        401,
        "unauthenticated",
        "Authentication required",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="sagsflow"'},
        logged={"reason": reason, "token_id": token_id},  # the public id only
    )


def authenticate(state: ApiState, authorization: str | None) -> User:
    """The user an `Authorization` header's bearer token acts as.

    Raises:
        ApiProblem: 401 without a token, or with one that is malformed,
            unknown, wrong, revoked or expired (the reason is logged only).
        StorageError: the database is away.
    """
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _unauthenticated(
            "send 'Authorization: Bearer <token>' (sagsflow token create USER)",
            "missing",
        )
    found = tokens.authenticate(state.store, state.engine.clock, credentials.strip())
    if isinstance(found, tokens.Refusal):
        raise _unauthenticated(
            "the token is not valid (unknown, revoked or expired)",
            found.reason,
            found.token_id,
        )
    return found


def current_user(
    request: Request,
    state: Annotated[ApiState, Depends(api_state)],
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The token's user, as `service.api.middleware.AuthGate` found it.

    The gate authenticates before the body is read, so a request without a
    valid token is a 401 whatever its body; the bearer parameter here puts
    the scheme in the OpenAPI document.
    """
    user = getattr(request.state, "principal", None)
    if not isinstance(user, User):  # an app without the gate (not ours)
        user = authenticate(state, request.headers.get("authorization"))
        request.state.user = user.id
    return user


def require(*roles: str) -> Callable[..., User]:
    """A dependency: the token's user, who must hold one of `roles` (else 403)."""

    def allowed(user: Annotated[User, Depends(current_user)]) -> User:
        if not set(user.roles) & set(roles):
            held = ", ".join(user.roles)
            raise ApiProblem(
                403,
                "role-not-allowed",
                "Role not allowed",
                f"user {user.id!r} ({held}) may not do this; "
                f"allowed roles: {', '.join(roles)}",
                extra={"allowed": list(roles)},
            )
        return user

    return allowed


AnyUser = Annotated[User, Depends(current_user)]
