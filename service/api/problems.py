"""Every error of the HTTP API as RFC 9457 problem details.

A problem is JSON of content type `application/problem+json` with `type` (a
URN naming the problem, `urn:sagsflow:problem:<slug>`), `title`, `status`,
`detail` (the engine's one-line message, as the CLI prints it) and `instance`
(the request's path); some carry more members (`errors`, `allowed`, `state`).

The engine's error tree maps onto statuses here, in one table (`_ENGINE`):

    400  a malformed request (JSON that does not parse, a bad query parameter)
         and refused input that is not event data (InvalidInputError)
    401  no valid token (service.api.auth)
    403  a role not allowed (RoleNotAllowedError and the API's own role checks)
    404  no such case, workflow, user or notification
    409  a concurrent update, the event not allowed in the case's state, a
         workflow rule that refuses it now, a duplicate
    413  a request body over the limit (service.api.middleware)
    422  data that does not fit the declaration (InvalidDataError,
         InvalidTimeError, an unknown event, a body of the wrong shape)
    503  the database is away or not initialised (retry later)

A 500 is only ever an unexpected exception (`service.api.middleware`), and the
tests hold that no client input produces one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    ConflictError,
    ContentTamperedError,
    DefinitionError,
    DocumentNotFoundError,
    DuplicateError,
    EngineError,
    GuardRejectedError,
    InvalidDataError,
    InvalidInputError,
    InvalidTimeError,
    NotAllowedError,
    NotFoundError,
    RoleNotAllowedError,
    SchemaError,
    StorageError,
    TransitionNotAllowedError,
    UserNotFoundError,
    WorkflowNotFoundError,
)
from engine.logs import redact_text

log = structlog.get_logger()

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:sagsflow:problem:"

# Most specific first: the first class an error is an instance of decides.
_ENGINE: tuple[tuple[type[EngineError], int, str, str], ...] = (
    (RoleNotAllowedError, 403, "role-not-allowed", "Role not allowed"),
    (GuardRejectedError, 409, "rule-refused", "Refused by a workflow rule"),
    (NotAllowedError, 403, "not-allowed", "Not allowed"),
    (CaseNotFoundError, 404, "case-not-found", "No such case"),
    (DocumentNotFoundError, 404, "document-not-found", "No such document"),
    (WorkflowNotFoundError, 404, "workflow-not-found", "No such workflow"),
    (UserNotFoundError, 404, "user-not-found", "No such user"),
    (NotFoundError, 404, "not-found", "Not found"),
    (ConcurrentUpdateError, 409, "concurrent-update", "Changed by someone else"),
    (DuplicateError, 409, "duplicate", "Already exists"),
    (ContentTamperedError, 409, "content-tampered", "Content does not match its seal"),
    (ConflictError, 409, "conflict", "Conflict"),
    (InvalidDataError, 422, "invalid-data", "Data does not fit the declaration"),
    (InvalidTimeError, 422, "invalid-time", "Time not allowed"),
    (InvalidInputError, 400, "bad-request", "Bad request"),
    (SchemaError, 503, "database-not-ready", "Database not initialised"),
    (StorageError, 503, "database-unavailable", "Database unavailable"),
    (DefinitionError, 500, "workflow-declaration", "Workflow declaration error"),
)

_HTTP_TITLES = {
    400: ("bad-request", "Bad request"),
    404: ("no-such-resource", "No such resource"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("body-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


class ApiProblem(Exception):
    """An error the API itself raises, rendered as the problem it names."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        logged: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})  # more members of the problem
        self.logged = dict(logged or {})  # for the log line only, not the client


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    instance: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """The problem as a response (status, `application/problem+json`)."""
    body = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **(extra or {}),
    }
    # A refusal may quote the input (a path, a value): never a CPR number.
    content = redact_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    return Response(
        content=content,
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def engine_problem(exc: EngineError) -> ApiProblem:
    """The problem an engine error is, with the context it carries."""
    if isinstance(exc, TransitionNotAllowedError):
        extra = {"state": exc.state, "allowed": list(exc.allowed)}
        if exc.unknown:
            return ApiProblem(
                422, "unknown-event", "Not an event of this workflow", str(exc)
            )
        return ApiProblem(
            409,
            "transition-not-allowed",
            "Event not allowed in the case's state",
            str(exc),
            extra=extra,
        )
    for cls, status, slug, title in _ENGINE:
        if isinstance(exc, cls):
            extra = {}
            if isinstance(exc, RoleNotAllowedError):
                extra = {"allowed": list(exc.allowed)}
            elif isinstance(exc, GuardRejectedError):
                extra = {"rule": exc.guard}
            detail = str(exc)
            if isinstance(exc, StorageError):  # its text may name paths and hosts
                detail = (
                    "the database is not initialised or not up to date"
                    if isinstance(exc, SchemaError)
                    else "the database cannot be reached; try again later"
                )
            return ApiProblem(status, slug, title, detail, extra=extra)
    return ApiProblem(400, "refused", "Refused", str(exc))


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> ApiProblem:
    """A request FastAPI could not read into its parameters.

    JSON that does not parse, and anything wrong with the query, path or
    headers, is a malformed request (400); a JSON body of the wrong shape is
    422. Input values are not echoed: they may be personal data.
    """
    listed = [
        {
            "location": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "invalid")),
        }
        for error in errors
    ]
    malformed = any(
        error.get("type") == "json_invalid"
        or (error.get("loc") or ("body",))[0] != "body"
        for error in errors
    )
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in listed)
    if malformed:
        return ApiProblem(
            400,
            "malformed-request",
            "Malformed request",
            detail,
            extra={"errors": listed},
        )
    return ApiProblem(
        422,
        "invalid-body",
        "Body does not fit the operation",
        detail,
        extra={"errors": listed},
    )


def render(request: Request, problem: ApiProblem) -> Response:
    """Respond with `problem`; 401s and 403s are logged (never with the token)."""
    user = getattr(request.state, "user", None)
    if problem.status == 401:
        log.warning(
            "api_unauthenticated",
            path=request.url.path,
            client=request.client.host if request.client else None,
            **problem.logged,
        )
    elif problem.status == 403:
        log.warning(
            "api_forbidden", path=request.url.path, user=user, problem=problem.slug
        )
    request.state.problem = problem.slug
    return problem_response(
        problem.status,
        problem.slug,
        problem.title,
        problem.detail,
        instance=request.url.path,
        headers=problem.headers,
        extra=problem.extra,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every known error into a problem."""

    async def on_api_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        return render(request, exc)

    async def on_engine_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EngineError)
        return render(request, engine_problem(exc))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return render(request, validation_problem(exc.errors()))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        slug, title = _HTTP_TITLES.get(exc.status_code, ("http-error", "HTTP error"))
        detail = str(exc.detail)
        if exc.status_code == 404:
            detail = f"no resource at {request.url.path}"
        return render(
            request,
            ApiProblem(exc.status_code, slug, title, detail, headers=exc.headers),
        )

    async def on_overflow(request: Request, exc: Exception) -> Response:
        # A date or number so far out that the calendar arithmetic overflows
        # (year 1 or 9999): the client's value, not a bug of ours.
        return render(
            request,
            ApiProblem(422, "out-of-range", "Value out of range", str(exc)),
        )

    app.add_exception_handler(ApiProblem, on_api_problem)
    app.add_exception_handler(EngineError, on_engine_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(OverflowError, on_overflow)
