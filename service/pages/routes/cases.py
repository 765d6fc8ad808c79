"""`/ui/cases/...`: a case's page and its dossier (the case box that finds
one is service/pages/routes/search.py).

A case page is a read of personal data: it is logged in the access log under
the viewer, with the action the API's case read logs (`case_show`); the
dossier download logs `audit_export`, as the API's and the CLI's do. Both need
a role that reads the record, checked before the case is looked up, so a
refused user learns nothing, not even whether the case exists.
"""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.audit.anchor import latest_checkpoint
from engine.dates.calendars import BusinessCalendar, is_overdue, local_date
from engine.explain.case import explain
from engine.explain.diagram.svg import to_svg
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.labels import Labels
from service import present as shapes
from service.api.state import api_state
from service.pages import i18n, params, timeline
from service.pages.auth import Reader
from service.pages.routes.dashboard import next_rung
from service.pages.templating import page_language, render

router = APIRouter()


@router.get("/cases/{number}")
def case_page(number: str, request: Request, viewer: Reader) -> Response:
    """The case: summary, deadline and its reasoning, diagram, timeline."""
    params.check(request)
    engine = api_state(request).engine
    view = engine.show(number)
    engine.record_read(actor=viewer.id, action="case_show", number=number)
    case = view.case
    definition = engine.definition(case.workflow, case.workflow_version)
    now = engine.clock.now()
    today = local_date(now)
    overdue = is_overdue(case.due, now)
    strings = i18n.Strings(page_language(request))
    return render(
        request,
        "case.html",
        viewer=viewer,
        case=case,
        data=[(k, _value(v, strings)) for k, v in sorted(case.data.items())],
        deadline={
            "overdue": overdue,
            "working_days": _working_days(engine.calendar, case.due, today, overdue),
            "next": next_rung(
                definition.state(case.state), case, engine.calendar, today
            ),
            "age": engine.age(case, now),
            "paused": definition.state(case.state).pauses,
        },
        explanation=explain(
            definition,
            case,
            view.history,
            engine.calendar,
            now,
            language=strings.lang,
            labels=engine.registry.labels(case.workflow),
        ),
        svg=diagram(
            definition,
            case.state,
            strings.lang,
            engine.registry.labels(case.workflow),
        ),
        timeline=timeline.build(
            view.history, view.documents, calendar=engine.calendar, today=today
        ),
    )


@router.get("/cases/{number}/dossier")
def dossier(number: str, request: Request, viewer: Reader) -> Response:
    """The API's `/audit/cases/{number}/dossier`, as a file to keep."""
    params.check(request)
    state = api_state(request)
    engine = state.engine
    view = engine.show(number)
    engine.record_read(actor=viewer.id, action="audit_export", number=number)
    body = shapes.dossier_json(
        engine,
        view,
        checkpoint=latest_checkpoint(state.settings.anchor_dir, number),
        exported_by=viewer.id,
    )
    return Response(
        content=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{view.case.number}'
            '-dossier.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def diagram(
    definition: WorkflowDefinition, current: str, language: str, labels: Labels
) -> str:
    """The workflow as inline SVG, the case's state marked `current`, its states
    and events in `labels` (the newest version's: `WorkflowRegistry.labels`)."""
    return to_svg(
        definition,
        current=current,
        language=language,
        spoken=labels.speaking(language),
    )


def _working_days(
    calendar: BusinessCalendar, due: date | None, today: date, late: bool
) -> int:
    """How many working days the case is overdue (`late`), or has left."""
    if due is None:
        return 0
    if late:
        return calendar.working_days_between(due, today)
    return calendar.working_days_between(today, due)


def _value(value: object, strings: i18n.Strings) -> str:
    if isinstance(value, bool):
        return strings("yes" if value else "no")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
