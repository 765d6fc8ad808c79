"""A Danish case page in Chromium says no English workflow identifier.

The founding case's page, as the office's Danish browser sees it: every state,
event, data field and choice value the workflow declares is said in its Danish
label, in the summary, the reasoning, the diagram and the timeline. The
identifiers stay in the markup (`data-*`), not in the text a person reads.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from engine.workflow.registry import WorkflowRegistry
from tests.browser.office import FOUNDING
from tests.browser.session import CASE_PAGE, CURRENT_STATE, log_in
from tests.service.api.process import LiveApi
from tests.service.pdftools import pdf_text
from workflows import bundled_paths

pytestmark = pytest.mark.slow

WORKFLOW = "ombudsman-inquiry"


def identifiers() -> list[str]:
    """The founding workflow's name, party roles, states, events, rungs, field
    names and choice values."""
    d = WorkflowRegistry.from_paths(bundled_paths()).get(WORKFLOW)
    steps = (d.opening, *d.transitions)
    names = [s.name for s in d.states] + list(d.events)
    names += [f.name for t in steps for f in t.fields]
    names += [v for t in steps for f in t.fields for v in f.values]
    names += [v for t in d.transitions for _, v in t.sets]
    names += [d.name, *d.parties]  # the workflow and its party roles
    names += [r.name for s in d.states if s.ladder for r in s.ladder.rungs]
    return sorted(set(names))


def test_a_danish_case_page_shows_no_english_identifier(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "bra", then=CASE_PAGE)
    summary = page.locator("section#case-summary")
    expect(summary.locator("#case-state")).to_have_text("Afventer svar")
    expect(summary.locator("#case-state")).to_have_attribute(
        "data-state", CURRENT_STATE
    )
    diagram = page.locator("section#diagram svg")
    expect(diagram.locator(f'g.state[data-state="{CURRENT_STATE}"]')).to_contain_text(
        "Afventer svar"
    )
    visible = page.locator("body").inner_text()
    assert "Afventer svar" in visible
    assert "Svarfrist" in visible  # the field the waiting state's deadline names
    assert "Send henvendelse" in visible  # an event, in the timeline and diagram
    named = identifiers()
    assert {"awaiting_reply", "no_further_action", "reply_by"} <= set(named)
    found = [
        n for n in named if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", visible)
    ]
    assert found == [], f"English identifiers on the Danish page: {found}"


def test_a_letter_opens_from_the_danish_case_page(
    page: Page, own_office: LiveApi
) -> None:
    """The reminder the sweep wrote opens from the case page as its PDF (the
    letter rendered as it is opened, by the system's step), and the page
    that then shows that step still says no English identifier."""
    log_in(page, own_office, "bra", then=CASE_PAGE)
    reminder = f"{FOUNDING}-3"  # after the imported note and inquiry letter
    link = page.locator(f'a.document-link[href="/ui/documents/{reminder}"]')
    expect(link).to_be_visible()

    with page.expect_download() as downloading:
        link.click()
    download = downloading.value

    assert download.suggested_filename == f"{reminder}.pdf"
    pdf = download.path()
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in ("Rykker", FOUNDING, reminder, "Dokumentnr.", "Sagsbehandler"):
        assert expected in text, expected
    page.reload()
    visible = page.locator("body").inner_text()
    assert "brev dannet" in visible  # the render step, in the timeline's words
    named = [*identifiers(), "render", "chase", "owner"]
    found = [
        n for n in named if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", visible)
    ]
    assert found == [], f"English identifiers on the Danish page: {found}"
