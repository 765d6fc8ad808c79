"""`/documents`: a journalised document's content, checked against its seal.

Reading is open to every office role, as reading the case is, and every read
is logged in the access log under the token's user (`document_get`, with the
case's number), as `sagsflow document get` logs it. The bytes are served only
after `engine.cases.documents` has checked them against the digest the chain
sealed: content changed behind sagsflow's back is a 409 problem ("document
2024-0283489-8: its content no longer matches its seal"), never served. The
answer carries the media type sniffed when the document was journalised, a
`Content-Disposition: attachment` naming the document, and
`X-Content-Type-Options: nosniff`, so a browser saves it rather than runs it.

`POST /cases/{number}/events` as `multipart/form-data` fires the event with a
document's file (`uploads`, matched before the JSON event route and only for
multipart bodies, which `service.api.middleware.BodyLimit` holds to
`SAGSFLOW_DOCUMENT_MAX_BYTES` rather than the API's body limit): the same
roles, checks and idempotency as the JSON event, the file's type sniffed
from its bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from engine.exceptions import InvalidInputError
from service.api.auth import AnyUser
from service.api.routes.cases import IdempotencyKey, fire_as
from service.api.routes.shared import problems
from service.api.state import ApiState, api_state
from service.documents import EXTENSIONS, accept
from service.renditions import download, read_letter

router = APIRouter(prefix="/documents", tags=["documents"])

State = Annotated[ApiState, Depends(api_state)]


@router.get(
    "/{number}",
    operation_id="get_document",
    response_model=None,
    responses={
        200: {
            "description": "The document's content, as journalised (a letter "
            "as its PDF), in the media type it was kept under",
            "content": {kind.split(";")[0]: {} for kind in EXTENSIONS},
        },
        **problems(404, 409),
    },
)
def get_document(number: str, state: State, user: AnyUser) -> Response:
    """Document NUMBER's content (`document get`); the read is logged."""
    engine = state.engine
    read = read_letter(engine.store, state.renditions, number)
    engine.record_read(actor=user.id, action="document_get", number=read.case.number)
    return download(read)


# -- a document's file uploaded with an event ------------------------------------
UPLOAD_OVERHEAD = 64 * 1024  # the form's other fields and its boundaries


class MultipartRoute(APIRoute):
    """A route that takes only `multipart/form-data` requests: any other body
    goes on to the route of the same path and method (the JSON event)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        kind = Headers(scope=scope).get("content-type", "").lower()
        if match is Match.FULL and not kind.startswith("multipart/form-data"):
            return Match.NONE, {}
        return match, child


uploads = APIRouter(prefix="/cases", tags=["cases"], route_class=MultipartRoute)


@uploads.post(
    "/{number}/events",
    operation_id="fire_event_with_file",
    response_model=None,
    include_in_schema=False,  # one operation a path and method: README documents it
)
async def fire_event_with_file(
    number: str,
    request: Request,
    state: State,
    user: AnyUser,
    event: Annotated[str, Form(max_length=64)],
    document: Annotated[str, Form(min_length=1, max_length=500)],
    file: UploadFile,
    data: Annotated[str | None, Form(max_length=65536)] = None,
    at: Annotated[str | None, Form(max_length=64)] = None,
    expected_version: Annotated[int | None, Form()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """`POST /cases/{number}/events` as a multipart form: the event (`event`,
    `data` as a JSON object, `at`, `expected_version`) with a document
    (`document`: its title; `file`: its bytes). The file is held to
    `SAGSFLOW_DOCUMENT_MAX_BYTES`, its type sniffed from the bytes and refused
    unless kept (`service.documents`), then journalised with the event."""
    limit = state.settings.document_max_bytes
    raw = await file.read(limit + 1)
    content = accept(raw, limit=limit, name="the file")
    fields = _data(data)
    payload: dict[str, object] = {
        "event": event,
        "document": document,
        "data": fields,
        "at": at,
        "expected_version": expected_version,
        "sha256": hashlib.sha256(content.data).hexdigest(),
    }
    return await run_in_threadpool(
        fire_as,
        state,
        request,
        user,
        number,
        event,
        data=fields,
        document=document,
        at_text=at,
        expected_version=expected_version,
        key=idempotency_key,
        payload=payload,
        content=content,
    )


def _data(text: str | None) -> dict[str, object]:
    """The form's `data`: a JSON object of the event's fields.

    Raises:
        InvalidInputError: not a JSON object.
    """
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise InvalidInputError("the form's data must be a JSON object")
    return value
