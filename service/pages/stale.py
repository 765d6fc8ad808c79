"""The dashboard's stale cases: waiting without a deadline past their state's limit.

A state without a deadline may declare `stale_after` (`engine.cases.ages`);
its cases that have been there that many working days are listed, the longest
waiting first. One query through the (workflow, state) index and a count of
it, as the overdue list reads one page of the deadline index: the cost
follows the cases waiting in such states, not all cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.cases.ages import state_age
from engine.cases.engine import CaseEngine
from engine.ports import CaseTransaction
from engine.records import Case

SHOWN = 100  # the oldest, as many as a page of the overdue list


@dataclass(frozen=True, kw_only=True, slots=True)
class StaleRow:
    number: str
    title: str
    workflow: str
    state: str
    since: datetime  # when it entered the state
    age: int  # working days in the state
    stale_after: int  # the state's limit, in working days
    owner: str | None  # None: unassigned


@dataclass(frozen=True, kw_only=True, slots=True)
class StaleList:
    rows: list[StaleRow]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def stale_list(engine: CaseEngine, tx: CaseTransaction, today: date) -> StaleList:
    """The oldest stale cases on `today` (at most `SHOWN`) and how many there are."""
    places = engine.stale_places(tx, today)
    cases = tx.stale_cases(places, limit=SHOWN)
    return StaleList(
        rows=[_row(engine, tx, case, today) for case in cases],
        total=tx.count_stale(places) if len(cases) == SHOWN else len(cases),
    )


def _row(engine: CaseEngine, tx: CaseTransaction, case: Case, today: date) -> StaleRow:
    definition = engine.definition_for(tx, case.workflow, case.workflow_version)
    state = definition.state(case.state)
    age = state_age(case, state, calendar=engine.calendar, today=today)
    assert age is not None  # selected for its age
    assert age.stale_after is not None
    return StaleRow(
        number=case.number,
        title=case.title,
        workflow=case.workflow,
        state=case.state,
        since=case.state_entered_at,
        age=age.working_days,
        stale_after=age.stale_after,
        owner=case.owner,
    )
