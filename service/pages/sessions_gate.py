"""`SessionGate`: every page request's session, checked before the page runs.

A pure-ASGI middleware of the pages' application. When the request carries
the session cookie it checks it (`service.pages.sessions.check`, in a worker
thread: it reads the database) and leaves what it found in the request's
state for `service.pages.auth.current_viewer`, which decides: a page that
needs a viewer raises `LoginRequiredError` (or the database's error) there,
inside the app, so the pages' own error handlers answer. The gate answers
nothing itself. For a signed-in request it runs the page inside
`engine.via.entering(engine.via.pages(session_id))`, so whatever the page
writes records that it came in through the pages, and by which session.

The stylesheet is served without a look at the cookie.
"""

from __future__ import annotations

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from engine import via
from engine.exceptions import EngineError
from service.api.state import ApiState
from service.pages.sessions import COOKIE, Refusal, SessionRules, check

log = structlog.get_logger()

SIGNED = "page_session"  # scope state: the `Signed` session
REFUSED = "page_session_refused"  # scope state: True when the cookie opened nothing
FAILED = "page_session_failed"  # scope state: the EngineError the check raised
_UNCHECKED = ("/static/",)


class SessionGate:
    """Checks the session cookie of every page request (see the module)."""

    def __init__(self, app: ASGIApp, *, state: ApiState, rules: SessionRules) -> None:
        self.app = app
        self.state = state
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _page_path(scope).startswith(_UNCHECKED):
            await self.app(scope, receive, send)
            return
        text = HTTPConnection(scope).cookies.get(COOKIE)
        if not text:
            await self.app(scope, receive, send)
            return
        found_in = scope.setdefault("state", {})
        try:
            found = await run_in_threadpool(
                check, self.state.store, self.state.engine.clock, self.rules, text
            )
        except EngineError as exc:  # the database is away: the page says so
            found_in[FAILED] = exc
            await self.app(scope, receive, send)
            return
        if isinstance(found, Refusal):
            log.warning(
                "page_session_refused",
                path=scope.get("path"),
                reason=found.reason,
                session=found.session_id,  # the public id only
            )
            found_in[REFUSED] = True
            await self.app(scope, receive, send)
            return
        found_in[SIGNED] = found
        with via.entering(via.pages(found.session.id)):
            await self.app(scope, receive, send)


def _page_path(scope: Scope) -> str:
    """The path within the pages (the mount's `root_path`, /ui, taken off)."""
    path = str(scope.get("path", ""))
    root = str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path
