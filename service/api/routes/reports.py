"""`/reports`: management figures for a period (caseworkers, advisors, auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from engine.dates.calendars import local_date
from engine.dates.timeparse import parse_date
from engine.explain.report import build_report, report_period
from engine.records import CaseFilter, User
from service.api.auth import RECORD_READERS, require
from service.api.routes.shared import json_response, parse_now, problems
from service.api.schemas import ReportOut
from service.api.state import ApiState, api_state

router = APIRouter(prefix="/reports", tags=["reports"])

Text = Annotated[str | None, Query(max_length=64)]


@router.get(
    "",
    response_model=None,
    responses={200: {"model": ReportOut}, **problems(400, 403, 404, 422)},
)
def report(
    state: Annotated[ApiState, Depends(api_state)],
    _: Annotated[User, Depends(require(*RECORD_READERS))],
    since: Text = None,
    until: Text = None,
    workflow: Annotated[str | None, Query(max_length=64)] = None,
    now: Text = None,
) -> Response:
    """Figures for the cases opened from `since` to `until`, both days
    included, and the cases open now.

    `sagsflow report --json`: by default the 12 months up to and including
    today. Everything is rebuilt from the record as it stood at `now`.
    """
    engine = state.engine
    moment = parse_now(now, engine.clock.now())
    first, end = report_period(
        parse_date(since, what="since") if since is not None else None,
        parse_date(until, what="until") if until is not None else None,
        local_date(moment),
    )
    if workflow is not None:
        engine.registry.get(workflow)
    figures = build_report(
        engine.views(CaseFilter(workflow=workflow)),
        definitions=engine.definition,
        now=moment,
        since=first,
        until=end,
    )
    return json_response({"workflow": workflow, **figures.to_mapping()})
