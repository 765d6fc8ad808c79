"""The dashboard's case box: a search of every case (`/ui/cases?q=`).

Exactly one case's number goes to the case; anything else lists what it
finds, best first, with what matched, in Danish or English, or says plainly
that nothing was found. Each case listed is logged as read under the viewer.
Bad text is one 400 page that does not repeat it.
"""

from __future__ import annotations

import pytest

from engine.cases.engine import CaseEngine
from engine.records import Party
from engine.search import MAX_LENGTH
from service.pages.routes.search import RESULTS
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse

CITIZEN = "Søren Ågård Bæk"


@pytest.fixture
def office(api_engine: CaseEngine, founding: str) -> list[str]:
    def opened(title: str, *parties: Party) -> str:
        view = api_engine.open_case(
            "ombudsman-inquiry", actor="jur", title=title, parties=list(parties)
        )
        return view.case.number

    return [
        founding,
        opened(
            "Klage over hjemmehjælp",
            Party(role="citizen", name=CITIZEN),
            Party(role="authority", name="Sundhed og Omsorg"),
        ),
        opened("Aktindsigt i en byggesag", Party(role="citizen", name="Jens Hansen")),
    ]


def test_a_name_lists_the_cases_it_finds_with_what_matched(
    pages: Pages, office: list[str]
) -> None:
    response = pages.as_user("jur").get("/ui/cases?q=%C3%85g%C3%A5rd")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.find("h1").text == "Find en sag"
    (row,) = page.find("table", id="found").find("tbody").find_all("tr")
    assert row.attrs["data-case"] == office[1]
    assert row.attrs["data-field"] == "party"
    assert row.find("a").attrs["href"] == f"/ui/cases/{office[1]}"
    assert row.find("td", class_="matched").text == f"Part: {CITIZEN}"
    assert row.find("td", class_="owner").attrs["data-owner"] == "jur"
    assert page.find(id="search-summary").text == (
        "1 sag fundet, det bedste match først."
    )
    box = page.find("input", id="case-search-text")
    assert (box.attrs["name"], box.attrs["value"]) == ("q", "Ågård")


def test_in_english_and_by_title_and_authority(pages: Pages, office: list[str]) -> None:
    client = pages.as_user("rev")
    page = parse(client.get("/ui/cases?q=omsorg&lang=en").text)
    row = page.find("tr", data_case=office[1])
    assert row.find("td", class_="matched").text == "Authority: Sundhed og Omsorg"
    page = parse(client.get("/ui/cases?q=aktindsigt&lang=en").text)
    assert page.find("tr", data_case=office[2]).attrs["data-field"] == "title"
    assert page.find(id="search-summary").text == "1 case found, the best match first."


def test_a_number_s_beginning_lists_the_cases_it_begins(
    pages: Pages, office: list[str]
) -> None:
    page = parse(pages.as_user("jur").get("/ui/cases?q=2024-0").text)
    rows = page.find("table", id="found").find("tbody").find_all("tr")
    assert [r.attrs["data-case"] for r in rows] == sorted(office)
    assert {r.attrs["data-field"] for r in rows} == {"number"}


def test_nothing_found_says_so_plainly(pages: Pages, office: list[str]) -> None:
    client = pages.as_user("jur")
    for text in ("Mortensen", "2024-0000404"):
        response = client.get(f"/ui/cases?q={text}")
        assert response.status_code == 200
        page = parse(response.text)
        assert page.find(id="search-none").text == "Ingen sag passer til søgningen."
        assert not page.find_all("table", id="found")
    english = parse(client.get("/ui/cases?q=Mortensen&lang=en").text)
    assert english.find(id="search-none").text == "No case matches the search."


def test_each_case_listed_is_logged_as_read_a_number_s_case_by_its_page(
    pages: Pages, api_engine: CaseEngine, office: list[str]
) -> None:
    client = pages.as_user("jur")
    client.get("/ui/cases?q=hansen")
    reads = [(r.action, r.case_number) for r in api_engine.reads(actor="jur")]
    assert reads == [("case_search", office[2])]
    client.get(f"/ui/cases?q={office[1]}")  # a redirect: nothing shown yet
    assert len(list(api_engine.reads(actor="jur"))) == 1


def test_more_than_a_page_of_cases_asks_for_another_word(
    pages: Pages, api_engine: CaseEngine
) -> None:
    for _ in range(RESULTS + 1):
        api_engine.open_case("ombudsman-inquiry", actor="jur", title="Klage")
    page = parse(pages.as_user("jur").get("/ui/cases?q=klage").text)
    assert len(page.find("table", id="found").find("tbody").find_all("tr")) == RESULTS
    assert page.find(id="search-more").text == (
        f"Kun de {RESULTS} bedste match vises: tilføj et ord for at indsnævre "
        "søgningen."
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            "q=" + "S%C3%B8ren" * 2000,
            f"Søgningen er for lang (højst {MAX_LENGTH} tegn).",
            id="ten-thousand-characters",
        ),
        *(
            pytest.param(
                f"q={encoded}",
                "Søgningen indeholder hverken bogstaver eller tal at søge efter: "
                "skriv et sagsnummer, et ord fra en titel eller et navn.",
                id=name,
            )
            for name, encoded in (
                ("quote", "%22"),
                ("star", "*"),
                ("colon", ":"),
                ("ampersand", "%26"),
                ("bar", "%7C"),
                ("bang", "!"),
                ("all", "%22*:%26%7C!"),
            )
        ),
        pytest.param(
            "q=+", "Skriv et sagsnummer, et ord fra en titel eller et navn.", id="blank"
        ),
        pytest.param("q=hansen&number=1", "Ukendt parameter: number.", id="unknown"),
    ],
)
def test_bad_text_is_one_400_page_that_does_not_repeat_it(
    pages: Pages, api_engine: CaseEngine, office: list[str], query: str, message: str
) -> None:
    response = pages.as_user("jur").get(f"/ui/cases?{query}")
    assert response.status_code == 400
    page = parse(response.text)
    assert page.find(id="error-message").text == message
    assert "Søren" not in response.text
    assert list(api_engine.reads()) == []


def test_the_dashboard_s_box_searches_and_takes_what_a_search_takes(
    pages: Pages, office: list[str]
) -> None:
    page = parse(pages.as_user("jur").get("/ui/").text)
    form = page.find("form", class_="case-search")
    assert (form.attrs["action"], form.attrs["method"]) == ("/ui/cases", "get")
    box = form.find("input", id="case-search-text")
    assert (box.attrs["name"], box.attrs["maxlength"]) == ("q", str(MAX_LENGTH))
    assert box.attrs["value"] == ""
