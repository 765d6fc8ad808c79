"""`/cases`: open, fire an event, show, list, and journal documents.

Reading is open to every office role; every read of one case is logged in the
access log under the token's user, as `case show` logs it. Opening and events
are authorised by the workflow's declaration: before anything else, a user
who holds none of the roles any declaration of the event allows gets 403
(an auditor fires nothing, a caseworker never closes), whatever the case's
state; the engine then applies its own checks (state, data, guards) as it does
for the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from engine.dates.calendars import local_date
from engine.exceptions import InvalidInputError, RoleNotAllowedError
from engine.records import CaseFilter, Content, Party, User
from engine.search import MAX_LENGTH, search_alone
from engine.workflow.definition import Transition
from service import present
from service.api.auth import AnyUser
from service.api.idempotency import HEADER, KEY_PATTERN, Outcome, run_once
from service.api.routes.shared import (
    IDEMPOTENCY_DOC,
    MAX_LIMIT,
    MAX_OFFSET,
    case_body,
    check_dates,
    json_response,
    parse_effective,
    parse_now,
    problems,
)
from service.api.schemas import (
    CaseOut,
    DocumentOut,
    FireEvent,
    JournalDocument,
    OpenCase,
)
from service.api.state import ApiState, api_state
from service.renditions import render_after

router = APIRouter(prefix="/cases", tags=["cases"])

State = Annotated[ApiState, Depends(api_state)]
IdempotencyKey = Annotated[str | None, Header(alias=HEADER, pattern=KEY_PATTERN)]
NOTE_EVENT = "note"
SEARCH_DOC = (
    "Search every case, open and closed, instead of listing: a case number (or "
    "its beginning), words of its title, or a name (a party's or the "
    f"authority's); at most {MAX_LENGTH} characters, of which only letters and "
    "digits count; every word must be found, each as the beginning of a word. "
    "The best `limit` cases first, each with `match`; not paged, and not "
    "combined with the other filters."
)

_CASE_LINKS = {
    "GetCase": {
        "operationId": "show_case",
        "parameters": {"number": "$response.body#/number"},
    },
    "FireEvent": {
        "operationId": "fire_event",
        "parameters": {"number": "$response.body#/number"},
    },
    "ListDocuments": {
        "operationId": "list_documents",
        "parameters": {"number": "$response.body#/number"},
    },
}


def check_roles(user: User, declared: Sequence[Transition], event: str) -> None:
    """403 unless the user holds a role some declaration of `event` allows.

    Raises:
        RoleNotAllowedError: none of the user's roles is allowed.
    """
    allowed = sorted({role for t in declared for role in t.roles})
    if allowed and not set(user.roles) & set(allowed):
        raise RoleNotAllowedError(user.id, user.roles, event, allowed)


@router.get(
    "",
    response_model=None,
    responses={200: {"model": list[CaseOut]}, **problems(400, 404)},
)
def list_cases(
    request: Request,
    state: State,
    user: AnyUser,
    workflow: Annotated[str | None, Query(max_length=64)] = None,
    case_state: Annotated[str | None, Query(alias="state", max_length=64)] = None,
    overdue: bool = False,
    now: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    owner: Annotated[str | None, Query(max_length=128)] = None,
    unassigned: bool = False,
    q: Annotated[str | None, Query(description=SEARCH_DOC)] = None,
) -> Response:
    """Cases, oldest first, each with its record (`case list --json`).

    Each listed case's read is logged (`case_list`), as a single case's is.
    `overdue` keeps the cases past their deadline as of `now` (default: now);
    `owner` one user's open cases, `unassigned` the open ones without an owner
    (the work queues; a closed case keeps its owner).
    A full page carries a `Link: <...>; rel="next"` header.

    With `q`, a search instead: the best `limit` cases the text finds, each
    with `match`, and each case's read logged as `case_search`.
    """
    engine = state.engine
    moment = parse_now(now, engine.clock.now())
    if q is not None:  # a search, logged as `case_search` (never its text)
        search_alone(
            {
                "workflow": workflow,
                "state": case_state,
                "overdue": overdue,
                "offset": offset,
                "owner": owner,
                "unassigned": unassigned,
            }
        )
        found = engine.search_views(q, limit=limit, reader=user.id)
        body = [
            case_body(engine, v, moment) | {"match": present.match_json(m)}
            for m, v in found
        ]
        return json_response(body)
    if workflow is not None:
        engine.registry.get(workflow)
    if case_state is not None:
        engine.registry.check_state(case_state, workflow)
    if owner is not None and unassigned:
        raise InvalidInputError("owner and unassigned do not go together")
    if owner is not None:
        engine.user(owner)  # an unknown id is a 404, not an empty queue
    views = engine.list_views(
        CaseFilter(
            workflow=workflow,
            state=case_state,
            limit=limit,
            offset=offset,
            due_before=local_date(moment) if overdue else None,
            owner=owner,
            unassigned=unassigned,
            # a work queue holds the open cases: a closed case keeps its owner
            not_in_states=(
                engine.registry.closed_states()
                if owner is not None or unassigned
                else frozenset()
            ),
        ),
        reader=user.id,  # each case's read is logged, as GET /cases/{number}'s
    )
    body = [case_body(engine, v, moment) for v in views]
    if len(views) < limit or offset + limit > MAX_OFFSET:
        return json_response(body)
    following = request.url.include_query_params(offset=offset + limit)
    return json_response(body, link=f'<{following.path}?{following.query}>; rel="next"')


@router.post(
    "",
    status_code=201,
    response_model=None,
    responses={
        201: {
            "model": CaseOut,
            "description": "Opened; `Location` names the case",
            "links": _CASE_LINKS,
        },
        **problems(400, 403, 404, 409, 413, 422),
    },
    description=IDEMPOTENCY_DOC,
)
def open_case(
    body: OpenCase,
    request: Request,
    state: State,
    user: AnyUser,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Open a case as the token's user (`case open --json`)."""
    engine = state.engine
    definition = engine.registry.get(body.workflow)
    check_roles(user, [definition.opening], definition.opening.event)
    check_dates(definition.opening.fields, body.data)
    at = parse_effective(body.at)

    def work() -> Outcome:
        view = engine.open_case(
            body.workflow,
            actor=user.id,
            title=body.title,
            parties=[
                Party(role=p.role, name=p.name, email=p.email) for p in body.parties
            ],
            data=body.data,
            document=body.document,
            at=at,
            owner=body.owner,
            unassigned=body.unassigned,
        )
        return Outcome(
            status=201,
            body=case_body(engine, view),
            headers={"Location": f"/cases/{view.case.number}"},
        )

    response = run_once(
        state,
        user=user,
        key=idempotency_key,
        method=request.method,
        path=request.url.path,
        payload=body.model_dump(mode="json"),
        work=work,
    )
    opened = response.headers.get("location", "").rpartition("/")[2]
    return render_after(response, state.renditions, opened) if opened else response


@router.get(
    "/{number}",
    operation_id="show_case",
    response_model=None,
    responses={200: {"model": CaseOut}, **problems(400, 404, 422)},
)
def show_case(
    number: str,
    state: State,
    user: AnyUser,
    now: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A case with its documents and history (`case show --json`).

    The read is logged in the access log under the token's user.
    """
    engine = state.engine
    moment = parse_now(now, engine.clock.now())
    view = engine.show(number)
    engine.record_read(actor=user.id, action="case_show", number=number)
    return json_response(case_body(engine, view, moment))


@router.post(
    "/{number}/events",
    operation_id="fire_event",
    response_model=None,
    responses={200: {"model": CaseOut}, **problems(400, 403, 404, 409, 413, 422)},
    description=IDEMPOTENCY_DOC,
)
def fire_event(
    number: str,
    body: FireEvent,
    request: Request,
    state: State,
    user: AnyUser,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Apply an event as the token's user (`case fire --json`)."""
    return fire_as(
        state,
        request,
        user,
        number,
        body.event,
        data=body.data,
        document=body.document,
        at_text=body.at,
        expected_version=body.expected_version,
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
    )


@router.get(
    "/{number}/documents",
    operation_id="list_documents",
    response_model=None,
    responses={200: {"model": list[DocumentOut]}, **problems(404)},
)
def list_documents(number: str, state: State, user: AnyUser) -> Response:
    """The documents journalised on the case, in order; the read is logged."""
    engine = state.engine
    view = engine.show(number)
    engine.record_read(actor=user.id, action="case_documents", number=number)
    return json_response([present.document_json(d) for d in view.documents])


@router.post(
    "/{number}/documents",
    response_model=None,
    responses={200: {"model": CaseOut}, **problems(400, 403, 404, 409, 413, 422)},
    description=IDEMPOTENCY_DOC,
)
def journal_document(
    number: str,
    body: JournalDocument,
    request: Request,
    state: State,
    user: AnyUser,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Journal a document or a note without a state change (the `note` event)."""
    return fire_as(
        state,
        request,
        user,
        number,
        NOTE_EVENT,
        data={"direction": body.direction} if body.direction is not None else {},
        document=body.title,
        at_text=body.at,
        expected_version=None,
        key=idempotency_key,
        payload=body.model_dump(mode="json"),
    )


def fire_as(
    state: ApiState,
    request: Request,
    user: User,
    number: str,
    event: str,
    *,
    data: dict[str, object],
    document: str | None,
    at_text: str | None,
    expected_version: int | None,
    key: str | None,
    payload: dict[str, object],
    content: Content | None = None,
) -> Response:
    """Fire `event` on case `number` as `user` (roles, dates, then the engine),
    once per `Idempotency-Key`; `content` is the document's (a multipart
    upload, `service.api.routes.documents`)."""
    engine = state.engine
    case = engine.show_case(number)
    definition = engine.definition(case.workflow, case.workflow_version)
    declared = [t for t in definition.transitions if t.event == event]
    check_roles(user, declared, event)
    check_dates((f for t in declared for f in t.fields), data)
    at = parse_effective(at_text)

    def work() -> Outcome:
        view = engine.fire(
            number,
            event,
            actor=user.id,
            data=data,
            document=document,
            at=at,
            expected_version=expected_version,
            content=content,
        )
        return Outcome(status=200, body=case_body(engine, view))

    response = run_once(
        state,
        user=user,
        key=key,
        method=request.method,
        path=request.url.path,
        payload=payload,
        work=work,
    )
    return render_after(response, state.renditions, number)
