"""The founding case's page in Chromium: timeline, diagram, deadline, dossier."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import shot
from tests.browser.office import FOUNDING, FOUNDING_TITLE
from tests.browser.session import (
    CASE_PAGE,
    CURRENT_STATE,
    STATES,
    log_in,
)
from tests.service.api.process import LiveApi

pytestmark = pytest.mark.slow

DUE = "2024-11-22"  # the reminder of 8 Nov gave 10 more working days


def test_case_page_shows_the_reminder_diagram_and_deadline(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "bra", then=CASE_PAGE)
    expect(page.locator("h1")).to_contain_text(FOUNDING)
    expect(page.locator("main")).to_contain_text(FOUNDING_TITLE)
    summary = page.locator("section#case-summary")
    expect(summary).to_contain_text("Afventer svar")  # CURRENT_STATE's label
    expect(summary.locator("#case-state")).to_have_attribute(
        "data-state", CURRENT_STATE
    )
    expect(summary).to_contain_text("Socialforvaltningen")

    timeline = page.locator("section#timeline")
    expect(timeline.locator('li.entry[data-kind="reminder"]')).to_have_count(1)
    assert timeline.locator('li.entry[data-kind="audit"]').count() >= 3
    assert timeline.locator('li.entry[data-kind="document"]').count() >= 1
    kinds = set(
        timeline.locator("li.entry").evaluate_all("els => els.map(e => e.dataset.kind)")
    )
    assert kinds <= {"audit", "document", "deadline", "reminder"}, kinds

    diagram = page.locator("section#diagram svg")
    expect(diagram).to_be_visible()
    states = diagram.locator("g.state").evaluate_all(
        "els => els.map(e => e.dataset.state)"
    )
    assert sorted(states) == sorted(STATES), states
    current = diagram.locator("g.state.current")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-state", CURRENT_STATE)
    box = current.bounding_box()
    assert box is not None
    assert box["width"] > 0
    assert box["height"] > 0

    deadline = page.locator("section#deadline")
    expect(deadline).to_be_visible()
    expect(deadline.locator("#deadline-status time")).to_have_attribute("datetime", DUE)
    reasoning = deadline.locator("#explain")  # `sagsflow case explain`, in Danish
    expect(reasoning).to_contain_text(f"Fristen er {DUE}")
    expect(reasoning).to_contain_text(
        "'1. rykker' blev sendt den 2024-11-08"
    )  # reminder_1
    shot(page, "03-case")

    with page.expect_download() as downloading:
        page.locator("a#dossier").click()
    download = downloading.value
    assert download.suggested_filename == f"{FOUNDING}-dossier.json"
    dossier = json.loads(download.path().read_text("utf-8"))
    assert dossier["case"]["number"] == FOUNDING
    assert [e["seq"] for e in dossier["entries"]] == [1, 2, 3, 4]
