"""The case page of a case whose deadline stands still (`deadline: pause`, #22):
it says so beside the deadline, the explanation says whose and how many days
were left, and the timeline marks the stopped deadline as paused."""

from __future__ import annotations

import pytest

from engine.cases.engine import CaseEngine
from engine.dates.timeparse import parse_instant
from engine.testing import FakeClock
from engine.workflow.file import load_workflow_file, parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.registry import WorkflowRegistry
from tests.engine.cases.test_pauses import WORKFLOW
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse
from workflows import bundled_paths


@pytest.fixture
def registry() -> WorkflowRegistry:
    bundled = [load_workflow_file(p, guards=GUARDS) for p in bundled_paths()]
    consent = parse_workflow(WORKFLOW, source="consent.yaml", guards=GUARDS)
    return WorkflowRegistry([*bundled, consent])


def test_the_page_says_the_deadline_stands_still(
    pages: Pages, api_engine: CaseEngine, clock: FakeClock
) -> None:
    clock.set(parse_instant("2024-11-25T09:00"))
    number = api_engine.open_case("consent", actor="jur", title="Klage").case.number
    api_engine.fire(number, "ask", actor="jur")
    clock.set(parse_instant("2024-12-04T11:00"))
    api_engine.fire(number, "ask_consent", actor="jur")

    page = pages.as_user("jur").get(f"/ui/cases/{number}?lang=en")
    assert page.status_code == 200, page.text
    html = parse(page.text)
    assert " ".join(html.find(id="deadline-status").text.split()) == (
        "The deadline stands still while the case is in this state (see why below)."
    )
    assert (
        "the deadline of 'awaiting_reply', 2024-12-09, was paused on 2024-12-04 with 3 "
        "working day(s) left" in " ".join(html.text.split())
    )
    statuses = [
        s.text.strip() for s in html.find_all("span") if s.has_class("status-paused")
    ]
    assert statuses == ["paused: the clock stood still"]
