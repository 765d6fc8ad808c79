"""`POST /cases/{number}/erase`: a closed case's personal data, forgotten.

The advisor only (anyone else: 403); an open, unknown or already erased case
is refused with nothing changed. See engine/cases/erasing.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from starlette.responses import Response

from service.api.auth import AnyUser
from service.api.idempotency import HEADER, KEY_PATTERN, Outcome, run_once
from service.api.routes.shared import IDEMPOTENCY_DOC, problems
from service.api.schemas import EraseCase, ErasureOut
from service.api.state import ApiState, api_state

router = APIRouter(prefix="/cases", tags=["cases"])

State = Annotated[ApiState, Depends(api_state)]
IdempotencyKey = Annotated[str | None, Header(alias=HEADER, pattern=KEY_PATTERN)]


@router.post(
    "/{number}/erase",
    operation_id="erase_case",
    response_model=None,
    responses={200: {"model": ErasureOut}, **problems(400, 403, 404, 409, 413, 422)},
    description=IDEMPOTENCY_DOC,
)
def erase_case(
    number: str,
    body: EraseCase,
    request: Request,
    state: State,
    user: AnyUser,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Erase a closed case's personal data as the token's user (`case erase --json`)."""
    engine = state.engine

    def work() -> Outcome:
        done = engine.erase_case(number, actor=user.id, reason=body.reason)
        return Outcome(
            status=200,
            body={
                "case": number,
                "erased": list(done.erased),
                "entry": done.case.version,
                "notifications": done.notifications,
                "storage": done.storage,
            },
        )

    return run_once(
        state,
        user=user,
        key=idempotency_key,
        method=request.method,
        path=request.url.path,
        payload=body.model_dump(mode="json"),
        work=work,
    )
