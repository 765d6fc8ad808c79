"""The view a change returns: its record, read late, is the record as of the change."""

from __future__ import annotations

import pytest

from engine.service import CaseEngine
from engine.view import CaseView

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
