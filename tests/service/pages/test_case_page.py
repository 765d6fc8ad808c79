"""`/ui/cases/{number}`: summary, deadline and its reasoning, diagram, timeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from engine.cases.engine import CaseEngine
from engine.explain.case import explain
from engine.testing import chaser_for
from tests.service.pages.conftest import Pages
from tests.service.pages.html import Element, parse


@pytest.fixture
def chased(founding: str, api_engine: CaseEngine) -> str:
    """The founding case after the chaser's first reminder (25 Nov 2024)."""
    result = chaser_for(api_engine).sweep(force=True)
    assert [c.rung for c in result.chased] == ["reminder_1"]
    return founding


def _entries(page: Element) -> list[Element]:
    return page.find("section", id="timeline").find_all("li", class_="entry")


def test_the_summary_shows_the_case_as_the_api_does(
    pages: Pages, founding: str
) -> None:
    response = pages.as_user("rev").get(f"/ui/cases/{founding}")
    assert response.status_code == 200
    summary = parse(response.text).find("section", id="case-summary")
    workflow = summary.find(id="case-workflow")
    assert workflow.text == "Henvendelse til en forvaltning"  # in its label
    assert workflow.attrs["data-workflow"] == "ombudsman-inquiry"
    assert summary.find(id="case-workflow-version").text == "3"
    state = summary.find(id="case-state")
    assert (state.text, state.attrs["data-state"]) == (
        "Afventer svar",
        "awaiting_reply",
    )
    assert "2024-10-03 10:00" in summary.text  # opened, Copenhagen time
    party = summary.find("li", data_role="authority")
    assert "Københavns Kommune, Socialforvaltningen" in party.text
    assert "socialforvaltningen@example.org" in party.text


@pytest.mark.parametrize(
    ("query", "language", "words"),
    [
        ("", "da", ["Fristen er 2024-11-06: 20 arbejdsdage efter", "(Lørdag)"]),
        ("?lang=en", "en", ["Its deadline is 2024-11-06: 20 working days", "(Sat"]),
    ],
)
def test_the_deadline_section_gives_case_explain_s_reasoning_in_the_page_s_language(
    pages: Pages,
    founding: str,
    api_engine: CaseEngine,
    query: str,
    language: str,
    words: list[str],
) -> None:
    page = pages.as_user("jur").get(f"/ui/cases/{founding}{query}").text
    section = parse(page).find("section", id="deadline")
    assert "2024-11-06" in section.find(id="deadline-status").text
    rung = {"da": "1. rykker", "en": "First reminder"}[language]  # reminder_1
    assert rung in section.find(id="next-rung").text
    view = api_engine.show(founding)
    with api_engine.store.transaction(write=False) as tx:
        definition = api_engine.definition_for(
            tx, "ombudsman-inquiry", view.case.workflow_version
        )
    expected = explain(
        definition,
        view.case,
        view.history,
        api_engine.calendar,
        api_engine.clock.now(),
        language=language,
        labels=api_engine.registry.labels("ombudsman-inquiry"),
    )
    shown = [li.text for li in section.find("ol", id="explain").find_all("li")]
    assert shown == [" ".join(line.split()) for line in expected]
    assert all(any(w in line for line in shown) for w in words)
    assert "awaiting_reply" not in " ".join(shown)  # said in the workflow's labels


def test_the_diagram_is_the_case_s_workflow_with_its_state_marked(
    pages: Pages, founding: str
) -> None:
    section = parse(pages.as_user("bra").get(f"/ui/cases/{founding}").text).find(
        "section", id="diagram"
    )
    svg = section.find("svg")
    (current,) = svg.find_all(class_="current")
    assert current.attrs["data-state"] == "awaiting_reply"
    assert "Afventer svar" in section.find("figcaption").text
    assert svg.find("desc").text.startswith("Sagen er i tilstanden Afventer svar.")
    english = parse(pages.as_user("bra").get(f"/ui/cases/{founding}?lang=en").text)
    desc = english.find("section", id="diagram").find("svg").find("desc")
    assert desc.text.startswith("The case is in the state Awaiting reply.")


def test_the_timeline_holds_entries_documents_deadlines_and_reminders_in_order(
    pages: Pages, chased: str
) -> None:
    entries = _entries(parse(pages.as_user("rev").get(f"/ui/cases/{chased}").text))
    kinds = [e.attrs["data-kind"] for e in entries]
    assert set(kinds) == {"audit", "document", "deadline", "reminder"}
    assert kinds.count("audit") == 3
    assert kinds.count("reminder") == 1
    assert kinds.count("document") >= 2  # the note, the inquiry, the reminder letter
    instants = [_utc(e.find("time").attrs["datetime"]) for e in entries]
    assert instants == sorted(instants)
    reminder = next(e for e in entries if e.attrs["data-kind"] == "reminder")
    assert "1. rykker" in reminder.text  # reminder_1, in its label
    assert "Forvaltning, ansvarlig" in reminder.text  # whom it notified
    assert "system" in reminder.text
    assert "2024-11-06" in reminder.text  # the deadline it chased
    deadlines = [e for e in entries if e.attrs["data-kind"] == "deadline"]
    statuses = [d.find(class_="status").text for d in deadlines]
    # the intake and dispatch deadlines (met), the reply deadline (missed), the
    # new one (runs)
    assert statuses == ["overholdt", "overholdt", "overskredet", "løber"]


def test_back_dated_steps_show_both_times_and_are_marked(
    pages: Pages, chased: str
) -> None:
    entries = _entries(parse(pages.as_user("rev").get(f"/ui/cases/{chased}").text))
    opening = next(e for e in entries if e.attrs.get("data-seq") == "1")
    assert opening.find("time").text == "2024-10-03 10:00"  # effective
    recorded = opening.find("span", class_="recorded")
    assert recorded.find("span", class_="backdated-mark")
    assert "2024-11-25 10:00" in recorded.text  # imported on 25 Nov
    reminder = next(e for e in entries if e.attrs["data-kind"] == "reminder")
    assert not reminder.find_all("span", class_="recorded")  # recorded as it happened


def test_reading_the_page_is_logged_as_the_api_logs_a_case_read(
    pages: Pages, founding: str, api_engine: CaseEngine
) -> None:
    pages.as_user("rev").get(f"/ui/cases/{founding}")
    api = pages.anonymous()
    token = pages.tokens["jur"]
    api.get(f"/cases/{founding}", headers={"Authorization": f"Bearer {token}"})
    reads = [(r.actor, r.action, r.case_number) for r in api_engine.reads()]
    assert reads == [("rev", "case_show", founding), ("jur", "case_show", founding)]


def test_the_dossier_download_is_the_api_s_dossier(
    pages: Pages, founding: str, api_engine: CaseEngine
) -> None:
    page = parse(pages.as_user("rev").get(f"/ui/cases/{founding}").text)
    link = page.find("a", id="dossier")
    assert link.attrs["href"] == f"/ui/cases/{founding}/dossier"
    assert "download" in link.attrs
    response = pages.as_user("rev").get(link.attrs["href"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{founding}-dossier.json"'
    )
    token = pages.tokens["rev"]
    api = pages.anonymous().get(
        f"/audit/cases/{founding}/dossier",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert json.loads(response.content) == api.json()
    actions = [r.action for r in api_engine.reads(number=founding)]
    assert actions == ["case_show", "audit_export", "audit_export"]


def test_an_unknown_case_is_a_404_page(pages: Pages, founding: str) -> None:
    client = pages.as_user("rev")
    for path in ("/ui/cases/2024-9999999", "/ui/cases/2024-9999999/dossier"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        page = parse(response.text)
        assert page.find("h1", id="error").text == "Ikke fundet"
        assert "2024-9999999" in page.find(id="error-message").text


def test_the_case_box_goes_to_the_case_of_a_number(pages: Pages, founding: str) -> None:
    client = pages.as_user("jur")
    found = client.get(f"/ui/cases?q=+{founding}+")
    assert (found.status_code, found.headers["location"]) == (
        303,
        f"/ui/cases/{founding}",
    )
    assert client.get("/ui/cases?q=").status_code == 400
    assert client.get("/ui/cases").status_code == 400


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
