"""The case page says the workflow's identifiers in the page's language.

The founding case (awaiting its reply) in Danish, the default, and in English
(`?lang=en`): its state, data fields, events and the states it moved between
in the workflow's labels; the identifiers kept in `data-*` for tools.
"""

from __future__ import annotations

import pytest

from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse


@pytest.mark.parametrize(
    ("query", "state", "field", "events", "move"),
    [
        (
            "",
            "Afventer svar",
            "Egen drift",
            ["Opret sag", "Send henvendelse", "Markér som afsendt"],
            "Henvendelse klar til afsendelse → Afventer svar",
        ),
        (
            "?lang=en",
            "Awaiting reply",
            "Own initiative",
            ["Open case", "Send inquiry", "Mark as dispatched"],
            "Inquiry ready to send → Awaiting reply",
        ),
    ],
    ids=["da", "en"],
)
def test_the_case_page_says_the_labels_in_its_language(
    pages: Pages,
    founding: str,
    query: str,
    state: str,
    field: str,
    events: list[str],
    move: str,
) -> None:
    page = parse(pages.as_user("rev").get(f"/ui/cases/{founding}{query}").text)
    summary = page.find("section", id="case-summary")
    assert summary.find(id="case-state").text == state
    key = summary.find("dt", data_key="own_initiative")
    assert key.text == field
    timeline = page.find("section", id="timeline")
    said = [e.text for e in timeline.find_all("strong", class_="event")]
    assert said[:3] == events
    assert [e.attrs["data-event"] for e in timeline.find_all("strong", class_="event")][
        :3
    ] == ["open", "send_inquiry", "mark_dispatched"]
    moves = [" ".join(m.text.split()) for m in timeline.find_all("span", class_="move")]
    assert move in moves
    for identifier in ("awaiting_reply", "send_inquiry", "own_initiative"):
        assert identifier not in summary.text + timeline.text
