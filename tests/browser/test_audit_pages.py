"""The audit search and the verify button in Chromium, and who may use them.

The auditor narrows the search and downloads what it shows as CSV; a bad
filter is refused with a message; verify says the record holds, and names the
first broken entry of a record edited below the triggers. The intake user may
see neither the record nor a case, and a caseworker may search but not verify.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.chromium import shot
from tests.browser.office import FOUNDING, TAMPERED_SEQ
from tests.browser.session import (
    CASE_PAGE,
    VERIFY,
    assert_forbidden,
    log_in,
    url_of,
)
from tests.service.api.process import LiveApi

pytestmark = pytest.mark.slow

ALL_ENTRIES = 5  # the founding case's 4 (open, inquiry, dispatch, chase) + 1
FOUNDING_ENTRIES = 4
FOUNDING_BY_JUR = 2  # send_inquiry, mark_dispatched


# -- the audit search ------------------------------------------------------------------
def audit_rows(page: Page) -> list[tuple[str, str]]:
    """(case, seq) of each result row, in order."""
    rows = page.locator("table#audit-results tr.audit-row")
    return [
        (row.get_attribute("data-case") or "", row.get_attribute("data-seq") or "")
        for row in rows.all()
    ]


def search(page: Page, **fields: str) -> None:
    """Fill the filter form (text inputs and the role select) and search."""
    form = page.locator("form#audit-filter")
    for name, value in fields.items():
        field = form.locator(f'[name="{name}"]')
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator("button#search").click()


def test_audit_search_narrows_and_downloads_what_it_shows(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "rev", then="/ui/audit")  # the auditor
    expect(page.locator("table#audit-results tr.audit-row")).to_have_count(ALL_ENTRIES)

    search(page, case=FOUNDING)
    rows = page.locator("table#audit-results tr.audit-row")
    expect(rows).to_have_count(FOUNDING_ENTRIES)
    assert {case for case, _ in audit_rows(page)} == {FOUNDING}

    search(page, actor="jur")  # the case filter stays filled in
    expect(rows).to_have_count(FOUNDING_BY_JUR)
    shown = audit_rows(page)
    shot(page, "04-audit")

    link = page.locator("a#csv")
    query = parse_qs(urlsplit(link.get_attribute("href") or "").query)
    assert urlsplit(link.get_attribute("href") or "").path == "/ui/audit.csv"
    assert query["case"] == [FOUNDING]
    assert query["actor"] == ["jur"]
    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert download.suggested_filename == "audit.csv"
    table = list(csv.reader(io.StringIO(download.path().read_text("utf-8"))))
    header, *records = table
    assert header[:3] == ["case", "seq", "event"]
    column = {name: i for i, name in enumerate(header)}
    assert [(r[column["case"]], r[column["seq"]]) for r in records] == shown
    assert {r[column["actor"]] for r in records} == {"jur"}
    assert [r[column["event"]] for r in records] == ["send_inquiry", "mark_dispatched"]

    search(page, actor="", event="chase")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("system")

    search(page, event="", role="caseworker")  # the role is a select
    expect(rows).to_have_count(FOUNDING_BY_JUR)
    expect(page.locator("form#audit-filter select[name=role]")).to_have_value(
        "caseworker"
    )


def test_a_bad_filter_is_refused_with_a_message(page: Page, office: LiveApi) -> None:
    log_in(page, office, "rev", then="/ui/audit")
    response = page.goto(url_of(office, "/ui/audit?since=2024-13-45"))
    assert response is not None
    assert response.status == 400
    expect(page.locator("#filter-error")).to_be_visible()
    expect(page.locator("#filter-error")).to_contain_text("2024-13-45")
    expect(page.locator("table#audit-results tr.audit-row")).to_have_count(0)
    shot(page, "04-audit-bad-filter")


# -- verify ----------------------------------------------------------------------------
def press_verify(page: Page) -> None:
    with page.expect_navigation():
        page.locator("button#verify").click()


def test_verify_on_the_intact_record(page: Page, office: LiveApi) -> None:
    log_in(page, office, "rev", then="/ui/audit")
    press_verify(page)
    result = page.locator("section#verify-result")
    expect(result).to_have_attribute("data-ok", "true")
    shot(page, "05-verify-ok")


def test_verify_names_the_first_broken_entry(page: Page, tampered: LiveApi) -> None:
    log_in(page, tampered, "rev", then="/ui/audit")
    press_verify(page)
    result = page.locator("section#verify-result")
    expect(result).to_have_attribute("data-ok", "false")
    first = result.locator("#first-broken")
    expect(first).to_have_attribute("data-case", FOUNDING)
    expect(first).to_have_attribute("data-seq", str(TAMPERED_SEQ))
    expect(first).to_contain_text(FOUNDING)
    shot(page, "verify-broken")


# -- 403 -------------------------------------------------------------------------------
def test_intake_sees_the_forbidden_page_not_the_data(
    page: Page, office: LiveApi
) -> None:
    log_in(page, office, "ind")
    refused = page.goto(url_of(office, "/ui/audit"))
    assert_forbidden(page, refused.status if refused else None)
    shot(page, "06-forbidden")

    refused = page.goto(url_of(office, CASE_PAGE))
    assert_forbidden(page, refused.status if refused else None)
    shot(page, "06-forbidden-case")


def test_a_caseworker_may_search_but_not_verify(page: Page, office: LiveApi) -> None:
    log_in(page, office, "jur", then="/ui/audit")
    expect(page.locator("table#audit-results tr.audit-row")).to_have_count(ALL_ENTRIES)
    expect(page.locator("button#verify")).to_have_count(0)  # not offered

    refused = page.goto(url_of(office, VERIFY))
    assert_forbidden(page, refused.status if refused else None)
    shot(page, "06-forbidden-verify")

    # Nor does the verify form's POST, sent from a page of the site, run it.
    page.goto(url_of(office, "/ui/audit"))
    with page.expect_navigation() as navigation:
        page.evaluate(
            """action => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = action;
                document.body.append(form);
                form.submit();
            }""",
            VERIFY,
        )
    response = navigation.value
    assert_forbidden(page, response.status if response else None)
    expect(page.locator("section#verify-result")).to_have_count(0)
