"""`/ui/documents/{number}`: a journalised document's content for the case
page's readers, checked against its seal.

The same read as the API's `GET /documents/{number}` (`engine.cases.documents`:
served only if its SHA-256 is the digest the chain sealed), logged the same
way (`document_get`, under the viewer), and open to the roles that read a case
page, checked before the document is looked up. A document whose content no
longer matches its seal is never served: the pages' error page says so (409).
The answer is a download (`Content-Disposition: attachment`, `nosniff`), so a
document is never shown as a page of sagsflow's own.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.state import api_state
from service.pages import params
from service.pages.auth import Reader
from service.renditions import download, read_letter

router = APIRouter()


@router.get("/documents/{number}")
def document(number: str, request: Request, viewer: Reader) -> Response:
    """Document NUMBER's content, checked, as a file; the read is logged."""
    params.check(request)
    state = api_state(request)
    engine = state.engine
    read = read_letter(engine.store, state.renditions, number)
    engine.record_read(actor=viewer.id, action="document_get", number=read.case.number)
    return download(read)
