"""`CaseEngine.search`: what matched, who read what, and text that is refused.

Run on every store (memory, SQLite, PostgreSQL). The text is cleaned by
`engine.search` before any store sees it: the full-text engines' own syntax
is dropped, never run; text that is too long, or leaves no word, is refused
with one message that does not quote it, and nothing is read or logged.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.cases.engine import CaseEngine
from engine.cases.search import CaseMatch
from engine.dates.timeparse import parse_instant
from engine.exceptions import InvalidInputError
from engine.records import Party
from engine.search import MAX_LENGTH, search_alone
from engine.testing import FakeClock

INQUIRY = "ombudsman-inquiry"
CITIZEN = "Søren Ågård Bæk"
AUTHORITY = "Københavns Kommune, Socialforvaltningen"


def at(moment: str) -> datetime:
    return parse_instant(moment)


def open_case(engine: CaseEngine, title: str, citizen: str | None = None) -> str:
    parties = [Party(role="authority", name=AUTHORITY)]
    if citizen is not None:
        parties.insert(0, Party(role="citizen", name=citizen))
    view = engine.open_case(INQUIRY, actor="jur", title=title, parties=parties)
    return view.case.number


@pytest.fixture
def numbers(engine: CaseEngine) -> list[str]:
    return [
        open_case(engine, "Klage over hjemmehjælp", CITIZEN),
        open_case(engine, "Aktindsigt i en byggesag", "Jens Hansen"),
        open_case(engine, "Politianmeldelse af en borger"),
    ]


def shown(matches: list[CaseMatch]) -> list[tuple[str, str, str]]:
    return [(m.case.number, m.field, m.value) for m in matches]


def test_each_case_found_says_what_of_it_matched(
    engine: CaseEngine, numbers: list[str]
) -> None:
    first, second, third = numbers
    assert shown(engine.search("bæk", limit=10)) == [(first, "party", CITIZEN)]
    assert shown(engine.search("hjemmehjælp", limit=10)) == [
        (first, "title", "Klage over hjemmehjælp")
    ]
    assert shown(engine.search("byggesag hansen", limit=10)) == [
        (second, "party", "Jens Hansen")
    ]
    assert shown(engine.search(third, limit=10)) == [(third, "number", third)]
    assert shown(engine.search("socialforvaltningen", limit=10)) == [
        (third, "authority", AUTHORITY),
        (second, "authority", AUTHORITY),
        (first, "authority", AUTHORITY),
    ]


def test_each_case_a_search_shows_is_logged_as_read_and_its_text_nowhere(
    engine: CaseEngine, numbers: list[str]
) -> None:
    found = engine.search("Søren", limit=10, reader="rev")
    assert [m.case.number for m in found] == [numbers[0]]
    reads = list(engine.reads(actor="rev"))
    assert [(r.action, r.case_number) for r in reads] == [("case_search", numbers[0])]
    assert engine.search("hansen", limit=10) != []  # without a reader: no log
    assert len(list(engine.reads())) == 1


def test_a_search_with_its_records_reads_them_in_one_go(
    engine: CaseEngine, numbers: list[str]
) -> None:
    (match, view), *rest = engine.search_views("Ågård", limit=10, reader="jur")
    assert rest == []
    assert (match.field, view.case.number) == ("party", numbers[0])
    assert [e.event for e in view.history] == ["open"]
    assert [r.action for r in engine.reads(number=numbers[0])] == ["case_search"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('"', id="quote"),
        pytest.param("*", id="star"),
        pytest.param(":", id="colon"),
        pytest.param("&", id="and"),
        pytest.param("|", id="or"),
        pytest.param("!", id="not"),
        pytest.param('"*:&|!()^-+', id="all-of-them"),
        pytest.param("   ", id="blank"),
        pytest.param("", id="empty"),
    ],
)
def test_text_with_no_word_is_refused_and_nothing_is_read(
    engine: CaseEngine, numbers: list[str], text: str
) -> None:
    with pytest.raises(InvalidInputError, match="holds no letter or digit"):
        engine.search(text, limit=10, reader="rev")
    assert list(engine.reads()) == []


def test_ten_thousand_characters_are_refused_without_quoting_them(
    engine: CaseEngine, numbers: list[str]
) -> None:
    text = "Søren " * 1667  # 10,002 characters of a name
    with pytest.raises(InvalidInputError) as refused:
        engine.search(text[:10_000], limit=10, reader="rev")
    message = str(refused.value)
    assert message == (
        f"a search is at most {MAX_LENGTH} characters; this one has 10,000"
    )
    assert "Søren" not in message
    assert list(engine.reads()) == []


@pytest.mark.parametrize(
    ("text", "finds"),
    [
        pytest.param('"søren', True, id="an-open-quote"),
        pytest.param('søren"*', True, id="a-closing-quote-and-star"),
        pytest.param("søren*", True, id="a-star"),
        pytest.param("søren & bæk", True, id="and"),
        pytest.param("søren:* & bæk:*", True, id="tsquery-prefixes"),
        pytest.param("(søren) ^bæk -ågård +søren", True, id="brackets-and-signs"),
        pytest.param("title:søren", False, id="a-column-filter-is-a-word"),
        pytest.param("søren | hansen", False, id="or-is-not-or"),
        pytest.param("!hansen søren", False, id="not-is-not-not"),
        pytest.param("NEAR(søren bæk)", False, id="near-is-a-word"),
        pytest.param("søren'); DROP TABLE wf_case; --", False, id="sql"),
    ],
)
def test_the_engines_syntax_among_words_is_dropped_never_run(
    engine: CaseEngine, numbers: list[str], text: str, finds: bool
) -> None:
    """Only the words count, and every word must be found: the name's words
    find its case alone; with other words besides (`title`, `hansen`,
    `near`, `drop`), nothing; never an error, never every case."""
    found = [m.case.number for m in engine.search(text, limit=10)]
    assert found == ([numbers[0]] if finds else [])
    assert len(engine.search("klage", limit=10)) == 1  # the table is still there


def test_near_and_or_are_words_like_any_other(
    engine: CaseEngine, numbers: list[str]
) -> None:
    near = open_case(engine, "Nearby byggeri", "Or Andersen")
    assert [m.case.number for m in engine.search("NEAR", limit=10)] == [near]
    assert [m.case.number for m in engine.search("or", limit=10)] == [near]
    assert [m.case.number for m in engine.search("NOT", limit=10)] == []


def test_an_erased_name_is_not_found_but_the_case_still_is_by_title(
    engine: CaseEngine, numbers: list[str], clock: FakeClock
) -> None:
    number = numbers[0]
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    engine.fire(number, "receive_reply", actor="jur")
    engine.fire(number, "close", actor="bra", data={"outcome": "no_further_action"})
    assert [m.case.number for m in engine.search("søren bæk", limit=10)] == [number]

    engine.erase_case(number, actor="bra", reason="Anmodning efter GDPR art. 17")

    for name in ("søren", "Ågård", "bæk", "erased"):
        assert engine.search(name, limit=10) == []
    assert shown(engine.search("hjemmehjælp", limit=10)) == [
        (number, "title", "Klage over hjemmehjælp")
    ]
    assert [m.case.number for m in engine.search(number, limit=10)] == [number]


def test_a_name_typed_with_combining_marks_is_the_name_written_whole(
    engine: CaseEngine, numbers: list[str]
) -> None:
    decomposed = "A\u030ag\u00e5rd"  # Å as A and a combining ring, as some keyboards
    assert [m.case.number for m in engine.search(decomposed, limit=10)] == [numbers[0]]


def test_filters_beside_a_search_are_refused_by_name() -> None:
    search_alone({"--state": None, "--overdue": False, "--offset": 0})
    with pytest.raises(InvalidInputError) as refused:
        search_alone({"--state": "opened", "--overdue": True, "--offset": 0})
    assert str(refused.value) == (
        "a search looks through every case and is not narrowed by other "
        "filters: leave out --state, --overdue"
    )
