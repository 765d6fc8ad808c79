"""What every page test does: reach a page, log in through the form, look.

The pages are those of a real `sagsflow api` process (tests/browser/office.py);
each test logs in through the login form, as a person would.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.office import FOUNDING, FOUNDING_TITLE
from tests.service.api.process import LiveApi

WORKFLOW = "ombudsman-inquiry"
CASE_PAGE = f"/ui/cases/{FOUNDING}"
VERIFY = "/ui/audit/verify"
STATES = ["opened", "inquiry_sent", "awaiting_reply", "assessed", "closed"]
CURRENT_STATE = "awaiting_reply"  # the reply is still owed after the reminder
COOKIE = "sagsflow_session"


def url_of(office: LiveApi, path: str) -> str:
    return f"{office.base_url}{path}"


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def log_in(page: Page, office: LiveApi, user: str, then: str = "/ui/") -> None:
    """Log in as `user` through the login form on the way to `then`."""
    page.goto(url_of(office, then))
    assert path_of(page) == "/ui/login", f"not sent to the login page: {page.url}"
    page.locator("#token").fill(office.tokens[user])
    with page.expect_navigation():
        page.locator("#login").click()
    assert path_of(page) == urlsplit(then).path, f"not sent on to {then}: {page.url}"


def visible_text(page: Page) -> str:
    return page.locator("body").inner_text()


def session_cookies(page: Page) -> list[str]:
    return [c["value"] for c in page.context.cookies() if c["name"] == COOKIE]


def assert_forbidden(page: Page, status: int | None) -> None:
    """The 403 page, and nothing of the case or the record on it."""
    assert status == 403
    expect(page.locator("h1#forbidden")).to_be_visible()
    text = visible_text(page)
    assert FOUNDING not in text
    assert FOUNDING_TITLE not in text
    assert page.locator("tr.audit-row").count() == 0
