"""`/health` (no token: for load balancers and probes) and `/metrics`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from engine.dates.calendars import local_date
from engine.exceptions import StorageError
from service.api.auth import AnyUser
from service.api.routes.shared import json_response, problems
from service.api.schemas import HealthOut
from service.api.state import ApiState, api_state

router = APIRouter(tags=["service"])

METRICS_MEDIA_TYPE = "text/plain; version=1.0.0; charset=utf-8"


@router.get(
    "/health",
    response_model=None,
    responses={
        200: {"model": HealthOut, "description": "The service is healthy"},
        503: {"model": HealthOut, "description": "Something is down"},
    },
)
def health(state: Annotated[ApiState, Depends(api_state)]) -> Response:
    """Is the database reachable, does the chaser's timer run, how late is it?

    No token needed. 503 when the database is unavailable or the timer of
    this process stopped.
    """
    try:
        with state.engine.store.transaction(write=False) as tx:
            oldest = tx.oldest_chase_due()
        database = "ok"
    except StorageError:
        oldest, database = None, "unavailable"
    if state.scheduler_running is None:
        scheduler = "off"
    else:
        scheduler = "running" if state.scheduler_running() else "stopped"
    today = local_date(state.engine.clock.now())
    lag = None
    if database == "ok":
        lag = (today - oldest).days if oldest is not None and oldest < today else 0
    ok = database == "ok" and scheduler != "stopped"
    body = {
        "status": "ok" if ok else "unavailable",
        "database": database,
        "scheduler": scheduler,
        "oldest_overdue_lag_days": lag,
    }
    return json_response(body, status=200 if ok else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text format",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **problems(),
    },
)
def metrics(state: Annotated[ApiState, Depends(api_state)], _: AnyUser) -> Response:
    """Counts for Prometheus: transitions, chases, the outbox, sweep durations."""
    return Response(content=state.metrics.render(), media_type=METRICS_MEDIA_TYPE)
