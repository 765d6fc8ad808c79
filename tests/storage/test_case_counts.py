"""The store's case counts and the deadline order, on every store.

`count_cases`, `state_counts` and `CaseFilter.by_due` serve the review pages'
dashboard (service/pages): counts by workflow and state, and one page of the
overdue cases, the oldest deadline first, without reading every case.
"""

from __future__ import annotations

from datetime import date

from engine.ports import CaseStore
from engine.records import CaseFilter
from tests.storage.test_contract import _case

TODAY = date(2024, 11, 25)


def _office(store: CaseStore) -> None:
    cases = [
        ("2024-0000001", "ombudsman-inquiry", "awaiting_reply", date(2024, 11, 8)),
        ("2024-0000002", "ombudsman-inquiry", "awaiting_reply", date(2024, 11, 6)),
        ("2024-0000003", "ombudsman-inquiry", "closed", None),
        ("2024-0000004", "access-to-documents", "received", date(2024, 11, 26)),
        ("2024-0000005", "ombudsman-inquiry", "assessed", date(2024, 11, 6)),
        ("2024-0000006", "ombudsman-inquiry", "closed", None),
    ]
    with store.transaction() as tx:
        for number, workflow, state, due in cases:
            tx.add_case(_case(number, workflow=workflow, state=state, due=due))


def test_state_counts_count_every_case_by_workflow_and_state(store: CaseStore) -> None:
    _office(store)
    with store.transaction(write=False) as tx:
        assert sorted(tx.state_counts()) == [
            ("access-to-documents", "received", 1),
            ("ombudsman-inquiry", "assessed", 1),
            ("ombudsman-inquiry", "awaiting_reply", 2),
            ("ombudsman-inquiry", "closed", 2),
        ]
        assert sorted(tx.state_counts(due_before=TODAY)) == [
            ("ombudsman-inquiry", "assessed", 1),
            ("ombudsman-inquiry", "awaiting_reply", 2),
        ]
        assert tx.state_counts(due_before=date(2024, 11, 6)) == []


def test_count_cases_ignores_limit_and_offset(store: CaseStore) -> None:
    _office(store)
    with store.transaction(write=False) as tx:
        assert tx.count_cases(CaseFilter()) == 6
        assert tx.count_cases(CaseFilter(due_before=TODAY, limit=1, offset=1)) == 3
        assert tx.count_cases(CaseFilter(workflow="access-to-documents")) == 1
        assert tx.count_cases(CaseFilter(state="closed")) == 2


def test_by_due_lists_the_oldest_deadline_first_then_by_id(store: CaseStore) -> None:
    _office(store)
    selection = CaseFilter(due_before=TODAY, by_due=True)
    with store.transaction(write=False) as tx:
        listed = [c.number for c in tx.list_cases(selection)]
        assert listed == ["2024-0000002", "2024-0000005", "2024-0000001"]
        paged = tx.list_cases(
            CaseFilter(due_before=TODAY, by_due=True, limit=1, offset=1)
        )
        assert [c.number for c in paged] == ["2024-0000005"]
        # without it, by id as before
        plain = tx.list_cases(CaseFilter(due_before=TODAY))
        assert [c.number for c in plain] == [
            "2024-0000001",
            "2024-0000002",
            "2024-0000005",
        ]
