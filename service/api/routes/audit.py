"""`/audit`: the record (log, verification, a case's dossier) and the access log.

The log and dossiers: caseworkers, advisors and auditors. Verifying the whole
record and the access log (who read what, a record about staff): advisors and
auditors. Reading one case's record is itself logged, as the CLI logs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from engine.audit.anchor import latest_checkpoint
from engine.audit.review import verify_store
from engine.dates.timeparse import parse_range
from engine.records import AuditFilter, User
from service import present
from service.api.auth import OVERSEERS, RECORD_READERS, require
from service.api.routes.shared import json_response, page, problems
from service.api.schemas import AccessOut, AuditRowOut, DossierOut, VerifyOut
from service.api.state import ApiState, api_state

router = APIRouter(prefix="/audit", tags=["audit"])

State = Annotated[ApiState, Depends(api_state)]
Reader = Annotated[User, Depends(require(*RECORD_READERS))]
Overseer = Annotated[User, Depends(require(*OVERSEERS))]
Text = Annotated[str | None, Query(max_length=128)]
MAX_ROWS = 10_000
T = TypeVar("T")


@contextmanager
def _closing(stream: Iterator[T]) -> Iterator[Iterator[T]]:
    """Close a generator read part-way, so its read transaction ends now."""
    try:
        yield stream
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


@router.get(
    "/log",
    response_model=None,
    responses={200: {"model": list[AuditRowOut]}, **problems(400, 403, 404, 422)},
)
def audit_log(
    state: State,
    user: Reader,
    case: Text = None,
    actor: Text = None,
    since: Text = None,
    until: Text = None,
    event: Text = None,
    entry_state: Annotated[str | None, Query(alias="state", max_length=128)] = None,
    workflow: Text = None,
    role: Text = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Audit entries in order of case and step (`audit log --format json`).

    `since` and `until` are both included; a date as `until` is all of that
    local day, a full time that instant.
    """
    engine = state.engine
    start, end = parse_range(since, until)
    selection = AuditFilter(
        case_number=case,
        actor=actor,
        since=start,
        until=end,
        event=event,
        state=entry_state,
        workflow=workflow,
        role=role,
    )
    with _closing(engine.audit_log(selection)) as entries:
        rows = list(present.audit_rows(page(entries, limit=limit, offset=offset)))
    if case is not None:
        engine.record_read(actor=user.id, action="audit_log", number=case)
    return json_response(rows)


@router.get(
    "/verify",
    response_model=None,
    responses={200: {"model": VerifyOut}, **problems(403)},
)
def audit_verify(state: State, _: Overseer) -> Response:
    """Check every case's hash chain (`audit verify --json`); reads the whole record."""
    report = verify_store(state.engine.store)
    return json_response(
        {
            "ok": report.ok,
            "cases": report.cases,
            "entries": report.entries,
            "anchored_cases": report.anchored_cases,
            "problems": [
                {"case": p.case, "seq": p.seq, "kind": p.kind, "detail": p.detail}
                for p in report.problems
            ],
        }
    )


@router.get(
    "/access",
    response_model=None,
    responses={200: {"model": list[AccessOut]}, **problems(400, 403)},
)
def audit_access(
    state: State,
    _: Overseer,
    case: Text = None,
    actor: Text = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    """Who read which case or record, and when (`audit access --json`)."""
    with _closing(state.engine.reads(number=case, actor=actor)) as reads:
        rows = [present.access_json(r) for r in page(reads, limit=limit, offset=offset)]
    return json_response(rows)


@router.get(
    "/cases/{number}/dossier",
    response_model=None,
    responses={200: {"model": DossierOut}, **problems(403, 404)},
)
def dossier(number: str, state: State, user: Reader) -> Response:
    """The case's self-contained dossier, as `audit export` writes it.

    Check it offline with `sagsflow audit verify --dossier FILE`. The latest
    checkpoint in `SAGSFLOW_ANCHOR_DIR` that covers the case is included as its
    signed body and this case's inclusion proof (no other case's number).
    """
    engine = state.engine
    view = engine.show(number)
    engine.record_read(actor=user.id, action="audit_export", number=number)
    body = present.dossier_json(
        engine,
        view,
        checkpoint=latest_checkpoint(state.settings.anchor_dir, number),
        exported_by=user.id,
    )
    return json_response(body)
