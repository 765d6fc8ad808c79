"""Every refusal of the pages as an HTML page: 400, 401, 403, 404, 503, 500.

The API answers problem+json; the pages answer a page in the user's language
with one clear message, and never a traceback:

    303  no valid session: to the login page, with the way back in `next`
    400  a query the page does not take, a bad value, a refused input
    403  a role the page does not allow (the page names the roles it needs,
         and nothing of what it would have shown); a POST from another site
    404  no such case, no such page
    503  the database is away or not initialised
    500  a bug: logged for the operators, a page that says so

The login page answers 401 itself (`service.pages.routes.login`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.exceptions import (
    CaseNotFoundError,
    ContentTamperedError,
    EngineError,
    NotFoundError,
    SchemaError,
    StorageError,
)
from engine.logs import redact_text
from service.api.middleware import crash_of
from service.pages import i18n, templating
from service.pages.auth import (
    CrossSiteError,
    ForbiddenError,
    LoginRequiredError,
    clear_session,
)

log = structlog.get_logger()

LOGIN = "/ui/login"


class PageError(Exception):
    """A refusal with its status and the words for it (`service.pages.i18n`)."""

    def __init__(self, status: int, key: str, **values: object) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.values = values


def error_page(request: Request, status: int, key: str, **values: object) -> Response:
    """The error page: a heading for `status`, and the message `key`."""
    request.state.problem = f"page-{status}"
    strings = i18n.Strings(templating.page_language(request))
    return templating.render(
        request,
        "error.html",
        viewer=getattr(request.state, "viewer", None),
        status=status,
        keep_query=False,
        code=status,
        heading=strings.maybe(f"error.{status}", strings("error.400")),
        message=redact_text(strings(key, **values)),  # never a CPR number back
    )


def login_redirect(request: Request, *, clear: bool) -> Response:
    """303 to the login page, which sends the user back here afterwards."""
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    response = RedirectResponse(f"{LOGIN}?{urlencode({'next': target})}", 303)
    if clear:
        clear_session(request, response)
    return response


def install(app: FastAPI) -> None:
    """Register the handlers that turn every refusal into a page."""

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequiredError)
        return login_redirect(request, clear=exc.clear)

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ForbiddenError)
        request.state.problem = "page-403"
        return templating.render(
            request,
            "forbidden.html",
            viewer=exc.viewer,
            status=403,
            keep_query=False,
            allowed=exc.allowed,
        )

    async def on_cross_site(request: Request, exc: Exception) -> Response:
        log.warning("page_cross_site_post", path=request.url.path, why=str(exc))
        return error_page(request, 403, "error.cross_site")

    async def on_page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return error_page(request, exc.status, exc.key, **exc.values)

    async def on_engine_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EngineError)
        return engine_error_page(request, exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        key = {404: "error.no_page", 405: "error.method", 413: "error.too_large"}
        status = exc.status_code if exc.status_code in key else 400
        return error_page(request, status, key.get(status, "error.method"))

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        detail = "; ".join(str(e.get("msg", "invalid")) for e in exc.errors())
        return error_page(request, 400, "error.refused", detail=detail)

    async def on_overflow(request: Request, exc: Exception) -> Response:
        return error_page(request, 400, "error.refused", detail=str(exc))

    app.add_exception_handler(LoginRequiredError, on_login_required)
    app.add_exception_handler(ForbiddenError, on_forbidden)
    app.add_exception_handler(CrossSiteError, on_cross_site)
    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(EngineError, on_engine_error)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(OverflowError, on_overflow)
    app.add_middleware(LastResortPage)


def engine_error_page(request: Request, exc: EngineError) -> Response:
    """The page an engine error is: 404, 503, or 400 with the engine's words."""
    if isinstance(exc, CaseNotFoundError):
        return error_page(request, 404, "error.no_case", number=exc.number)
    if isinstance(exc, NotFoundError):
        return error_page(request, 404, "error.refused", detail=str(exc))
    if isinstance(exc, ContentTamperedError):  # never served: say so
        return error_page(request, 409, "error.refused", detail=str(exc))
    if isinstance(exc, StorageError):  # its text may name paths and hosts
        log.warning("page_database_unavailable", path=request.url.path)
        schema = isinstance(exc, SchemaError)
        return error_page(
            request, 503, "error.database_schema" if schema else "error.database"
        )
    return error_page(request, 400, "error.refused", detail=str(exc))


class LastResortPage:
    """A bug: log it, answer a 500 page that names nothing internal.

    Inside the pages' app, so the API's own last resort (problem+json) never
    sees a page's exception.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        crash, responded = await crash_of(self.app, scope, receive, send)
        if crash is None:
            return
        log.error("page_request_crashed", path=scope.get("path"), exc_info=crash)
        if responded:  # too late for a page: the connection just ends
            return
        response: Any
        try:
            response = error_page(Request(scope), 500, "error.unexpected")
        except Exception:  # the error page itself failed
            response = PlainTextResponse("500 internal error", status_code=500)
        await response(scope, receive, send)
