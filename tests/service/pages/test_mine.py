"""`/ui/mine` ("Mine sager") and the dashboard's owners: whose desk each case is on.

The office (tests/service/pages/conftest.py) at Monday 25 Nov 2024: jur's open
cases are one due 29 Oct, the founding case due 6 Nov, one due 18 Dec and a
decided request without a deadline; jur also owns a closed case, jur2 one
overdue case, and one overdue case is unassigned.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.cases.engine import CaseEngine
from engine.testing import FakeClock
from service.pages import queues
from tests.service.pages.conftest import Pages, inquiry
from tests.service.pages.html import Element, parse

EARLY = "2024-0000010"  # due Tue 29 Oct 2024
LATE = "2024-0000012"  # due Wed 18 Dec 2024: not overdue
OTHERS = "2024-0000020"  # jur2's, due 18 Nov
NOBODYS = "2024-0000021"  # unassigned, due 18 Nov


def _decided(engine: CaseEngine) -> str:
    """A request for access to documents opened and decided by jur: open,
    no deadline."""
    number = engine.open_case(
        "access-to-documents",
        actor="jur",
        title="Aktindsigt i byggesag",
        data={"received_on": "2024-11-18"},
        at=None,
    ).case.number
    engine.fire(number, "start_processing", actor="jur")
    engine.fire(number, "decide", actor="jur", data={"decision": "granted"})
    return number


def _closed(engine: CaseEngine) -> str:
    """A request jur opened and withdrew: closed, jur's still."""
    number = engine.open_case(
        "access-to-documents",
        actor="jur",
        title="Trukket anmodning",
        data={"received_on": "2024-11-18"},
        at=None,
    ).case.number
    engine.fire(number, "withdraw", actor="jur")
    return number


@pytest.fixture
def office(api_engine: CaseEngine, founding: str) -> dict[str, str]:
    """The cases of the module docstring, by what they are."""
    for number, dispatched in (
        (EARLY, "2024-10-01"),
        (LATE, "2024-11-20"),
        (OTHERS, "2024-10-21"),
        (NOBODYS, "2024-10-21"),
    ):
        inquiry(api_engine, number, dispatched)
    assert api_engine.show_case(founding).owner == "jur"  # the import names jur
    for number in (EARLY, LATE):
        api_engine.assign_case(number, "jur", actor="bra", reason=None, at=None)
    api_engine.assign_case(OTHERS, "jur2", actor="bra", reason=None, at=None)
    return {
        "founding": founding,
        "decided": _decided(api_engine),
        "closed": _closed(api_engine),
    }


def _rows(page: Element) -> list[Element]:
    return page.find("table", id="queue").find("tbody").find_all("tr")


def _numbers(page: Element) -> list[str]:
    return [row.attrs["data-case"] for row in _rows(page)]


# -- Mine sager ---------------------------------------------------------------------
def test_mine_lists_exactly_the_users_open_cases_the_overdue_first(
    pages: Pages, office: dict[str, str], api_engine: CaseEngine
) -> None:
    response = pages.as_user("jur").get("/ui/mine")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.find("h1").text == "Mine sager"
    assert _numbers(page) == [EARLY, office["founding"], LATE, office["decided"]]
    early, founding, late, decided = _rows(page)
    assert early.has_class("overdue")
    assert founding.find("td", class_="late").attrs["data-working-days"] == "13"
    assert founding.find("time").attrs["datetime"] == "2024-11-06"
    assert (founding.find("a").attrs["href"], founding.find("a").text) == (
        f"/ui/cases/{office['founding']}",
        office["founding"],
    )
    assert not late.has_class("overdue")
    assert late.find("time").attrs["datetime"] == "2024-12-18"
    assert late.find_all("td")[-1].text == ""
    assert "ingen frist" in decided.text
    assert "Afgjort" in decided.text  # the state decided, in its label
    summary = page.find(id="queue-summary").text
    assert summary == "4 åbne sager, heraf 2 over fristen."
    # the nav link is the current page
    link = page.find("a", id="nav-mine")
    assert (link.attrs["href"], link.attrs.get("aria-current")) == ("/ui/mine", "page")


def test_each_case_shown_is_a_logged_read_of_the_viewer(
    pages: Pages, office: dict[str, str], api_engine: CaseEngine
) -> None:
    pages.as_user("jur").get("/ui/mine")
    logged = [(r.actor, r.action, r.case_number) for r in api_engine.reads()]
    shown = [EARLY, office["founding"], LATE, office["decided"]]
    assert sorted(logged) == sorted(("jur", "case_list", n) for n in shown)


def test_mine_in_english(pages: Pages, office: dict[str, str]) -> None:
    page = parse(pages.as_user("jur").get("/ui/mine?lang=en").text)
    assert page.find("h1").text == "My cases"
    assert page.find("a", id="nav-mine").text == "My cases"
    assert page.find(id="queue-summary").text == "4 open cases, 2 overdue."
    assert "no deadline" in _rows(page)[-1].text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("da", "Du har ingen åbne sager."), ("en", "You have no open cases.")],
)
def test_an_empty_desk_says_so(pages: Pages, lang: str, expected: str) -> None:
    response = pages.as_user("jur2").get(f"/ui/mine?lang={lang}")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.find(id="queue-empty").text == expected
    assert not page.find_all("table", id="queue")


@pytest.mark.parametrize(
    ("user", "lang", "expected"),
    [
        ("rev", "da", "Der ligger ingen sager på dit bord"),
        ("rev", "en", "No cases lie on your desk"),
        ("ind", "da", "og du har intake"),
    ],
)
def test_who_cannot_own_a_case_is_told_so_and_has_no_link(
    pages: Pages, office: dict[str, str], user: str, lang: str, expected: str
) -> None:
    client = pages.as_user(user)
    response = client.get(f"/ui/mine?lang={lang}")
    assert response.status_code == 200
    page = parse(response.text)
    assert expected in page.find(id="cannot-own").text
    assert not page.find_all("table", id="queue")
    assert office["founding"] not in response.text
    assert not parse(client.get("/ui/").text).find_all("a", id="nav-mine")


def test_the_advisor_and_caseworkers_have_the_link(pages: Pages) -> None:
    for user in ("bra", "jur"):
        page = parse(pages.as_user(user).get("/ui/").text)
        assert page.find("a", id="nav-mine").attrs["href"] == "/ui/mine"


@pytest.mark.parametrize("user", ["bra", "rev"])
def test_an_overseer_sees_another_owners_queue_and_the_read_is_logged(
    pages: Pages, office: dict[str, str], api_engine: CaseEngine, user: str
) -> None:
    response = pages.as_user(user).get("/ui/mine?owner=jur")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.find("h1").text == "Åbne sager hos jur"
    assert _numbers(page) == [EARLY, office["founding"], LATE, office["decided"]]
    assert {(r.actor, r.action) for r in api_engine.reads()} == {(user, "case_list")}
    current = page.find("a", id="nav-mine") if user == "bra" else None
    assert current is None or "aria-current" not in current.attrs


def test_a_caseworker_may_not_see_a_colleagues_queue(
    pages: Pages, office: dict[str, str], api_engine: CaseEngine
) -> None:
    client = pages.as_user("jur2")
    for owner in ("jur", "nobody"):  # refused before the owner is looked up
        response = client.get(f"/ui/mine?owner={owner}")
        assert response.status_code == 403
        page = parse(response.text)
        assert page.find("h1", id="forbidden")
        assert page.find(id="needed-roles").text == "advisor, auditor"
        assert office["founding"] not in response.text
    assert list(api_engine.reads()) == []
    assert client.get("/ui/mine?owner=jur2").status_code == 200  # their own


def test_an_overseer_asking_for_a_user_who_cannot_own_cases(
    pages: Pages, office: dict[str, str]
) -> None:
    page = parse(pages.as_user("bra").get("/ui/mine?owner=rev&lang=en").text)
    assert page.find(id="cannot-own").text == (
        "rev cannot own cases: a case's owner holds the caseworker or advisor "
        "role, and rev holds auditor."
    )


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?owner=nobody", 404, "Der er ingen bruger 'nobody'."),
        ("?owner=" + "x" * 129, 400, "owner er for lang (højst 128 tegn)."),
        ("?page=0", 400, "Sidetallet skal være et helt tal fra 1 til 100000."),
        ("?mine=1", 400, "Ukendt parameter: mine."),
    ],
)
def test_a_bad_query_is_one_message_and_nothing_is_read(
    pages: Pages,
    office: dict[str, str],
    api_engine: CaseEngine,
    query: str,
    status: int,
    message: str,
) -> None:
    response = pages.as_user("bra").get("/ui/mine" + query)
    assert response.status_code == status
    assert parse(response.text).find("p", role="alert").text == message
    assert list(api_engine.reads()) == []


def test_a_long_queue_is_paged_and_the_links_keep_the_owner(
    pages: Pages, office: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queues, "PER_PAGE", 3)
    client = pages.as_user("bra")
    first = parse(client.get("/ui/mine?owner=jur").text)
    assert _numbers(first) == [EARLY, office["founding"], LATE]
    following = first.find("a", rel="next").attrs["href"]
    assert following == "?owner=jur&page=2"
    second = parse(client.get("/ui/mine" + following).text)
    assert _numbers(second) == [office["decided"]]
    assert second.find("a", rel="prev").attrs["href"] == "?owner=jur&page=1"
    assert parse(client.get("/ui/mine?owner=jur&page=9").text).find_all("a", rel="prev")
    own = parse(pages.as_user("jur").get("/ui/mine").text)
    assert own.find("a", rel="next").attrs["href"] == "?page=2"


# -- the dashboard ------------------------------------------------------------------
def _owners(page: Element) -> list[list[str]]:
    rows = page.find("table", id="owner-counts").find("tbody").find_all("tr")
    return [[row.attrs["data-owner"], *(c.text for c in row.children)] for row in rows]


def test_the_dashboard_counts_open_and_overdue_cases_per_owner_unassigned_last(
    pages: Pages, office: dict[str, str]
) -> None:
    page = parse(pages.as_user("bra").get("/ui/").text)
    assert _owners(page) == [
        ["jur", "jur", "4", "2"],
        ["jur2", "jur2", "1", "1"],
        ["", "ufordelt", "1", "1"],  # the closed case is not counted
    ]
    table = page.find("table", id="owner-counts")
    jur = table.find("tr", data_owner="jur")
    assert [a.attrs["href"] for a in jur.find_all("a")] == ["/ui/mine?owner=jur"] * 2
    assert jur.find_all("a")[1].attrs["aria-label"] == ("Sager over fristen hos jur: 2")
    assert not table.find("tr", data_owner="").find_all("a")


def test_an_owner_deactivated_or_without_an_owner_role_is_marked(
    pages: Pages, office: dict[str, str], api_engine: CaseEngine
) -> None:
    api_engine.deactivate_user("jur2", actor="bra", reason="Fratrådt")
    page = parse(pages.as_user("bra").get("/ui/").text)
    table = page.find("table", id="owner-counts")
    marked = table.find("tr", data_owner="jur2").find("th").text
    assert marked == "jur2 kan ikke eje sager nu: fordel dem på ny"
    assert "fordel" not in table.find("tr", data_owner="jur").find("th").text
    api_engine.activate_user("jur2", actor="bra")
    api_engine.change_roles("jur2", add=["auditor"], remove=["caseworker"], actor="bra")
    page = parse(pages.as_user("bra").get("/ui/?lang=en").text)
    row = page.find("table", id="owner-counts").find("tr", data_owner="jur2")
    assert row.find("th").text == "jur2 cannot own cases now: assign them anew"


def test_a_caseworker_is_linked_to_their_own_queue_only(
    pages: Pages, office: dict[str, str]
) -> None:
    table = parse(pages.as_user("jur2").get("/ui/?lang=en").text).find(
        "table", id="owner-counts"
    )
    assert not table.find("tr", data_owner="jur").find_all("a")
    assert [
        a.attrs["href"] for a in table.find("tr", data_owner="jur2").find_all("a")
    ] == [
        "/ui/mine",
        "/ui/mine",
    ]
    assert table.find("tr", data_owner="").find("th").text == "unassigned"


def test_intake_sees_no_owners(pages: Pages, office: dict[str, str]) -> None:
    page = parse(pages.as_user("ind").get("/ui/").text)
    assert not page.find_all("table", id="owner-counts")


def test_the_overdue_list_has_an_owner_column(
    pages: Pages, office: dict[str, str]
) -> None:
    for lang, none, heading in (
        ("da", "ufordelt", "Sagsbehandler"),
        ("en", "unassigned", "Owner"),
    ):
        page = parse(pages.as_user("rev").get(f"/ui/?lang={lang}").text)
        table = page.find("table", id="overdue")
        assert heading in [th.text for th in table.find("thead").find_all("th")]
        owners = {
            row.attrs["data-case"]: row.find("td", class_="owner").text
            for row in table.find("tbody").find_all("tr")
        }
        assert owners == {
            EARLY: "jur",
            office["founding"]: "jur",
            OTHERS: "jur2",
            NOBODYS: none,
        }


def test_the_stale_list_has_an_owner_column(
    pages: Pages, office: dict[str, str], clock: FakeClock
) -> None:
    clock.advance(timedelta(weeks=3))  # the decided request waits 15 working days
    page = parse(pages.as_user("bra").get("/ui/").text)
    (row,) = page.find("table", id="stale").find("tbody").find_all("tr")
    assert row.attrs["data-case"] == office["decided"]
    assert row.find("td", class_="owner").text == "jur"
