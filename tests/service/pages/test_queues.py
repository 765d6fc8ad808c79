"""The work queues' reads (`service.pages.queues`) on every store.

The order and the counts come from the store: a case without a deadline must
sort last on SQLite (NULL first) as on PostgreSQL (NULL last), and the
per-owner counts must leave out closed cases and put the unassigned last.
"""

from __future__ import annotations

from datetime import date

from engine.cases.engine import CaseEngine
from engine.workflow.registry import WorkflowRegistry
from service.pages.auth import Viewer
from service.pages.queues import OwnerCount, closed_states, owner_counts, read_queue
from tests.service.pages.conftest import inquiry

TODAY = date(2024, 11, 25)  # the clock's day, a Monday


def _request(engine: CaseEngine, title: str, *, decide: bool) -> str:
    """A request for access to documents, opened by jur (so theirs)."""
    number = engine.open_case(
        "access-to-documents",
        actor="jur",
        title=title,
        data={"received_on": "2024-11-18"},
        at=None,
    ).case.number
    engine.fire(number, "start_processing", actor="jur")
    if decide:  # decided: open, no deadline
        engine.fire(number, "decide", actor="jur", data={"decision": "granted"})
    else:
        engine.fire(number, "withdraw", actor="jur")  # closed
    return number


def _office(engine: CaseEngine) -> dict[str, str]:
    """jur: a case without a deadline (opened first), one due 18 Dec, one due
    29 Oct and a closed one; jur2 one due 18 Nov; one unassigned due 18 Nov."""
    cases = {
        "undated": _request(engine, "Aktindsigt", decide=True),
        "closed": _request(engine, "Trukket", decide=False),
        "later": inquiry(engine, "2024-0000012", "2024-11-20"),
        "early": inquiry(engine, "2024-0000010", "2024-10-01"),
        "jur2": inquiry(engine, "2024-0000020", "2024-10-21"),
        "nobody": inquiry(engine, "2024-0000021", "2024-10-21"),
    }
    for key, owner in (("later", "jur"), ("early", "jur"), ("jur2", "jur2")):
        engine.assign_case(cases[key], owner, actor="bra", reason=None, at=None)
    return cases


def test_a_queue_is_the_owners_open_cases_overdue_first_undated_last(
    engine: CaseEngine,
) -> None:
    cases = _office(engine)
    queue = read_queue(engine, "jur", TODAY, 1, asked=False)
    assert [r.number for r in queue.rows] == [
        cases["early"],
        cases["later"],
        cases["undated"],
    ]
    assert [(r.due, r.late) for r in queue.rows] == [
        (date(2024, 10, 29), 19),
        (date(2024, 12, 18), None),
        (None, None),
    ]
    assert (queue.total, queue.overdue, queue.pages) == (3, 1, 1)
    assert read_queue(engine, "jur2", TODAY, 1, asked=False).total == 1
    assert read_queue(engine, "bra", TODAY, 1, asked=False).rows == []


def test_the_counts_per_owner_leave_out_closed_cases_unassigned_last(
    engine: CaseEngine,
) -> None:
    _office(engine)
    viewer = Viewer(user=engine.user("bra"))
    with engine.store.transaction(write=False) as tx:
        found = owner_counts(engine.registry, tx, TODAY, viewer)
    assert found == [
        OwnerCount(owner="jur", open=3, overdue=1, queue="/ui/mine?owner=jur"),
        OwnerCount(owner="jur2", open=1, overdue=1, queue="/ui/mine?owner=jur2"),
        OwnerCount(owner=None, open=1, overdue=1, queue=None),
    ]


def test_the_bundled_workflows_close_cases_in_closed(
    registry: WorkflowRegistry,
) -> None:
    assert closed_states(registry) == frozenset({"closed"})
