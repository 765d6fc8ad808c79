"""The case page's timeline says, small, how each step came in (`via`)."""

from __future__ import annotations

from engine import via
from engine.cases.engine import CaseEngine
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse


def test_each_step_of_the_timeline_says_how_it_came_in(
    pages: Pages, founding: str, api_engine: CaseEngine
) -> None:
    with via.entering(via.cli("jdoe")):
        api_engine.fire(founding, "note", actor="jur", document="Telefonnotat")

    page = parse(pages.as_user("rev").get(f"/ui/cases/{founding}?lang=en").text)
    steps = {
        e.attrs["data-seq"]: e
        for e in page.find("section", id="timeline").find_all("li", class_="entry")
        if e.attrs["data-kind"] == "audit"
    }

    noted = steps[str(api_engine.show(founding).case.version)]
    assert noted.find("span", class_="via").text == "via cli:jdoe"
    imported = steps["1"]  # imported by a library call: no way in
    assert imported.find("span", class_="via").text == "via engine"
