"""`sagsflow case list --search TEXT`: find cases by number, title words, names.

Text output names what matched; `--json` gives the listing's cases with
their records and `match`. Each case found is logged as read by the acting
user, and the text nowhere. Bad text (too long, nothing but the full-text
engines' syntax) and filters beside a search are one error line, a non-zero
exit, and the database exactly as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.cli.test_errors import REFUSED, assert_one_error_line
from tests.service.conftest import Run, snapshot

AT = "2024-10-03T10:00:00+02:00"


def open_case(run: Run, title: str, *parties: str) -> str:
    party_options = [option for p in parties for option in ("--party", p)]
    code, out, err = run(
        "case", "open", "ombudsman-inquiry", "--actor", "jur", "--title", title,
        *party_options, "--at", AT, "--json",
    )  # fmt: skip
    assert code == 0, err
    return str(json.loads(out)["number"])


@pytest.fixture
def office(run: Run, initialised: Path) -> list[str]:
    return [
        open_case(
            run, "Klage over hjemmehjælp", "citizen=Søren Ågård Bæk",
            "authority=Socialforvaltningen",
        ),
        open_case(run, "Aktindsigt i en byggesag", "citizen=Jens Hansen"),
        open_case(run, "Politianmeldelse (egen drift)", "authority=Beskæftigelse"),
    ]  # fmt: skip


def test_the_text_output_names_what_matched(run: Run, office: list[str]) -> None:
    code, out, err = run("case", "list", "--search", "Ågård", "--actor", "rev")
    assert (code, err) == (0, "")
    header, _, row, *rest = out.splitlines()
    assert header.split() == ["number", "workflow", "state", "matched", "title"]
    assert rest == []
    assert row.startswith(office[0])
    assert "party: Søren Ågård Bæk" in row
    assert row.endswith("Klage over hjemmehjælp")

    code, out, _ = run("case", "list", "--search", "beskæftigelse", "--actor", "rev")
    assert "authority: Beskæftigelse" in out
    code, out, _ = run("case", "list", "--search", office[1], "--actor", "rev")
    assert out.splitlines()[2].split()[3] == "number"


def test_json_gives_the_cases_with_their_records_and_the_match(
    run: Run, office: list[str]
) -> None:
    code, out, err = run(
        "case", "list", "--search", "klage søren", "--json", "--actor", "rev"
    )
    assert (code, err) == (0, "")
    (case,) = json.loads(out)
    assert case["number"] == office[0]
    assert case["match"] == {"field": "party", "value": "Søren Ågård Bæk"}
    assert [e["event"] for e in case["history"]] == ["open"]
    assert case["parties"][0]["name"] == "Søren Ågård Bæk"


def test_the_best_first_and_at_most_the_limit(run: Run, office: list[str]) -> None:
    def found(*options: str) -> list[str]:
        result = run("case", "list", "--search", "2024-000000", *options, "--json")
        assert result.code == 0, result.err
        return [c["number"] for c in json.loads(result.out)]

    assert found() == office
    assert found("--limit", "2") == office[:2]


def test_nothing_found_says_so(run: Run, office: list[str]) -> None:
    code, out, err = run("case", "list", "--search", "Mortensen")
    assert (code, out, err) == (0, "no case found\n", "")
    code, out, err = run("case", "list", "--search", "Mortensen", "--json")
    assert (code, json.loads(out), err) == (0, [], "")


def test_each_case_found_is_logged_as_read_and_the_text_nowhere(
    run: Run, office: list[str], db_path: Path
) -> None:
    code, _, err = run("case", "list", "--search", "Søren", "--actor", "rev")
    assert code == 0, err
    code, out, _ = run("audit", "access", "--json", "--actor", "rev")
    reads = json.loads(out)
    assert [(r["action"], r["case"]) for r in reads] == [("case_search", office[0])]
    assert all("Søren" not in repr(row) for row in snapshot(db_path)["access_entry"])


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(
            ("--search", "Søren " * 2000),
            ("a search is at most 200 characters; this one has 12,000",),
            id="twelve-thousand-characters",
        ),
        pytest.param(
            ("--search", "x" * 10_000),
            ("at most 200 characters; this one has 10,000",),
            id="ten-thousand-characters",
        ),
        *(
            pytest.param(
                ("--search", syntax), ("holds no letter or digit",), id=f"only-{name}"
            )
            for name, syntax in (
                ("quote", '"'),
                ("star", "*"),
                ("colon", ":"),
                ("ampersand", "&"),
                ("bar", "|"),
                ("bang", "!"),
                ("all", '"*:&|!'),
                ("blank", "  "),
            )
        ),
        pytest.param(
            ("--search", "søren", "--state", "opened"),
            ("not narrowed by other filters: leave out --state",),
            id="with-a-state",
        ),
        pytest.param(
            ("--search", "søren", "--overdue", "--offset", "5"),
            ("leave out --overdue, --offset",),
            id="with-overdue-and-offset",
        ),
        pytest.param(
            ("--search", "søren", "--unassigned"),
            ("leave out --unassigned",),
            id="with-unassigned",
        ),
    ],
)
def test_bad_text_and_filters_beside_it_are_one_error_and_change_nothing(
    run: Run,
    office: list[str],
    db_path: Path,
    args: tuple[str, ...],
    fragments: tuple[str, ...],
) -> None:
    before = snapshot(db_path)
    for json_flag in ((), ("--json",)):
        result = run("case", "list", *args, *json_flag, "--actor", "rev")
        message = assert_one_error_line(result, REFUSED, *fragments)
        assert "Søren" not in message
        assert "xxx" not in message
    assert snapshot(db_path) == before


@pytest.mark.parametrize(
    "text",
    ['"søren', "søren*", "søren & bæk", 'NEAR("søren" bæk)', "søren:* | !bæk"],
)
def test_syntax_among_words_is_dropped_and_matches_no_more_than_the_words(
    run: Run, office: list[str], text: str
) -> None:
    code, out, err = run("case", "list", "--search", text, "--json")
    assert code == 0, err
    numbers = [c["number"] for c in json.loads(out)]
    assert numbers == ([] if "NEAR" in text else [office[0]])
