"""`POST /cases/{number}/assign`: give a case to another owner.

The rules are the engine's (engine/cases/owners.py): the advisor may assign
any open case, a caseworker an unassigned case to themselves or their own to
someone else (403 otherwise); an unknown owner is a 404; an owner who may not
own a case, a closed case or the owner it has already a 400; nothing changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from starlette.responses import Response

from service.api.auth import AnyUser
from service.api.idempotency import HEADER, KEY_PATTERN, Outcome, run_once
from service.api.routes.shared import (
    IDEMPOTENCY_DOC,
    case_body,
    parse_effective,
    problems,
)
from service.api.schemas import AssignCase, CaseOut
from service.api.state import ApiState, api_state

router = APIRouter(prefix="/cases", tags=["cases"])

State = Annotated[ApiState, Depends(api_state)]
IdempotencyKey = Annotated[str | None, Header(alias=HEADER, pattern=KEY_PATTERN)]


@router.post(
    "/{number}/assign",
    operation_id="assign_case",
    response_model=None,
    responses={200: {"model": CaseOut}, **problems(400, 403, 404, 409, 413, 422)},
    description=IDEMPOTENCY_DOC,
)
def assign_case(
    number: str,
    body: AssignCase,
    request: Request,
    state: State,
    user: AnyUser,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Give the case to `owner` as the token's user (`case assign --json`)."""
    engine = state.engine
    at = parse_effective(body.at)

    def work() -> Outcome:
        view = engine.assign_case(
            number, body.owner, actor=user.id, reason=body.reason, at=at
        )
        return Outcome(status=200, body=case_body(engine, view))

    return run_once(
        state,
        user=user,
        key=idempotency_key,
        method=request.method,
        path=request.url.path,
        payload=body.model_dump(mode="json"),
        work=work,
    )
