"""`/ui/`: counts, the overdue cases (longest overdue first), the chaser, the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI

from engine.cases.engine import CaseEngine
from engine.records import Notification, NotificationStatus
from service.pages.routes import dashboard
from tests.service.pages.conftest import Pages, closed_case, inquiry
from tests.service.pages.html import Element, parse


def _overdue(page: Element) -> list[Element]:
    return page.find("table", id="overdue").find("tbody").find_all("tr")


def test_the_founding_case_is_overdue_with_its_working_days_and_next_rung(
    pages: Pages, founding: str
) -> None:
    page = parse(pages.as_user("bra").get("/ui/").text)
    (row,) = _overdue(page)
    assert row.attrs["data-case"] == founding
    link = row.find("a")
    assert (link.attrs["href"], link.text) == (f"/ui/cases/{founding}", founding)
    # due Wednesday 6 Nov 2024; Monday 25 Nov is 13 working days later
    assert row.find("td", data_working_days="13").text == "13"
    assert row.find("time").attrs["datetime"] == "2024-11-06"
    cell = row.find("td", class_="rung")
    assert cell.find("span", class_="rung-name").attrs["data-rung"] == "reminder_1"
    rung = cell.text
    assert "1. rykker" in rung  # reminder_1, in its label
    assert "trin 1 af 3" in rung
    assert "2024-11-25" in rung


def test_the_longest_overdue_come_first_and_closed_cases_are_not_counted(
    pages: Pages, founding: str, api_engine: CaseEngine
) -> None:
    inquiry(api_engine, "2024-0000010", "2024-10-01")  # due 29 Oct
    inquiry(api_engine, "2024-0000011", "2024-10-21")  # due 18 Nov
    inquiry(api_engine, "2024-0000012", "2024-11-20")  # due 18 Dec: not overdue
    closed_case(api_engine)
    page = parse(pages.as_user("rev").get("/ui/").text)
    rows = _overdue(page)
    assert [r.attrs["data-case"] for r in rows] == [
        "2024-0000010",
        founding,
        "2024-0000011",
    ]
    late = [int(r.find("td", class_="late").attrs["data-working-days"]) for r in rows]
    assert late == sorted(late, reverse=True)
    counts = page.find("table", id="open-cases")
    waiting = counts.find("tr", data_state="awaiting_reply").find_all("td")
    assert [c.text for c in waiting] == [
        "Henvendelse til en forvaltning",  # ombudsman-inquiry, in its label
        "Afventer svar",  # awaiting_reply, in its label
        "4",
        "3",
    ]
    assert not counts.find_all("tr", data_state="closed")
    assert (
        page.find(id="overdue-summary").text
        == "Viser 1\u20133 af 3 sager over fristen."
    )


def test_the_overdue_list_is_paged_with_a_note_of_how_many_more(
    pages: Pages, founding: str, api_engine: CaseEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "PER_PAGE", 2)
    inquiry(api_engine, "2024-0000010", "2024-10-01")
    inquiry(api_engine, "2024-0000011", "2024-10-21")
    client = pages.as_user("bra")
    first = parse(client.get("/ui/").text)
    assert [r.attrs["data-case"] for r in _overdue(first)] == [
        "2024-0000010",
        founding,
    ]
    assert "1 flere" in first.find(id="overdue-more").text
    assert not first.find_all("a", rel="prev")
    following = first.find("a", rel="next").attrs["href"]
    assert following == "?page=2"
    second = parse(client.get("/ui/" + following).text)
    assert [r.attrs["data-case"] for r in _overdue(second)] == ["2024-0000011"]
    assert second.find("a", rel="prev").attrs["href"] == "?page=1"
    assert not second.find_all("a", rel="next")
    assert not second.find_all(id="overdue-more")
    beyond = client.get("/ui/?page=9")
    assert beyond.status_code == 200
    assert _overdue(parse(beyond.text))[0].text  # "no case" row, no crash


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5", "9" * 50, "100001"])
def test_a_bad_page_number_is_a_400_page(pages: Pages, value: str) -> None:
    response = pages.as_user("bra").get(f"/ui/?page={value}")
    assert response.status_code == 400
    assert parse(response.text).find("h1", id="error").attrs["data-status"] == "400"


def test_the_chaser_says_no_pass_was_recorded_until_one_is(
    pages: Pages, founding: str, app: FastAPI
) -> None:
    client = pages.as_user("bra")
    chaser = parse(client.get("/ui/").text).find("section", id="chaser")
    assert "Ingen kørsel registreret" in chaser.find(id="chaser-last-pass").text
    assert "kører ikke her" in chaser.find(id="chaser-timer").text
    assert chaser.find(id="chaser-oldest").text == "frist 2024-11-06; venter 19 dage"
    app.state.sagsflow.metrics.observe_sweep(0.25)
    chaser = parse(client.get("/ui/").text).find("section", id="chaser")
    last = chaser.find(id="chaser-last-pass")
    assert last.find("time").text == "2024-11-25 10:00"
    assert "0.25 s" in last.text


def test_failed_notifications_are_listed_with_their_case(
    pages: Pages, founding: str, api_engine: CaseEngine
) -> None:
    client = pages.as_user("jur")
    assert parse(client.get("/ui/").text).find(id="outbox-none")
    now = api_engine.clock.now()
    case = api_engine.show_case(founding)
    assert case.id is not None
    with api_engine.store.transaction() as tx:
        tx.add_notification(
            Notification(
                idempotency_key="test-failed-1",
                case_id=case.id,
                case_number=founding,
                channel="email",
                recipient="socialforvaltningen@example.org",
                kind="reminder",
                subject="Rykker: svar mangler",
                body="...",
                status=NotificationStatus.FAILED,
                attempts=5,
                available_at=now - timedelta(days=1),
                created_at=now - timedelta(days=2),
                last_error="550 mailbox unavailable",
            )
        )
    section = parse(client.get("/ui/").text).find("section", id="outbox-failures")
    row = section.find("tr", data_notification="1")
    assert row.find("a").attrs["href"] == f"/ui/cases/{founding}"
    assert "550 mailbox unavailable" in row.text
    assert "Rykker: svar mangler" in row.text
