"""Who is looking: the pages' session, the roles a page needs, and CSRF.

A person signs in with the office's OpenID provider
(`service.pages.oidc_flow`) or, where the office allows it, with an API token
(`sagsflow token create USER`, `service.pages.routes.login`); either way the
server stores a session (`service.pages.sessions`) and the browser gets the
cookie `sagsflow_session` (HttpOnly, SameSite=Strict, Path=/ui, Secure when
people reach the pages over HTTPS, no lifetime: it ends with the browser
session) holding the session's id and secret, never a token.
`service.pages.sessions_gate.SessionGate` checks it on every page request and
`current_viewer` turns what it found into the page's viewer: a session that is
unknown, idle too long, signed out, of a deactivated user or of a revoked
token sends the browser to sign in again, in every process and on every
machine that serves the pages (they share the database). The API never reads
the cookie; it stays Bearer-only (`service.api.middleware.AuthGate`).

The role groups are the API's (`service.api.auth`), so a page shows what the
same user's token may read over HTTP.

Hazard: a POST carries the cookie, so every POST checks `check_origin` (the
SameSite=Strict cookie already keeps other sites' forms out; the Origin and
Sec-Fetch-Site headers are the second lock).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

import structlog
from fastapi import Depends, Request
from starlette.responses import Response

from engine.cases.owners import OWNER_ROLES
from engine.exceptions import EngineError
from engine.records import User
from service.api.auth import OVERSEERS, PAGES_PREFIX, RECORD_READERS
from service.api.state import api_state
from service.pages.sessions import COOKIE, Signed
from service.pages.sessions_gate import FAILED, REFUSED, SIGNED

log = structlog.get_logger()

MAX_TOKEN_CHARS = 256  # a token is about 60; anything much longer is not one
HOME = PAGES_PREFIX + "/"


@dataclass(frozen=True, kw_only=True, slots=True)
class Viewer:
    """The signed-in user a page is rendered for, and their session's public id."""

    user: User
    session_id: str | None = None

    @property
    def id(self) -> str:
        return self.user.id

    def holds(self, roles: Sequence[str]) -> bool:
        return bool(set(self.user.roles) & set(roles))

    @property
    def reads_record(self) -> bool:
        """Cases, the audit log, the overdue list and the outbox (RECORD_READERS)."""
        return self.holds(RECORD_READERS)

    @property
    def oversees(self) -> bool:
        """Verification of the whole record (OVERSEERS)."""
        return self.holds(OVERSEERS)

    @property
    def owns_cases(self) -> bool:
        """Whether cases can lie on this user's desk (`engine.cases.owners`)."""
        return self.holds(OWNER_ROLES)


class LoginRequiredError(Exception):
    """No valid session: the browser is sent to the login page."""

    def __init__(self, *, clear: bool) -> None:
        super().__init__("login required")
        self.clear = clear  # the cookie holds a token that no longer works


class ForbiddenError(Exception):
    """A logged-in user without a role the page needs (403, no page data)."""

    def __init__(self, viewer: Viewer, allowed: Sequence[str]) -> None:
        super().__init__(f"user {viewer.id!r} may not see this")
        self.viewer = viewer
        self.allowed = tuple(allowed)


class CrossSiteError(Exception):
    """A POST that another site's page sent (403)."""


def current_viewer(request: Request) -> Viewer:
    """The signed-in user, as the session gate found them (a dependency).

    Raises:
        LoginRequiredError: no session cookie, or one that opens no session.
        StorageError: the database is away (a 503 page).
    """
    state = request.scope.get("state", {})
    failed = state.get(FAILED)
    if isinstance(failed, EngineError):
        raise failed
    signed = state.get(SIGNED)
    if not isinstance(signed, Signed):
        raise LoginRequiredError(clear=bool(state.get(REFUSED)))
    viewer = Viewer(user=signed.user, session_id=signed.session.id)
    request.state.user = viewer.id  # for the request log line
    request.state.viewer = viewer  # for error pages
    return viewer


def require(*roles: str) -> Callable[..., Viewer]:
    """A dependency: the logged-in user, who must hold one of `roles`."""

    def allowed(
        request: Request, viewer: Annotated[Viewer, Depends(current_viewer)]
    ) -> Viewer:
        if not viewer.holds(roles):
            log.warning("page_forbidden", path=request.url.path, user=viewer.id)
            raise ForbiddenError(viewer, roles)
        return viewer

    return allowed


AnyViewer = Annotated[Viewer, Depends(current_viewer)]
Reader = Annotated[Viewer, Depends(require(*RECORD_READERS))]
Overseer = Annotated[Viewer, Depends(require(*OVERSEERS))]


def check_origin(request: Request) -> None:
    """Refuse a POST sent from another site (a dependency of every POST).

    A browser names the page's origin in `Origin` on a POST, and modern ones
    say in `Sec-Fetch-Site` whether it came from this site; when a header is
    there it must agree. Without them (curl, old browsers) the SameSite=Strict
    cookie is the guard. The origin must be this site's public one: its host
    the request's `Host` (behind a proxy the browser's, which the proxy passes
    on or, from a trusted proxy, names in `X-Forwarded-Host`:
    service.api.forwarded), its scheme one of `public_schemes`.

    Raises:
        CrossSiteError: the request came from another origin.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise CrossSiteError(f"Sec-Fetch-Site: {site}")
    origin = request.headers.get("origin")
    if origin is None:
        return
    parts = urlsplit(origin)
    host = request.headers.get("host", "").strip().lower()
    if origin == "null" or not host or parts.netloc.lower() != host:
        raise CrossSiteError(f"Origin {origin!r} is not this site")
    if parts.scheme not in public_schemes(request):
        raise CrossSiteError(f"Origin {origin!r} is not this site's scheme")


def public_schemes(request: Request) -> frozenset[str]:
    """The schemes people reach the pages by: the request's own (https behind a
    trusted proxy that ends TLS: service.api.forwarded), and https when
    `SAGSFLOW_PUBLIC_URL` says so."""
    schemes = {request.url.scheme}
    if (api_state(request).settings.public_url or "").lower().startswith("https://"):
        schemes.add("https")
    return frozenset(schemes)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of the pages on this site, else home.

    Refuses everything that could leave the site: a scheme or host
    (`https://evil`, `//evil`), backslashes (which browsers read as slashes),
    control characters, and paths outside the pages.
    """
    if not target or len(target) > 2000:
        return HOME
    if any(ord(c) < 0x21 or c == "\\" or ord(c) == 0x7F for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME):
        return HOME
    if "/../" in parts.path or parts.path.endswith("/.."):
        return HOME
    return target


def secure_cookies(request: Request) -> bool:
    """Whether cookies get `Secure`: when people reach the pages over https
    (the request itself, a trusted proxy's `X-Forwarded-Proto: https`, or
    `SAGSFLOW_PUBLIC_URL` https)."""
    return "https" in public_schemes(request)


def set_session(request: Request, response: Response, value: str) -> None:
    """Give the browser the session cookie (`<id>_<secret>`, sessions.open_session)."""
    response.set_cookie(
        COOKIE,
        value,
        path=PAGES_PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=PAGES_PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
