"""`/ui/mine`: "Mine sager", the signed-in user's open cases, the overdue first.

`?owner=ID` shows someone else's queue, to the advisor and the auditor only:
they oversee the office's work (the dashboard's per-owner counts link here),
while a caseworker's own desk is what they act on. Anyone else asking for it
gets the 403 page before the owner is looked up, so a refused user learns
nothing, not even whether the user exists. A user who cannot own a case (the
auditor, intake) is told so in a sentence, as is an overseer asking for such
a user's queue; an unknown user is a 404.

A queue is a list of cases with their titles, so each case shown is logged in
the access log under the viewer, as the API logs its case list (`case_list`).
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.dates.calendars import local_date
from engine.exceptions import UserNotFoundError
from service.api.auth import OVERSEERS
from service.api.state import api_state
from service.pages import params
from service.pages.auth import AnyViewer, ForbiddenError
from service.pages.errors import PageError
from service.pages.queues import can_own, read_queue
from service.pages.templating import render

router = APIRouter()
log = structlog.get_logger()


@router.get("/mine")
def my_cases(request: Request, viewer: AnyViewer) -> Response:
    """The viewer's open cases, or (`?owner=`) another owner's, a page at a time."""
    params.check(request, "owner", "page")
    page = params.page_number(request)
    asked = params.text(request, "owner")
    owner = asked or viewer.id
    own = owner == viewer.id
    if not own and not viewer.oversees:
        log.warning("page_forbidden", path=request.url.path, user=viewer.id)
        raise ForbiddenError(viewer, OVERSEERS)
    engine = api_state(request).engine
    try:
        user = viewer.user if own else engine.user(owner)
    except UserNotFoundError:
        raise PageError(404, "mine.no_user", user=owner) from None
    queue = None
    if can_own(user):
        today = local_date(engine.clock.now())
        queue = read_queue(engine, owner, today, page, asked=asked is not None)
        engine.record_reads(
            actor=viewer.id,
            action="case_list",
            numbers=[row.number for row in queue.rows],
        )
    return render(
        request,
        "mine.html",
        viewer=viewer,
        section="mine" if own else None,
        owner=user,
        own=own,
        queue=queue,
    )
