"""`/ui/audit/verify`: check every case's hash chain, as the API's `/audit/verify`.

Advisors and auditors only. The check is a POST (it reads the whole record,
which takes a while on a large one, so a link or a reload must not start it);
its answer is a page that says how much was checked and names the first
broken entry. The GET shows the button.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from engine.audit.review import verify_store
from service.api.state import api_state
from service.pages import params
from service.pages.auth import Overseer, check_origin
from service.pages.templating import render

router = APIRouter()

SHOWN_PROBLEMS = 100


@router.get("/audit/verify")
def verify_form(request: Request, viewer: Overseer) -> Response:
    params.check(request)
    return render(request, "verify.html", viewer=viewer, section="verify", report=None)


@router.post("/audit/verify", dependencies=[Depends(check_origin)])
def verify(request: Request, viewer: Overseer) -> Response:
    params.check(request)
    engine = api_state(request).engine
    report = verify_store(engine.store)
    return render(
        request,
        "verify.html",
        viewer=viewer,
        section="verify",
        report=report,
        checked_at=engine.clock.now(),
        shown_problems=SHOWN_PROBLEMS,
    )
