"""`/outbox`: letters and notices waiting, sent or failed; retry a failed one.

Reading: caseworkers, advisors and auditors. A retry (an action, not a read):
caseworkers and advisors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from starlette.responses import Response

from engine.chasing.dispatcher import Dispatcher
from engine.records import User
from service.api.auth import OUTBOX_HANDLERS, RECORD_READERS, require
from service.api.idempotency import HEADER, KEY_PATTERN, Outcome, run_once
from service.api.routes.shared import (
    IDEMPOTENCY_DOC,
    MAX_OFFSET,
    json_response,
    page,
    problems,
)
from service.api.schemas import NotificationOut
from service.api.state import ApiState, api_state
from service.present import notification_json

router = APIRouter(prefix="/outbox", tags=["outbox"])

State = Annotated[ApiState, Depends(api_state)]
MAX_ID = 2**63 - 1  # the database's largest integer
MAX_ROWS = 10_000


@router.get(
    "",
    response_model=None,
    responses={200: {"model": list[NotificationOut]}, **problems(400, 403)},
)
def list_outbox(
    state: State,
    _: Annotated[User, Depends(require(*RECORD_READERS))],
    status: Literal["pending", "sent", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """The outbox, oldest first (`outbox list --json`)."""
    with state.engine.store.transaction(write=False) as tx:
        items = tx.list_notifications(status=status, limit=offset + limit)
    return json_response(
        [notification_json(n) for n in page(items, limit=limit, offset=offset)]
    )


@router.post(
    "/{notification_id}/retry",
    response_model=None,
    responses={200: {"model": NotificationOut}, **problems(400, 403, 404)},
    description=IDEMPOTENCY_DOC,
)
def retry(
    notification_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    state: State,
    user: Annotated[User, Depends(require(*OUTBOX_HANDLERS))],
    idempotency_key: Annotated[
        str | None, Header(alias=HEADER, pattern=KEY_PATTERN)
    ] = None,
) -> Response:
    """Put a failed notification back in line for the next delivery pass."""
    engine = state.engine
    # Only the store is touched: no channel is needed to put it back in line.
    dispatcher = Dispatcher(store=engine.store, clock=engine.clock, channels={})

    def work() -> Outcome:
        return Outcome(
            status=200, body=notification_json(dispatcher.retry(notification_id))
        )

    return run_once(
        state,
        user=user,
        key=idempotency_key,
        method=request.method,
        path=request.url.path,
        payload={},
        work=work,
    )
