"""Work queues: whose desk the open cases lie on (the owner, `engine.cases.owners`).

"Mine sager" (`/ui/mine`) lists one owner's open cases, the overdue first; the
dashboard counts the open and the overdue cases per owner, so the head of
office sees on whose desk the late cases lie.

A case is open while its state is not final. The store selects by state name
only, so the names it leaves out are those final in every workflow that
declares them: a name that is open in some workflow is kept, and no open case
drops out of a count. The queue then checks each case against its own
workflow version.

A queue is one person's desk, tens of cases: it is read whole through the
owner index, sorted here and shown a page at a time. Sorting here puts the
cases without a deadline last on every database (SQLite sorts NULL first,
PostgreSQL last). The per-owner counts are two aggregates, whatever the size
of the office.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from engine.cases.engine import CaseEngine
from engine.cases.owners import OWNER_ROLES
from engine.ports import CaseTransaction
from engine.records import Case, CaseFilter, User
from engine.workflow.definition import StateKind
from engine.workflow.registry import WorkflowRegistry
from service.pages.auth import Viewer

PER_PAGE = 100
MINE = "/ui/mine"


@dataclass(frozen=True, kw_only=True, slots=True)
class OwnerCount:
    owner: str | None  # None: unassigned
    open: int
    overdue: int
    queue: str | None  # the link to the owner's queue, where the viewer may see it
    # the owner was deactivated or may own cases no more: the cases need a new one
    needs_owner: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class QueueRow:
    number: str
    title: str
    workflow: str
    state: str
    due: date | None
    late: int | None  # working days overdue; None when not overdue


@dataclass(frozen=True, kw_only=True, slots=True)
class Queue:
    rows: list[QueueRow]
    total: int
    overdue: int
    page: int
    pages: int
    prev: str | None
    next: str | None


def can_own(user: User) -> bool:
    """Whether `user` holds a role a case's owner holds."""
    return bool(set(OWNER_ROLES) & set(user.roles))


def closed_states(registry: WorkflowRegistry) -> frozenset[str]:
    """The state names final in every workflow that declares them."""
    return registry.closed_states()


def queue_link(owner: str | None, viewer: Viewer) -> str | None:
    """Where `viewer` sees `owner`'s queue: their own, or anyone's when they
    oversee the office (the advisor, the auditor); None elsewhere."""
    if owner is None:
        return None
    if owner == viewer.id:
        return MINE
    return f"{MINE}?{urlencode({'owner': owner})}" if viewer.oversees else None


def owner_counts(
    registry: WorkflowRegistry, tx: CaseTransaction, today: date, viewer: Viewer
) -> list[OwnerCount]:
    """Open and overdue cases per owner, by owner id, unassigned last."""
    closed = closed_states(registry)
    late = dict(tx.owner_counts(not_in_states=closed, due_before=today))
    gone = {
        u.id
        for u in tx.list_users()
        if not u.active or not set(OWNER_ROLES) & set(u.roles)
    }
    return [
        OwnerCount(
            owner=owner,
            open=n,
            overdue=late.get(owner, 0),
            queue=queue_link(owner, viewer),
            needs_owner=owner in gone,
        )
        for owner, n in tx.owner_counts(not_in_states=closed)
    ]


def read_queue(
    engine: CaseEngine, owner: str, today: date, page: int, *, asked: bool
) -> Queue:
    """Page `page` of `owner`'s open cases: the overdue first, the oldest
    deadline first, then the rest by deadline, those without one last; by
    number within a day. The page links name the owner when `asked` (the
    page was asked for someone's queue by `?owner=`)."""
    selection = CaseFilter(owner=owner, not_in_states=closed_states(engine.registry))
    with engine.store.transaction(write=False) as tx:
        cases = [c for c in tx.list_cases(selection) if _open(engine, tx, c)]
    cases.sort(key=lambda c: (c.due is None, c.due or date.max, c.number))
    pages = max(1, math.ceil(len(cases) / PER_PAGE))
    named = owner if asked else None
    shown = cases[(page - 1) * PER_PAGE : page * PER_PAGE]
    return Queue(
        rows=[_row(engine, case, today) for case in shown],
        total=len(cases),
        overdue=sum(1 for c in cases if c.due is not None and c.due < today),
        page=page,
        pages=pages,
        prev=_page_link(named, min(page - 1, pages)) if page > 1 else None,
        next=_page_link(named, page + 1) if page < pages else None,
    )


def _open(engine: CaseEngine, tx: CaseTransaction, case: Case) -> bool:
    definition = engine.definition_for(tx, case.workflow, case.workflow_version)
    return definition.state(case.state).kind is not StateKind.FINAL


def _row(engine: CaseEngine, case: Case, today: date) -> QueueRow:
    due = case.due
    late = (
        engine.calendar.working_days_between(due, today)
        if due is not None and due < today
        else None
    )
    return QueueRow(
        number=case.number,
        title=case.title,
        workflow=case.workflow,
        state=case.state,
        due=due,
        late=late,
    )


def _page_link(owner: str | None, page: int) -> str:
    query = {"owner": owner} if owner is not None else {}
    return "?" + urlencode({**query, "page": str(page)})
