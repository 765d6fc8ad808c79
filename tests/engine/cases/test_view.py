"""The view a change returns: its record, read late, is the record as of the change."""

from __future__ import annotations

import pytest

from engine.cases import reads as case_reads
from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView, read_views
from engine.records import CaseFilter

WORKFLOW = "ombudsman-inquiry"


def test_a_returned_view_keeps_the_record_as_of_its_change(engine: CaseEngine) -> None:
    opened = engine.open_case(WORKFLOW, actor="bra", title="Inquiry")
    number = opened.case.number
    sent = engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "note", actor="jur", document="Later note")  # after both

    assert [e.event for e in opened.history] == ["open"]
    assert [e.event for e in sent.history] == ["open", "send_inquiry"]
    assert [d.title for d in sent.documents] == ["Inquiry letter"]
    now = engine.show(number)
    assert len(now.history) == 3
    assert sent.history == now.history[:2]
    assert sent.documents == now.documents[:1]


def test_a_view_read_late_equals_the_one_read_at_once(engine: CaseEngine) -> None:
    number = engine.open_case(WORKFLOW, actor="bra", title="Inquiry").case.number
    fired = engine.fire(number, "send_inquiry", actor="jur")
    assert fired == engine.show(number)


def test_a_view_needs_its_record_or_a_loader(engine: CaseEngine) -> None:
    case = engine.open_case(WORKFLOW, actor="bra", title="Inquiry").case
    with pytest.raises(ValueError, match="needs its record"):
        CaseView(case=case)


# -- many cases with their records, read a page at a time ----------------------------
SELECTIONS = [
    pytest.param(CaseFilter(), id="all"),
    pytest.param(CaseFilter(limit=4), id="limit"),
    pytest.param(CaseFilter(limit=5, offset=2), id="limit-offset"),
    pytest.param(CaseFilter(offset=6), id="offset"),
    pytest.param(CaseFilter(state="inquiry_sent"), id="state"),
    pytest.param(CaseFilter(state="inquiry_sent", limit=2, offset=1), id="state-page"),
    pytest.param(CaseFilter(by_due=True), id="by-due"),
    pytest.param(CaseFilter(by_due=True, limit=3, offset=1), id="by-due-page"),
    pytest.param(CaseFilter(limit=0), id="limit-zero"),
]


@pytest.mark.parametrize("selection", SELECTIONS)
@pytest.mark.parametrize("page", [1, 2, 3, 500])
def test_views_read_by_page_are_the_cases_with_each_one_s_own_record(
    engine: CaseEngine, selection: CaseFilter, page: int
) -> None:
    for n in range(9):
        number = engine.open_case(WORKFLOW, actor="bra", title=f"Case {n}").case.number
        if n % 3:
            engine.fire(number, "send_inquiry", actor="jur")
        if n % 3 == 2:
            engine.fire(number, "note", actor="jur", document=f"Note {n}")

    with engine.store.transaction(write=False) as tx:
        expected = [
            CaseView(
                case=c, history=tx.history(c.id or 0), documents=tx.documents(c.id or 0)
            )
            for c in tx.list_cases(selection)
        ]
        found = list(read_views(tx, selection, page=page))

    assert found == expected
    assert [v.case.number for v in found] == [v.case.number for v in expected]
    assert engine.list_views(selection) == expected
    assert list(engine.views(selection)) == expected


def test_views_refuse_an_empty_page(engine: CaseEngine) -> None:
    with (
        engine.store.transaction(write=False) as tx,
        pytest.raises(ValueError, match="page must be at least 1"),
    ):
        next(read_views(tx, CaseFilter(), page=0))


def test_a_listing_for_a_reader_logs_each_page_before_handing_it_out(
    engine: CaseEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_reads, "VIEW_PAGE", 2)
    numbers = [
        engine.open_case(WORKFLOW, actor="bra", title=f"Case {n}").case.number
        for n in range(5)
    ]
    views = engine.views(CaseFilter(), reader="rev")
    assert next(views).case.number == numbers[0]
    assert [r.case_number for r in engine.reads()] == numbers[:2]
    assert [v.case.number for v in views] == numbers[1:]
    reads = [(r.actor, r.action, r.case_number) for r in engine.reads()]
    assert reads == [("rev", "case_list", n) for n in numbers]
    assert [v.case.number for v in engine.views(CaseFilter())] == numbers
    assert len(list(engine.reads())) == 5  # without a reader, nothing is logged
