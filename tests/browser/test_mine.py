"""Work queues in Chromium: "Mine sager" from the menu, the owners on the dashboard.

In the office (tests/browser/office.py) the caseworker jur opened the second
case, so it lies on jur's desk, and the founding case was imported as jur's
(the record names its owner). Both are past their deadlines by now.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import shot
from tests.browser.office import FOUNDING, OTHER_TITLE
from tests.browser.session import log_in, path_of
from tests.service.api.process import LiveApi

pytestmark = pytest.mark.slow


def test_a_caseworker_opens_mine_sager_from_the_menu(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "jur")
    link = page.locator("nav.site-nav a#nav-mine")
    expect(link).to_have_text("Mine sager")
    with page.expect_navigation():
        link.click()
    assert path_of(page) == "/ui/mine"
    expect(page.locator("h1")).to_have_text("Mine sager")
    expect(page.locator("a#nav-mine")).to_have_attribute("aria-current", "page")
    rows = page.locator("table#queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(FOUNDING)  # the older deadline first
    expect(rows.last).to_contain_text(OTHER_TITLE)
    for i in range(2):
        expect(rows.nth(i)).to_have_class("overdue")
    shot(page, "10-mine")

    page.locator("#lang-switch").click()
    expect(page.locator("h1")).to_have_text("My cases")
    expect(page.locator("a#nav-mine")).to_have_text("My cases")

    with page.expect_navigation():
        rows.last.locator("a").click()
    assert path_of(page).startswith("/ui/cases/")
    expect(page.locator("main")).to_contain_text(OTHER_TITLE)


def test_the_advisor_follows_an_owners_overdue_count_to_their_queue(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "bra")
    owners = page.locator("table#owner-counts")
    expect(owners.locator("tbody tr")).to_have_count(1)  # nothing unassigned
    expect(owners.locator('tr[data-owner="jur"]')).to_contain_text("2")
    overdue = page.locator(
        "#overdue tbody tr", has=page.locator(f'a[href="/ui/cases/{FOUNDING}"]')
    )
    expect(overdue.locator("td.owner")).to_have_text("jur")
    shot(page, "10-mine-owners")
    with page.expect_navigation():
        owners.locator('tr[data-owner="jur"] td a').click()
    assert path_of(page) == "/ui/mine"
    expect(page.locator("h1")).to_have_text("Åbne sager hos jur")
    expect(page.locator("table#queue tbody tr")).to_have_count(2)


def test_an_auditor_is_told_they_own_no_cases(page: Page, office: LiveApi) -> None:
    log_in(page, office, "rev", then="/ui/mine")
    expect(page.locator("#cannot-own")).to_contain_text("auditor")
    expect(page.locator("a#nav-mine")).to_have_count(0)
    expect(page.locator("table#queue")).to_have_count(0)
