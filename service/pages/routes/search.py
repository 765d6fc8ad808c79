"""`/ui/cases?q=TEXT`: the case box, a search of every case.

A case number, words of a title or a name (engine/search.py). A text that is
exactly one case's number goes straight to that case's page, which logs the
read (`case_show`); any other text shows the cases it finds, best first, each
with what of it matched (a party's name, the authority's, the title), or says
plainly that none was found. Each case listed is logged as read
(`case_search`) under the viewer: a match may show a party's name. The text
is logged nowhere (service/api/middleware.py logs no query string). Like a
case page it needs a role that reads the record, checked before anything is
searched.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from engine.cases.search import SEARCH_READ
from engine.exceptions import InvalidInputError
from engine.search import MAX_LENGTH, parse_search
from service.api.state import api_state
from service.pages import params
from service.pages.auth import Reader
from service.pages.errors import PageError
from service.pages.templating import render

router = APIRouter()

RESULTS = 50  # cases a page lists: a search that finds more wants another word


@router.get("/cases")
def search_cases(request: Request, viewer: Reader) -> Response:
    """`?q=TEXT`: to the case of that number, or the cases the text finds."""
    params.check(request, "q")
    text = request.query_params.get("q", "").strip()
    if not text:
        raise PageError(400, "search.empty")
    try:
        terms = parse_search(text)
    except InvalidInputError:  # its words are the engine's; the page's are its own
        key = "search.too_long" if len(text) > MAX_LENGTH else "search.nothing"
        raise PageError(400, key, most=MAX_LENGTH) from None
    engine = api_state(request).engine
    found = engine.search(text, limit=RESULTS)
    if terms.number is not None and found and found[0].case.number == terms.number:
        return RedirectResponse(f"/ui/cases/{terms.number}", status_code=303)
    numbers = [m.case.number for m in found]
    engine.record_reads(actor=viewer.id, action=SEARCH_READ, numbers=numbers)
    return render(
        request,
        "search.html",
        viewer=viewer,
        search_text=text,
        found=found,
        more=len(found) == RESULTS,
    )
