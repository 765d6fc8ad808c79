"""Stale cases on the pages: the dashboard's list and the age on a case's page.

Requests for access to documents decided on given days wait in `decided`,
which has no deadline and goes stale after 10 working days. The FakeClock
stands at Monday 25 November 2024: a case decided on 11 November has been
there 10 working days (stale), one decided on 12 November 9 (not yet).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.cases.engine import CaseEngine
from service.pages import stale
from tests.service.pages.conftest import Pages, closed_case, inquiry
from tests.service.pages.html import Element, parse


def decided(engine: CaseEngine, day: str, title: str = "Aktindsigt") -> str:
    """A request received and decided at 10:00 on `day` (a November date)."""
    at = datetime.fromisoformat(f"{day}T10:00:00+01:00")
    number = engine.open_case(
        "access-to-documents",
        actor="jur",
        title=title,
        data={"received_on": day},
        at=at,
    ).case.number
    engine.fire(number, "start_processing", actor="jur", at=at)
    engine.fire(number, "decide", actor="jur", data={"decision": "granted"}, at=at)
    return number


def _stale_rows(page: Element) -> list[Element]:
    return page.find("table", id="stale").find("tbody").find_all("tr")


def test_the_stale_cases_are_listed_longest_waiting_first(
    pages: Pages, api_engine: CaseEngine
) -> None:
    ten = decided(api_engine, "2024-11-11", "Aktindsigt i journalen")
    decided(api_engine, "2024-11-12")  # 9 working days: not yet
    fifteen = decided(api_engine, "2024-11-04", "Aktindsigt i mails")
    inquiry(api_engine, "2024-0000010", "2024-10-01")  # overdue, not stale
    closed_case(api_engine)

    page = parse(pages.as_user("rev").get("/ui/").text)

    rows = _stale_rows(page)
    assert [r.attrs["data-case"] for r in rows] == [fifteen, ten]
    first = rows[0]
    link = first.find("a")
    assert (link.attrs["href"], link.text) == (f"/ui/cases/{fifteen}", fifteen)
    assert "Aktindsigt i mails" in first.text
    assert "Afgjort" in first.find("span", class_="state").text
    assert first.find("time").attrs["datetime"] == "2024-11-04T10:00:00+01:00"
    assert first.find("td", data_working_days="15").text == "15"
    assert rows[1].find("td", data_working_days="10").text == "10"
    assert [r.find_all("td")[-1].text for r in rows] == ["10", "10"]
    assert page.find(id="stale-summary").text == "Viser 2 af 2 stillestående sager."
    assert not page.find_all(id="stale-more")
    overdue = page.find("table", id="overdue").find("tbody").find_all("tr")
    assert [r.attrs["data-case"] for r in overdue] == ["2024-0000010"]


def test_the_list_shows_the_oldest_and_says_how_many_more(
    pages: Pages, api_engine: CaseEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stale, "SHOWN", 1)
    decided(api_engine, "2024-11-11")
    oldest = decided(api_engine, "2024-11-01")

    page = parse(pages.as_user("bra").get("/ui/?lang=en").text)

    assert [r.attrs["data-case"] for r in _stale_rows(page)] == [oldest]
    assert page.find(id="stale-summary").text == "Showing 1 of 2 stale cases."
    assert page.find(id="stale-more").text == (
        "Not shown here: 1 more, in their state for a shorter time."
    )
    assert page.find("h2", id="stale-heading").text == "Stale cases"


def test_no_stale_case_is_said_so(pages: Pages, api_engine: CaseEngine) -> None:
    decided(api_engine, "2024-11-12")

    page = parse(pages.as_user("jur").get("/ui/").text)

    (row,) = _stale_rows(page)
    assert row.text == "Ingen sager er stillestående."
    assert not page.find_all(id="stale-summary")


def test_a_role_that_does_not_read_the_record_sees_no_stale_list(
    pages: Pages, api_engine: CaseEngine
) -> None:
    number = decided(api_engine, "2024-11-01", "Aktindsigt i journalen")

    text = pages.as_user("ind").get("/ui/").text

    assert not parse(text).find_all("section", id="stale-cases")
    assert number not in text
    assert "Aktindsigt i journalen" not in text


@pytest.mark.parametrize(
    ("query", "said"),
    [
        (
            "",
            "I Afgjort i 15 arbejdsdage — "
            "stillestående: arbejdsgangen tillader 10 arbejdsdage her",
        ),
        (
            "?lang=en",
            "In Decided for 15 working days — "
            "stale: its workflow allows 10 working days here",
        ),
    ],
    ids=["da", "en"],
)
def test_the_case_page_gives_the_age_and_says_stale(
    pages: Pages, api_engine: CaseEngine, query: str, said: str
) -> None:
    number = decided(api_engine, "2024-11-04")

    page = parse(pages.as_user("rev").get(f"/ui/cases/{number}{query}").text)

    age = page.find(id="case-age")
    assert " ".join(age.text.split()) == said
    assert age.attrs["data-working-days"] == "15"
    assert age.has_class("late")


def test_a_case_not_yet_stale_shows_its_age_unmarked(
    pages: Pages, api_engine: CaseEngine
) -> None:
    number = decided(api_engine, "2024-11-22")  # a Friday: Monday is 1 day on

    page = parse(pages.as_user("rev").get(f"/ui/cases/{number}?lang=en").text)

    age = page.find(id="case-age")
    assert " ".join(age.text.split()) == "In Decided for 1 working day"
    assert not age.has_class("late")


def test_a_case_with_a_deadline_shows_no_age(pages: Pages, founding: str) -> None:
    page = parse(pages.as_user("rev").get(f"/ui/cases/{founding}").text)

    assert not page.find_all(id="case-age")
