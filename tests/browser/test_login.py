"""Logging in and out, the dashboard and the language, in Chromium.

A stranger is sent to the login page; the advisor logs in through the form
(after a refused token), finds the founding case among the overdue ones and
opens it; the language switch turns the pages English and the choice holds;
logging out ends the session.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import shot
from tests.browser.office import FOUNDING, FOUNDING_TITLE
from tests.browser.session import (
    CASE_PAGE,
    CURRENT_STATE,
    WORKFLOW,
    log_in,
    path_of,
    session_cookies,
    url_of,
    visible_text,
)
from tests.service.api.process import LiveApi

pytestmark = pytest.mark.slow


# -- logging in, the dashboard ---------------------------------------------------------
def test_the_root_and_every_page_send_a_stranger_to_log_in(
    page: Page, office: LiveApi
) -> None:
    root = page.request.get(url_of(office, "/"), max_redirects=0)
    assert root.status == 303
    assert root.headers["location"].endswith("/ui/")
    for path in ("/ui/", CASE_PAGE, "/ui/audit"):
        refused = page.request.get(url_of(office, path), max_redirects=0)
        assert refused.status == 303, path
        target = urlsplit(refused.headers["location"])
        assert target.path == "/ui/login", path
        assert parse_qs(target.query)["next"] == [path]
        assert FOUNDING_TITLE not in refused.text()


def test_advisor_logs_in_and_finds_the_founding_case(
    page: Page, office: LiveApi
) -> None:
    page.goto(url_of(office, "/"))  # / -> /ui/ -> the login page
    assert path_of(page) == "/ui/login"
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/ui/"]
    expect(page.locator("html")).to_have_attribute("lang", "da")  # Danish first
    expect(page.locator("input#token")).to_have_attribute("type", "password")
    shot(page, "01-login")

    page.locator("#token").fill("sgf_000000000000_not-a-token")
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/ui/login" in r.url
    ) as refused:
        page.locator("#login").click()
    assert refused.value.status == 401
    expect(page.locator("#login-error")).to_be_visible()
    assert not session_cookies(page)
    shot(page, "01-login-refused")

    page.locator("#token").fill(office.tokens["bra"])
    with page.expect_navigation():
        page.locator("#login").click()
    assert path_of(page) == "/ui/"
    assert session_cookies(page)
    counts = page.locator("table#open-cases")
    expect(counts).to_be_visible()
    for state in (CURRENT_STATE, "opened"):  # the founding case, the other one
        expect(
            counts.locator(f'tr[data-workflow="{WORKFLOW}"][data-state="{state}"]')
        ).to_have_count(1)
    expect(page.locator("section#chaser")).to_be_visible()
    expect(page.locator("section#outbox-failures")).to_be_visible()
    overdue = page.locator(f'table#overdue tr[data-case="{FOUNDING}"]')
    expect(overdue).to_have_count(1)
    # and the other case, opened on 12 Nov 2024: its intake deadline has passed
    expect(page.locator("table#overdue tr[data-case]")).to_have_count(2)
    shot(page, "02-dashboard")

    overdue.locator(f'a[href="{CASE_PAGE}"]').click()
    expect(page).to_have_url(url_of(office, CASE_PAGE))
    expect(page.locator("h1")).to_contain_text(FOUNDING)
    expect(page.locator("section#case-summary")).to_be_visible()


# -- language --------------------------------------------------------------------------
def test_the_language_switch_turns_the_dashboard_english(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "bra")
    expect(page.locator("html")).to_have_attribute("lang", "da")
    danish = page.locator("h1").first.inner_text()
    switch = page.locator("a#lang-switch")
    expect(switch).to_be_visible()
    with page.expect_navigation():
        switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    english = page.locator("h1").first.inner_text()
    assert english != danish
    expect(page.locator(f'table#overdue tr[data-case="{FOUNDING}"]')).to_have_count(1)
    shot(page, "07-dashboard-en")

    page.goto(url_of(office, CASE_PAGE))  # the choice holds on the next page
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("section#diagram svg g.state.current")).to_have_count(1)
    shot(page, "07-case-en")


# -- logging out -----------------------------------------------------------------------
def test_logging_out_ends_the_session(page: Page, office: LiveApi) -> None:
    log_in(page, office, "bra", then=CASE_PAGE)
    with page.expect_navigation():
        page.locator("button#logout").click()
    assert path_of(page) == "/ui/login"
    assert not session_cookies(page)
    expect(page.locator("input#token")).to_be_visible()
    shot(page, "08-logged-out")

    page.goto(url_of(office, CASE_PAGE))  # the page just left
    assert path_of(page) == "/ui/login"
    assert FOUNDING_TITLE not in visible_text(page)
