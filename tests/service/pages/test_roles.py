"""The pages honour the API's role groups; a refusal shows no case data."""

from __future__ import annotations

import pytest

from engine.cases.engine import CaseEngine
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse

CASE = "2024-0283489"

RECORD_PAGES = [
    ("GET", f"/ui/cases/{CASE}"),
    ("GET", f"/ui/cases/{CASE}/dossier"),
    ("GET", f"/ui/cases?q={CASE}"),
    ("GET", "/ui/cases?q=Socialforvaltningen"),
    ("GET", "/ui/audit"),
    ("GET", f"/ui/audit?case={CASE}"),
    ("GET", f"/ui/audit.csv?case={CASE}"),
]
OVERSEER_PAGES = [("GET", "/ui/audit/verify"), ("POST", "/ui/audit/verify")]


@pytest.mark.parametrize(("method", "path"), RECORD_PAGES + OVERSEER_PAGES)
def test_intake_is_refused_with_a_page_that_names_the_roles_and_no_case(
    pages: Pages, founding: str, api_engine: CaseEngine, method: str, path: str
) -> None:
    response = pages.as_user("ind").request(method, path)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.find("h1", id="forbidden").text == "Adgang nægtet"
    needed = page.find(id="needed-roles").text
    assert "advisor" in needed
    assert "auditor" in needed
    assert founding not in response.text
    assert "Politianmeldelse" not in response.text
    assert list(api_engine.reads(number=founding)) == []  # nothing was read


@pytest.mark.parametrize(("method", "path"), OVERSEER_PAGES)
def test_a_caseworker_reads_the_record_but_does_not_verify_it(
    pages: Pages, founding: str, method: str, path: str
) -> None:
    client = pages.as_user("jur")
    assert client.get(f"/ui/cases/{founding}").status_code == 200
    response = client.request(method, path)
    assert response.status_code == 403
    assert "caseworker" in parse(response.text).find("p", role="alert").text


def test_the_forbidden_page_in_english(pages: Pages, founding: str) -> None:
    response = pages.as_user("ind").get(f"/ui/cases/{founding}?lang=en")
    assert response.status_code == 403
    page = parse(response.text)
    assert page.find("h1", id="forbidden").text == "Access denied"
    assert page.find("html").attrs["lang"] == "en"
    assert page.find("a", id="lang-switch").attrs["href"] == "?lang=da"


def test_intake_sees_the_counts_only(pages: Pages, founding: str) -> None:
    response = pages.as_user("ind").get("/ui/")
    assert response.status_code == 200
    page = parse(response.text)
    counts = page.find("table", id="open-cases")
    assert counts.find("tr", data_state="awaiting_reply")
    for hidden in ("overdue", "chaser", "outbox-failures", "case-search-text"):
        assert not page.find_all(id=hidden)
    assert page.find("section", id="restricted")
    assert founding not in response.text
    assert not page.find_all("a", href="/ui/audit")  # no menu item it cannot use


@pytest.mark.parametrize(
    ("user", "audit", "verify"),
    [("jur", True, False), ("bra", True, True), ("rev", True, True)],
)
def test_the_menu_shows_what_the_role_may_open(
    pages: Pages, user: str, audit: bool, verify: bool
) -> None:
    page = parse(pages.as_user(user).get("/ui/").text)
    nav = page.find("nav", class_="site-nav")
    assert bool(nav.find_all("a", href="/ui/audit")) is audit
    assert bool(nav.find_all("a", href="/ui/audit/verify")) is verify
    assert page.find("strong", id="user").text == user
