"""`/reports`: management figures for a period (caseworkers, advisors, auditors)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from engine.dates.calendars import local_date
from engine.exceptions import EngineError, InvalidTimeError
from engine.explain.report import build_report
from engine.records import CaseFilter, User
from service.api.auth import RECORD_READERS, require
from service.api.routes.shared import json_response, parse_now, problems
from service.api.schemas import ReportOut
from service.api.state import ApiState, api_state
from service.cli.report import _definitions as definitions
from service.cli.report import _period as period

router = APIRouter(prefix="/reports", tags=["reports"])

Text = Annotated[str | None, Query(max_length=64)]


def _period(since: str | None, until: str | None, today: date) -> tuple[date, date]:
    """The CLI's period rules; dates so far out that a year back has none refused."""
    try:
        return period(since, until, today)
    except EngineError:
        raise
    except (ValueError, OverflowError):
        raise InvalidTimeError(
            f"the period {since or '...'} to {until or '...'} lies out of range"
        ) from None


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
    """Figures for the cases opened in [since, until) and the cases open now.

    `sagsflow report --json`: by default the 12 months up to today; `until` is
    the day after the period. Everything is rebuilt from the record as it
    stood at `now`.
    """
    engine = state.engine
    moment = parse_now(now, engine.clock.now())
    first, end = _period(since, until, local_date(moment))
    if workflow is not None:
        engine.registry.get(workflow)
    figures = build_report(
        engine.views(CaseFilter(workflow=workflow)),
        definitions=definitions(engine),
        now=moment,
        since=first,
        until=end,
    )
    return json_response({"workflow": workflow, **figures.to_mapping()})
