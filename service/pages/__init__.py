"""The review pages: the overdue dashboard, a case's timeline, the audit search.

Server-rendered HTML (Jinja2, plain forms, no script) for the people who review
the office's work: the head of office, auditors, the data protection officer,
caseworkers. They live under `/ui` in the API's own application (so `sagsflow
api`, `serve` and `demo --serve` all serve them), in an application of their
own mounted there: their errors are pages, not problem+json, and the API's
documentation does not list them.

    /ui/login, /ui/logout        sign in (a token) and out; a session (sessions.py)
    /ui/oidc/login, /callback    sign in at the office's OpenID provider (oidc_flow.py)
    /ui/signed-out               signed out; the provider's end-session offered
    /ui/                         counts; overdue cases, chaser, outbox failures
    /ui/mine                     "Mine sager": one owner's open cases
    /ui/cases?q=TEXT             the case box: to a number's case, or what it finds
    /ui/cases/{number}           summary, deadline and why, diagram, timeline
    /ui/cases/{number}/dossier   the API's dossier, as a file
    /ui/audit, /ui/audit.csv     search the record; all of a search as CSV
    /ui/audit/verify             check every hash chain
    /ui/static/style.css         the one stylesheet

The roles are the API's: see `service.pages.auth`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import RedirectResponse
from starlette.staticfiles import StaticFiles

from service.api.auth import PAGES_PREFIX
from service.api.state import ApiState
from service.pages import errors, oidc_flow
from service.pages.routes import ROUTERS
from service.pages.sessions_gate import SessionGate

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, state: ApiState) -> None:
    """Serve the pages under `/ui` of `app`, and send `/` there.

    Raises:
        InvalidInputError: a sign-in setting missing or malformed
            (`service.pages.oidc_flow.setup_from_settings`).
    """
    pages = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    pages.state.sagsflow = state
    pages.state.sign_in = setup = oidc_flow.setup_from_settings(state.settings)
    # Inside the pages' last resort (errors.install adds it, outside this one).
    pages.add_middleware(SessionGate, state=state, rules=setup.rules)
    errors.install(pages)
    for router in ROUTERS:
        pages.include_router(router)
    pages.mount("/static", StaticFiles(directory=STATIC), name="static")

    def to_pages() -> RedirectResponse:
        return RedirectResponse(PAGES_PREFIX + "/", status_code=303)

    app.add_api_route("/", to_pages, include_in_schema=False)
    app.add_api_route(PAGES_PREFIX, to_pages, include_in_schema=False)
    app.mount(PAGES_PREFIX, pages)


__all__ = ["install"]
