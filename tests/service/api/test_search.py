"""`GET /cases?q=TEXT`: a search instead of the listing.

The cases found, best first, each with its record and `match`; each one's
read logged under the token's user (`case_search`), the text in no log line.
Bad text and filters beside it are a 400 problem that does not quote the
text, and change nothing.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from engine.cases.engine import CaseEngine
from engine.logs import configure_logging
from engine.records import Party
from tests.service.api.conftest import Api, assert_problem
from tests.service.conftest import snapshot

CITIZEN = "Søren Ågård Bæk"


@pytest.fixture
def office(api_engine: CaseEngine) -> list[str]:
    def opened(title: str, *parties: Party) -> str:
        view = api_engine.open_case(
            "ombudsman-inquiry", actor="jur", title=title, parties=list(parties)
        )
        return view.case.number

    return [
        opened(
            "Klage over hjemmehjælp",
            Party(role="citizen", name=CITIZEN),
            Party(role="authority", name="Socialforvaltningen"),
        ),
        opened("Aktindsigt i en byggesag", Party(role="citizen", name="Jens Hansen")),
        opened("Klage over parkering", Party(role="authority", name="Teknik")),
    ]


@pytest.fixture
def rendered() -> Iterator[io.StringIO]:
    """Every log line rendered as JSON into memory, at DEBUG (as
    tests/service/api/test_logging.py reads them); the root logger restored."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(json=True, level="DEBUG", stream=stream)
    structlog.configure(cache_logger_on_first_use=False)
    yield stream
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def matches(found: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(c["number"], c["match"]["field"], c["match"]["value"]) for c in found]


def test_the_cases_found_come_with_their_record_and_what_matched(
    api: Api, office: list[str]
) -> None:
    found = api.ok("GET", "/cases?q=bæk", "rev")
    assert matches(found) == [(office[0], "party", CITIZEN)]
    assert [e["event"] for e in found[0]["history"]] == ["open"]
    assert found[0]["parties"][0]["name"] == CITIZEN
    assert matches(api.ok("GET", "/cases?q=klage", "rev")) == [
        (office[2], "title", "Klage over parkering"),
        (office[0], "title", "Klage over hjemmehjælp"),
    ]
    assert matches(api.ok("GET", f"/cases?q={office[1]}", "rev")) == [
        (office[1], "number", office[1])
    ]
    assert api.ok("GET", "/cases?q=klage&limit=1", "rev")[0]["number"] == office[2]
    assert api.ok("GET", "/cases?q=Mortensen", "rev") == []
    assert "match" not in api.ok("GET", "/cases", "rev")[0]  # a listing has none


def test_each_case_found_is_logged_as_read_and_the_text_in_no_log_line(
    api: Api,
    api_engine: CaseEngine,
    office: list[str],
    rendered: io.StringIO,
) -> None:
    assert len(api.ok("GET", "/cases?q=Søren%20Ågård", "jur")) == 1
    reads = list(api_engine.reads(actor="jur"))
    assert [(r.action, r.case_number) for r in reads] == [("case_search", office[0])]
    lines = rendered.getvalue()
    assert '"path": "/cases"' in lines or '"path":"/cases"' in lines
    assert "Søren" not in lines
    assert "\\u00f8ren" not in lines.lower()  # nor escaped


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        pytest.param(
            "q=" + "S%C3%B8ren" * 2000,
            "at most 200 characters; this one has 10,000",
            id="ten-thousand-characters",
        ),
        *(
            pytest.param(f"q={encoded}", "holds no letter or digit", id=name)
            for name, encoded in (
                ("quote", "%22"),
                ("star", "*"),
                ("colon", ":"),
                ("ampersand", "%26"),
                ("bar", "%7C"),
                ("bang", "!"),
                ("all", "%22*:%26%7C!"),
                ("empty", ""),
            )
        ),
        pytest.param(
            "q=s%C3%B8ren&state=opened",
            "not narrowed by other filters: leave out state",
            id="with-a-state",
        ),
        pytest.param(
            "q=s%C3%B8ren&offset=50&unassigned=true",
            "leave out offset, unassigned",
            id="with-offset-and-unassigned",
        ),
    ],
)
def test_bad_text_and_filters_beside_it_are_a_400_that_changes_nothing(
    api: Api,
    api_engine: CaseEngine,
    office: list[str],
    db_path: Path,
    query: str,
    fragment: str,
) -> None:
    before = snapshot(db_path)
    response = api.call("GET", f"/cases?{query}", "rev")
    problem = assert_problem(response, 400, "bad-request")
    assert fragment in problem["detail"]
    assert "Søren" not in response.text
    assert "øren" not in json.dumps(problem, ensure_ascii=True).lower()
    assert list(api_engine.reads()) == []
    assert snapshot(db_path) == before


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("%22s%C3%B8ren", True),
        ("s%C3%B8ren*", True),
        ("s%C3%B8ren%20%26%20b%C3%A6k", True),
        ("b%C3%A6k:*%20%7C%20!hansen", False),
        ("NEAR(s%C3%B8ren%20b%C3%A6k)", False),
    ],
)
def test_syntax_among_words_is_dropped_and_matches_no_more_than_the_words(
    api: Api, office: list[str], text: str, found: bool
) -> None:
    numbers = [c["number"] for c in api.ok("GET", f"/cases?q={text}", "rev")]
    assert numbers == ([office[0]] if found else [])


def test_the_openapi_document_describes_q(api: Api) -> None:
    document = api.ok("GET", "/openapi.json", "rev")
    parameters = document["paths"]["/cases"]["get"]["parameters"]
    (q,) = [p for p in parameters if p["name"] == "q"]
    assert "at most 200 characters" in q["description"]
    match = document["components"]["schemas"]["MatchOut"]
    assert set(match["properties"]) == {"field", "value"}
