"""The case box in Chromium: a citizen's name typed in finds the case and opens it.

The founding office (tests/browser/office.py) with two cases more, each with
a citizen, served on its own: the shared office's tests count its cases.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.office import FOUNDING
from tests.browser.session import log_in, path_of
from tests.service.api.process import LiveApi, Prepared, live_api, setup_cli

pytestmark = pytest.mark.slow

CITIZEN = "Søren Ågård Bæk"
TITLE = "Klage over hjemmehjælp"


@pytest.fixture(scope="module")
def office_with_citizens(
    prepared_office: Prepared, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    db_path, env, tokens = prepared_office.copy(tmp_path_factory.mktemp("citizens"))
    for title, citizen in ((TITLE, CITIZEN), ("Aktindsigt", "Jens Hansen")):
        setup_cli(
            env, "case", "open", "ombudsman-inquiry", "--actor", "jur",
            "--title", title, "--party", f"citizen={citizen}",
            "--party", "authority=Sundheds- og Omsorgsforvaltningen",
        )  # fmt: skip
    served = tmp_path_factory.mktemp("served-citizens")
    with live_api(Prepared(db_path=db_path, tokens=tokens), served) as running:
        yield running


def search(page: Page, text: str) -> None:
    """Type `text` into the dashboard's case box and send it."""
    box = page.locator("#case-search-text")
    expect(box).to_be_visible()
    box.fill(text)
    with page.expect_navigation():
        page.locator("#find-case").click()


def test_a_citizen_s_name_finds_the_case_and_opens_it(
    page: Page, office_with_citizens: LiveApi
) -> None:
    log_in(page, office_with_citizens, "jur")
    search(page, "søren ågård")

    assert path_of(page) == "/ui/cases"
    rows = page.locator("table#found tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-field", "party")
    expect(row.locator("td.matched")).to_have_text(f"Part: {CITIZEN}")
    expect(row).to_contain_text(TITLE)
    number = row.get_attribute("data-case")
    assert number is not None

    with page.expect_navigation():
        row.locator("a").click()
    assert path_of(page) == f"/ui/cases/{number}"
    expect(page.locator("h1")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text(CITIZEN)


def test_a_case_number_goes_straight_to_the_case_and_nothing_found_says_so(
    page: Page, office_with_citizens: LiveApi
) -> None:
    log_in(page, office_with_citizens, "bra")
    search(page, FOUNDING)
    assert path_of(page) == f"/ui/cases/{FOUNDING}"

    page.goto(f"{office_with_citizens.base_url}/ui/")
    search(page, "Mortensen")
    expect(page.locator("#search-none")).to_have_text("Ingen sag passer til søgningen.")
    expect(page.locator("#case-search-text")).to_have_value("Mortensen")
