"""`/ui/audit`: search the record, page through it, take it away as CSV.

The filters are the API's `/audit/log` filters (case, actor, role, event, and
a period), with the period given as Copenhagen calendar days, both included:
`since` is the start of its day, `until` the end of its day. A search naming a
case is a read of that case's record, logged as the API logs it (`audit_log`).
A refused filter shows the form again with one message and a 400; nothing is
read.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from engine.cases.engine import CaseEngine
from engine.dates.calendars import COPENHAGEN
from engine.exceptions import CaseNotFoundError
from engine.records import AuditEntry, AuditFilter
from engine.workflow.definition import ENGINE_EVENTS, ROLES
from service import present as shapes
from service.api.state import api_state
from service.pages import i18n, params
from service.pages.auth import Reader, Viewer
from service.pages.templating import page_language, render

router = APIRouter()

PER_PAGE = 50
FIELDS = ("case", "actor", "role", "event", "since", "until")
Entries = Generator[AuditEntry, None, None]
EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)


class FilterError(Exception):
    """A filter value the search cannot take (the words in `service.pages.i18n`)."""

    def __init__(self, key: str, *, field: str | None = None, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.field = field  # the words naming the filter, if the message names it
        self.values = values

    def message(self, strings: i18n.Strings) -> str:
        named = {"name": strings(self.field)} if self.field is not None else {}
        return strings(self.key, **named, **self.values)


@dataclass(frozen=True, kw_only=True, slots=True)
class Search:
    form: dict[str, str]  # the filters as given, for the form and the links
    selection: AuditFilter


@dataclass(frozen=True, kw_only=True, slots=True)
class Row:
    entry: AuditEntry
    recorded_apart: bool


@router.get("/audit")
def audit_page(request: Request, viewer: Reader) -> Response:
    """The search form, and one page of the entries it finds."""
    params.check(request, *FIELDS, "page")
    page = params.page_number(request)
    engine = api_state(request).engine
    form = _form(request)
    try:
        search = read_search(form)
        entries = _entries(engine, search.selection)
    except FilterError as refused:
        return _refused(request, viewer, form, refused)
    try:
        found = list(islice(entries, (page - 1) * PER_PAGE, page * PER_PAGE + 1))
    finally:
        entries.close()
    _record_read(engine, viewer, search)
    shown = found[:PER_PAGE]
    query = _query(search.form)
    first = (page - 1) * PER_PAGE + 1
    return _page(
        request,
        viewer,
        search.form,
        rows=[
            Row(entry=e, recorded_apart=shapes.recorded_apart(e.at, e.recorded_at))
            for e in shown
        ],
        page=page,
        first=first,
        last=first + len(shown) - 1,
        prev=_link(query, page - 1) if page > 1 else None,
        next=_link(query, page + 1) if len(found) > PER_PAGE else None,
        csv_query="?" + urlencode(query) if query else "",
    )


@router.get("/audit.csv")
def audit_csv(request: Request, viewer: Reader) -> Response:
    """Every entry the search finds, as CSV (the CLI's `audit log --format csv`)."""
    params.check(request, *FIELDS, "excel")
    engine = api_state(request).engine
    form = _form(request)
    excel = params.flag(request, "excel")  # the spreadsheet's form
    try:
        search = read_search(form)
        entries = _entries(engine, search.selection)
    except FilterError as refused:
        return _refused(request, viewer, form, refused)
    _record_read(engine, viewer, search)

    def lines() -> Iterator[str]:
        try:
            yield from shapes.audit_csv_lines(
                entries, spreadsheet_safe=True, excel=excel
            )
        finally:
            entries.close()  # a download cut short ends its read at once

    name = "audit-excel.csv" if excel else "audit.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def read_search(form: dict[str, str]) -> Search:
    """The filters given, as the record's filter.

    Raises:
        FilterError: a text too long, a date that does not parse or lies out
            of range, a period that ends before it starts, an unknown role.
    """
    for name in FIELDS:
        if len(form[name]) > params.MAX_TEXT:
            raise FilterError(
                "filter.too_long", field=f"filter.{name}", most=params.MAX_TEXT
            )
    role = form["role"] or None
    if role is not None and role not in ROLES:
        raise FilterError("filter.bad_role", value=role, roles=", ".join(ROLES))
    since = _day(form["since"], "filter.since")
    until = _day(form["until"], "filter.until")
    if since is not None and until is not None and since > until:
        raise FilterError("filter.order")
    return Search(
        form=form,
        selection=AuditFilter(
            case_number=form["case"] or None,
            actor=form["actor"] or None,
            role=role,
            event=form["event"] or None,
            since=_start_of(since) if since is not None else None,
            until=_start_of(until + timedelta(days=1)) if until is not None else None,
        ),
    )


def _form(request: Request) -> dict[str, str]:
    """The filters as given (stripped), "" for those not given."""
    return {name: request.query_params.get(name, "").strip() for name in FIELDS}


def _entries(engine: CaseEngine, selection: AuditFilter) -> Entries:
    """The entries found, streamed (a generator: close it when done).

    Raises:
        FilterError: the case named does not exist.
    """
    try:
        found = engine.audit_log(selection)
    except CaseNotFoundError as exc:
        raise FilterError("filter.no_case", number=exc.number) from None
    assert isinstance(found, Generator)  # the engine streams with a generator
    return found


def _record_read(engine: CaseEngine, viewer: Viewer, search: Search) -> None:
    number = search.selection.case_number
    if number is not None:
        engine.record_read(actor=viewer.id, action="audit_log", number=number)


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise FilterError("filter.bad_date", field=name, value=text) from None
    if not EARLIEST <= day <= LATEST:
        raise FilterError("filter.date_range", field=name, first=EARLIEST, last=LATEST)
    return day


def _start_of(day: date) -> datetime:
    """The first instant of a Copenhagen calendar day, in UTC."""
    return datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC)


def _query(form: dict[str, str]) -> list[tuple[str, str]]:
    return [(name, form[name]) for name in FIELDS if form[name]]


def _link(query: list[tuple[str, str]], page: int) -> str:
    return "?" + urlencode([*query, ("page", str(page))])


def _refused(
    request: Request, viewer: Viewer, form: dict[str, str], refused: FilterError
) -> Response:
    """The form again, with what is wrong; nothing was read."""
    request.state.problem = "page-400"
    message = refused.message(i18n.Strings(page_language(request)))
    return _page(
        request,
        viewer,
        form,
        status=400,
        error=message,
        rows=[],
        page=1,
        first=0,
        last=0,
        prev=None,
        next=None,
        csv_query="",
    )


def _page(
    request: Request,
    viewer: Viewer,
    form: dict[str, str],
    *,
    status: int = 200,
    error: str | None = None,
    **context: Any,
) -> Response:
    engine = api_state(request).engine
    declared = {e for d in engine.registry.latest() for e in d.events}
    return render(
        request,
        "audit.html",
        viewer=viewer,
        status=status,
        section="audit",
        form=form,
        roles=ROLES,
        events=sorted(declared | set(ENGINE_EVENTS)),
        error=error,
        **context,
    )
