"""Which closed cases' personal data has outlived its workflow's retention rule.

A workflow may declare `retention: {personal_data: {after: 5 years, from:
closed}}`: a case that entered `closed` on a day keeps its personal data until
that day plus the period (`engine.dates.periods.retention_ends`), and is due
for erasure from then on. Each case follows the rule of the workflow version
it was opened under. Cases erased already, and cases with entries sealed
under chain version 1 (which cannot be erased), are not due.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from engine.cases.rules import RuleBook
from engine.dates.calendars import local_date
from engine.dates.periods import retention_ends
from engine.ports import EngineTransaction
from engine.records import CaseFilter

PAGE = 500  # cases read at a time


@dataclass(frozen=True, kw_only=True, slots=True)
class DueErasure:
    """A case whose personal data is due for erasure, and the rule that says so."""

    number: str
    workflow: str
    workflow_version: int
    state: str
    entered_on: date  # the local day it entered the rule's state
    due_on: date  # the first day it is due
    rule: str  # the rule, as people read it


def due_erasures(
    tx: EngineTransaction, rules: RuleBook, names: list[str], today: date
) -> Iterator[DueErasure]:
    """Every case of the workflows `names` due for erasure on `today`, by id."""
    for name in names:
        after_id = 0
        while True:
            page = tx.list_cases(
                CaseFilter(workflow=name, limit=PAGE, after_id=after_id)
            )
            if not page:
                break
            after_id = page[-1].id or after_id
            for case in page:
                if case.erased is not None:
                    continue
                definition = rules.definition_for(
                    tx, case.workflow, case.workflow_version
                )
                retention = definition.retention
                if retention is None or case.state != retention.from_state:
                    continue
                entered = local_date(case.state_entered_at)
                ends = retention_ends(retention, entered)
                if ends <= today:
                    yield DueErasure(
                        number=case.number,
                        workflow=case.workflow,
                        workflow_version=case.workflow_version,
                        state=case.state,
                        entered_on=entered,
                        due_on=ends,
                        rule=f"retention of {definition.key}: {retention.describe()}",
                    )
