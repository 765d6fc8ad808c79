"""`/ui/`: open cases by workflow and state, the overdue and the stale cases, the
chaser, the outbox.

Every office role sees the counts; the overdue and stale lists (case numbers
and titles), the chaser and the outbox's failures need a role that reads the
record, as over the API. Everything is read with the store's own queries, so
the page costs the same on 100 cases as on 100,000: the counts are two
aggregates over indexes, the overdue list one page of the deadline index and a
count of it, the stale list the same over the (workflow, state) index
(`service.pages.stale`), the open and overdue cases per owner two more
aggregates (`service.pages.queues`), the failures one page of the outbox.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar, local_date
from engine.exceptions import WorkflowNotFoundError
from engine.explain.case import next_chase
from engine.ports import CaseTransaction
from engine.records import Case, CaseFilter, Notification, NotificationStatus
from engine.workflow.definition import State, StateKind
from engine.workflow.registry import WorkflowRegistry
from service.api.auth import RECORD_READERS
from service.api.state import ApiState, api_state
from service.pages import params
from service.pages.auth import AnyViewer
from service.pages.queues import owner_counts
from service.pages.stale import stale_list
from service.pages.templating import render

router = APIRouter()

PER_PAGE = 100
FAILED_SHOWN = 50


@dataclass(frozen=True, kw_only=True, slots=True)
class StateCount:
    workflow: str
    state: str
    open: int
    overdue: int


@dataclass(frozen=True, kw_only=True, slots=True)
class NextRung:
    name: str
    number: int
    of: int
    when: date


@dataclass(frozen=True, kw_only=True, slots=True)
class OverdueRow:
    number: str
    title: str
    workflow: str
    state: str
    due: date
    late: int  # working days
    next: NextRung | None
    owner: str | None  # None: unassigned


@dataclass(frozen=True, kw_only=True, slots=True)
class OverduePage:
    rows: list[OverdueRow]
    total: int
    page: int
    pages: int
    first: int
    last: int
    more: int
    prev: str | None
    next: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Chaser:
    last_pass: tuple[datetime, float] | None
    timer: str  # running | stopped | off
    oldest: date | None  # the oldest chase deadline that has passed
    lag_days: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Failures:
    rows: list[Notification]
    total: int


@router.get("/")
def dashboard(request: Request, viewer: AnyViewer) -> Response:
    """The overview; what it holds depends on the viewer's roles."""
    params.check(request, "page")
    page = params.page_number(request)
    state = api_state(request)
    engine = state.engine
    today = local_date(engine.clock.now())
    overdue = stale = chaser = failures = owners = None
    with engine.store.transaction(write=False) as tx:
        counts = _counts(
            engine.registry,
            tx.state_counts(),
            tx.state_counts(due_before=today),
        )
        if viewer.reads_record:
            overdue = _overdue(engine, tx, today, page)
            stale = stale_list(engine, tx, today)
            owners = owner_counts(engine.registry, tx, today, viewer)
            chaser = _chaser(state, tx.oldest_chase_due(), today)
            failures = Failures(
                rows=list(
                    tx.list_notifications(
                        status=NotificationStatus.FAILED, limit=FAILED_SHOWN
                    )
                ),
                total=tx.notification_counts().get(NotificationStatus.FAILED, 0),
            )
    return render(
        request,
        "dashboard.html",
        viewer=viewer,
        section="dashboard",
        today=today,
        counts=counts,
        open_total=sum(c.open for c in counts),
        overdue_total=sum(c.overdue for c in counts),
        overdue=overdue,
        stale=stale,
        owners=owners,
        chaser=chaser,
        outbox=failures,
        record_readers=RECORD_READERS,
    )


def _counts(
    registry: WorkflowRegistry,
    every: Sequence[tuple[str, str, int]],
    late: Sequence[tuple[str, str, int]],
) -> list[StateCount]:
    """Open cases (in a state that is not final) by workflow and state."""
    overdue = {(w, s): n for w, s, n in late}
    return [
        StateCount(workflow=w, state=s, open=n, overdue=overdue.get((w, s), 0))
        for w, s, n in every
        if not _final(registry, w, s)
    ]


def _final(registry: WorkflowRegistry, workflow: str, state: str) -> bool:
    try:
        definition = registry.get(workflow)
    except WorkflowNotFoundError:
        return False
    return any(s.name == state and s.kind is StateKind.FINAL for s in definition.states)


def _overdue(
    engine: CaseEngine, tx: CaseTransaction, today: date, page: int
) -> OverduePage:
    """One page of the overdue cases, the longest overdue first."""
    selection = CaseFilter(due_before=today)
    total = tx.count_cases(selection)
    cases = tx.list_cases(
        CaseFilter(
            due_before=today,
            by_due=True,
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
    )
    rows = [_row(engine, tx, case, today) for case in cases]
    pages = max(1, math.ceil(total / PER_PAGE))
    first = (page - 1) * PER_PAGE + 1
    last = first + len(rows) - 1
    return OverduePage(
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        first=first,
        last=last,
        more=max(0, total - max(last, first - 1)),
        prev=f"?page={min(page - 1, pages)}" if page > 1 else None,
        next=f"?page={page + 1}" if page < pages else None,
    )


def _row(
    engine: CaseEngine, tx: CaseTransaction, case: Case, today: date
) -> OverdueRow:
    assert case.due is not None  # selected by its deadline
    definition = engine.definition_for(tx, case.workflow, case.workflow_version)
    return OverdueRow(
        number=case.number,
        title=case.title,
        workflow=case.workflow,
        state=case.state,
        due=case.due,
        late=engine.calendar.working_days_between(case.due, today),
        next=next_rung(definition.state(case.state), case, engine.calendar, today),
        owner=case.owner,
    )


def next_rung(
    state: State, case: Case, calendar: BusinessCalendar, today: date
) -> NextRung | None:
    """The chase rung the chaser fires next on `case` (as `case explain` says)."""
    coming = next_chase(state, case, calendar, today)
    if coming is None:
        return None
    number, rung, when = coming
    of = len(state.ladder.rungs) if state.ladder else 0
    return NextRung(name=rung.name, number=number, of=of, when=when)


def _chaser(state: ApiState, oldest: date | None, today: date) -> Chaser:
    running = state.scheduler_running
    timer = "off" if running is None else ("running" if running() else "stopped")
    waiting = oldest if oldest is not None and oldest < today else None
    return Chaser(
        last_pass=state.metrics.last_sweep,
        timer=timer,
        oldest=waiting,
        lag_days=(today - waiting).days if waiting is not None else 0,
    )
