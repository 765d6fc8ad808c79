"""The API's ASGI middleware: request log, last resort, token gate, body limit.

Outermost first: `RequestLog` writes one `api_request` line per request
(method, path, client address, status, user, duration; never headers, so never
the token, and never the query string or body; the log pipeline scrubs CPR
numbers from the rest); `LastResort` turns an unexpected exception into a 500
problem that names nothing internal, and logs it; `AuthGate` answers 401 to a
request without a valid token before anything else is read, and runs the rest
of it as come in over the API with the token's public id (`engine.via`);
`BodyLimit` refuses a body over the limit with a 413 problem before the app
reads it (under the pages' prefix, by raising as the body is read, so the
pages' 413 page answers).
"""

from __future__ import annotations

import time

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine import via
from engine.exceptions import EngineError
from service.api import tokens
from service.api.auth import PAGES_PREFIX, authenticate, needs_token
from service.api.problems import ApiProblem, engine_problem, problem_response, render
from service.api.state import ApiState

log = structlog.get_logger()


class BodyTooLargeError(HTTPException):
    """Raised while the body is read; FastAPI passes HTTPExceptions through."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=f"the request body is larger than {limit} bytes",
        )


class RequestLog:
    """One `api_request` line per request, and the user bound for every line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            state = scope.get("state", {})
            log.info(
                "api_request",
                method=scope.get("method"),
                path=scope.get("path"),
                client=_client(scope),
                status=status,
                user=state.get("user"),
                problem=state.get("problem"),
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )


class AuthGate:
    """401 unless the request carries a valid token (public paths, pages excepted).

    The user found is kept in the request's state for `current_user`. The rest
    of the request runs with `via.api(token id)`: the routes' engine calls run
    in a thread pool that copies this context, so every entry and logged read
    they write says it came in with this token (its public id, never the secret).
    """

    def __init__(self, app: ASGIApp, *, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not needs_token(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        header = request.headers.get("authorization")
        try:
            user = await run_in_threadpool(authenticate, self.state, header)
        except ApiProblem as problem:
            await render(request, problem)(scope, receive, send)
            return
        except EngineError as exc:  # the database is away: 503
            await render(request, engine_problem(exc))(scope, receive, send)
            return
        request.state.principal = user
        request.state.user = user.id
        with via.entering(via.api(_token_id(header))):
            await self.app(scope, receive, send)


def _client(scope: Scope) -> str | None:
    """The client's address: the peer's, or behind a trusted proxy the one it
    forwarded (service.api.forwarded)."""
    client = scope.get("client")
    return str(client[0]) if client else None


def _token_id(authorization: str | None) -> str:
    """The public id of the bearer token in a header that authenticated."""
    _, _, credentials = (authorization or "").partition(" ")
    parts = tokens.split(credentials.strip())
    assert parts is not None, "the header authenticated, so its token is well-formed"
    return parts[0]


class BodyLimit:
    """Refuse request bodies over `limit` bytes (413), declared or streamed.

    A body somewhat over the limit (up to `DRAIN_FACTOR` times it) is read and
    thrown away before the answer, so the client, still sending, gets the 413
    instead of a reset connection; a larger one is answered at once and the
    connection closed.
    """

    DRAIN_FACTOR = 16

    def __init__(
        self, app: ASGIApp, *, limit: int, upload_limit: int | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        # a multipart upload (a document with an event) has a limit of its own
        self.uploads = (
            BodyLimit(app, limit=upload_limit) if upload_limit is not None else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.uploads is not None and _is_upload(scope):
            await self.uploads(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if (
            declared.isascii()
            and declared.isdigit()
            and int(declared) > self.limit
            and not _is_page(scope)  # the pages answer with a page, as when streamed
        ):
            close = not await self._drain(receive, 0)
            scope.setdefault("state", {})["problem"] = "body-too-large"
            response = problem_response(
                413,
                "body-too-large",
                "Request body too large",
                BodyTooLargeError(self.limit).detail,
                instance=str(scope.get("path", "")),
                headers={"connection": "close"} if close else None,
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    if message.get("more_body", False):
                        await self._drain(receive, seen)
                    raise BodyTooLargeError(self.limit)
            return message

        await self.app(scope, counting, send)

    async def _drain(self, receive: Receive, seen: int) -> bool:
        """Read the rest of the body, up to the cap; whether it was all read."""
        while seen <= self.limit * self.DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request":
                return False
            seen += len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False


def _is_upload(scope: Scope) -> bool:
    kind = Headers(scope=scope).get("content-type", "")
    return kind.lower().startswith("multipart/form-data") and not _is_page(scope)


def _is_page(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path == PAGES_PREFIX or path.startswith(PAGES_PREFIX + "/")


async def crash_of(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> tuple[Exception | None, bool]:
    """Run `app`: (the exception it raised, if any; had a response begun?).

    The last resorts (the API's here, the pages' in `service.pages.errors`)
    share this; a response that had begun can only be cut short.
    """
    responded = False

    async def tracking(message: Message) -> None:
        nonlocal responded
        if message["type"] == "http.response.start":
            responded = True
        await send(message)

    try:
        await app(scope, receive, tracking)
    except Exception as exc:
        return exc, responded
    return None, responded


class LastResort:
    """An unexpected exception: log it, answer 500 without internals, go on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        crash, responded = await crash_of(self.app, scope, receive, send)
        if crash is None:
            return
        log.error(
            "api_request_crashed",
            method=scope.get("method"),
            path=scope["path"],
            exc_info=crash,
        )
        if not responded:  # else too late for a problem: the connection just ends
            scope.setdefault("state", {})["problem"] = "internal-error"
            response = problem_response(
                500,
                "internal-error",
                "Internal error",
                "the request failed unexpectedly; it is logged for the operators",
                instance=str(scope.get("path", "")),
            )
            await response(scope, receive, send)
