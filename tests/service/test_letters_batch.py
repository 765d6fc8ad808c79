"""A batch's letters (engine.chasing.letters.BatchLetters over pinned
JinjaLetters) are byte for byte the letters written case by case."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.chasing.letters import BatchLetters
from service.letters import bundled_letters

WORKFLOW = "ombudsman-inquiry"


def _context(number: int, **more: Any) -> dict[str, Any]:
    return {
        "case_number": f"2024-{number:07d}",
        "case_title": f"Henvendelse {number % 3}",
        "workflow": WORKFLOW,
        "workflow_title": "Ombudsmandens henvendelse",
        "state": "awaiting_reply",
        "rung": "reminder_1",
        "rung_number": 1,
        "inquiry_date": date(2024, 10, 9) if number % 2 else None,
        "inquiry_document": f"2024-{number:07d}-2" if number % 2 else None,
        "due_missed": date(2024, 11, 6),
        "new_due": date(2024, 12, 9),
        "working_days_overdue": 13,
        "working_days_late": 13,
        "office": "Borgerrådgiveren",
        "today": date(2024, 11, 25),
        "target": "authority",
        "recipient_name": f"Forv {number % 2}",
        "letter_document": None,
        **more,
    }


CALLS = [
    (["reminder_1.authority", "reminder_1", "notice"], _context(1)),
    (["reminder_1.caseworker", "reminder_1", "notice"], _context(1)),
    (["reminder_1.authority", "reminder_1", "notice"], _context(2)),
    (["reminder_1.authority", "reminder_1", "notice"], _context(1)),  # again
    (["reminder_1.authority", "reminder_1", "notice"], _context(4, rung_number=True)),
    (["reminder_1.authority", "reminder_1", "notice"], _context(4)),
    (
        ["reminder_1.authority", "reminder_1", "notice"],
        _context(5, letter_document="D"),
    ),
    (["notice"], _context(6, extra=["a", "list"])),  # no key: rendered each time
    (["notice"], _context(6, extra=["a", "list"])),
]


@pytest.mark.parametrize("language", ["da", "en"])
def test_a_batch_renders_the_texts_case_by_case_gives(language: str) -> None:
    alone = [
        bundled_letters()
        .pinned()
        .render(workflow=WORKFLOW, names=names, language=language, context=context)
        for names, context in CALLS
    ]
    batch = BatchLetters(bundled_letters().pinned())
    together = [
        batch.render(workflow=WORKFLOW, names=names, language=language, context=context)
        for names, context in CALLS
    ]
    assert together == alone
    assert alone[0] == alone[3]
    assert alone[0] != alone[2]


def test_a_batch_writes_a_letter_asked_for_twice_once() -> None:
    calls: list[str] = []

    class Counting:
        def pinned(self) -> Counting:
            return self

        def render(self, **kw: Any) -> tuple[str, str]:
            calls.append(kw["context"]["case_number"])
            return "s", str(kw["context"]["rung_number"])

    batch = BatchLetters(Counting())
    names = ["notice"]
    first = batch.render(
        workflow=WORKFLOW, names=names, language="da", context=_context(1)
    )
    again = batch.render(
        workflow=WORKFLOW, names=names, language="da", context=_context(1)
    )
    other = batch.render(
        workflow=WORKFLOW,
        names=names,
        language="da",
        context=_context(1, rung_number=True),
    )
    assert first == again == ("s", "1")
    assert other == ("s", "True")  # True == 1, but not the same value to print
    assert calls == ["2024-0000001", "2024-0000001"]
    assert BatchLetters(Counting()).render(
        workflow=WORKFLOW, names=names, language="da", context=_context(1)
    ) == ("s", "1")
    assert len(calls) == 3  # a new batch remembers nothing
