"""`case open --owner`, `case assign`, the work queues of `case list`, `user away`.

Every refusal is one line on stderr, a non-zero exit, and the database exactly
as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.cli.test_errors import REFUSED, USAGE, assert_one_error_line
from tests.service.conftest import Result, Run, snapshot


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These read the command line's English words (SAGSFLOW_LANGUAGE=en); the
    Danish default is tests/service/cli/test_labels.py's."""
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")


def opened(run: Run, actor: str, *argv: str) -> str:
    code, out, err = run(
        "case", "open", "ombudsman-inquiry", "--actor", actor, "--title", "Klage",
        *argv, "--json",
    )  # fmt: skip
    assert code == 0, err
    return str(json.loads(out)["number"])


@pytest.fixture
def office(run: Run, initialised: Path) -> dict[str, str]:
    """A second caseworker, and a case each: jur's, mab's and an unassigned one."""
    assert run("user", "add", "mab", "--role", "caseworker", "--actor", "bra").code == 0
    return {
        "jur": opened(run, "jur"),
        "mab": opened(run, "bra", "--owner", "mab"),
        "none": opened(run, "bra"),
    }


def listed(run: Run, *argv: str) -> list[str]:
    code, out, err = run("case", "list", *argv, "--actor", "bra", "--json")
    assert code == 0, err
    return [c["number"] for c in json.loads(out)]


def test_the_case_shows_its_owner(run: Run, office: dict[str, str]) -> None:
    code, out, _ = run("case", "show", office["jur"], "--json")
    assert code == 0
    assert json.loads(out)["owner"] == "jur"
    code, out, _ = run("case", "show", office["none"])
    assert "  owner      unassigned" in out.splitlines()


def test_assign_hands_the_case_over_on_the_record(
    run: Run, office: dict[str, str]
) -> None:
    code, out, err = run(
        "case", "assign", office["jur"], "mab", "--actor", "jur",
        "--reason", "Ferie", "--json",
    )  # fmt: skip
    assert code == 0, err
    case = json.loads(out)
    assert case["owner"] == "mab"
    assert case["history"][-1]["event"] == "assign"
    assert case["history"][-1]["data"] == {
        "owner": "mab",
        "previous": "jur",
        "reason": "Ferie",
    }
    code, out, _ = run("case", "show", office["jur"])
    assert "assign jur → mab" in out
    assert run("audit", "verify").code == 0


def test_the_queues_list_exactly_their_cases(run: Run, office: dict[str, str]) -> None:
    """Open cases only: a closed case keeps its owner but leaves the queue."""
    for actor in ("jur", "bra"):
        closed = opened(run, actor)
        assert (
            run(
                "case", "fire", closed, "reject", "--actor", "bra",
                "--data", "reason=Afvist",
            ).code
            == 0
        )  # fmt: skip
    assert listed(run, "--owner", "jur") == [office["jur"]]
    assert listed(run, "--owner", "mab") == [office["mab"]]
    assert listed(run, "--unassigned") == [office["none"]]
    code, out, err = run("case", "list", "--mine", "--actor", "mab", "--json")
    assert code == 0, err
    assert [c["number"] for c in json.loads(out)] == [office["mab"]]
    code, out, _ = run("case", "list", "--owner", "mab")
    assert [line.split()[0] for line in out.splitlines()[2:]] == [office["mab"]]
    assert "owner" in out.splitlines()[0]


@pytest.mark.parametrize(
    ("argv", "code", "fragments"),
    [
        (("case", "assign", "{jur}", "rev", "--actor", "bra"), REFUSED,
         ("'rev' cannot own a case",)),
        (("case", "assign", "{jur}", "ind", "--actor", "bra"), REFUSED,
         ("'ind' cannot own a case",)),
        (("case", "assign", "{jur}", "nobody", "--actor", "bra"), REFUSED,
         ("no user 'nobody'",)),
        (("case", "assign", "{mab}", "jur", "--actor", "jur"), REFUSED,
         ("a caseworker may take an unassigned case or hand over their own",)),
        (("case", "assign", "{jur}", "mab", "--actor", "rev"), REFUSED,
         ("rev",)),
        (("case", "assign", "{jur}", "jur", "--actor", "bra"), REFUSED,
         ("is jur's already",)),
        (("case", "assign", "{jur}", "mab", "--actor", "system"), REFUSED,
         ("'system' is the scheduler's own actor",)),
        (("case", "assign", "2024-9999999", "mab", "--actor", "bra"), REFUSED,
         ("no case '2024-9999999'",)),
        (("case", "assign", "{jur}", "mab", "--actor", "bra", "--at", "gisteren"),
         REFUSED, ("gisteren",)),
        (("case", "open", "ombudsman-inquiry", "--actor", "bra", "--title", "K",
          "--owner", "jur", "--unassigned"), REFUSED, ("not both",)),
        (("case", "open", "ombudsman-inquiry", "--actor", "bra", "--title", "K",
          "--owner", "rev"), REFUSED, ("'rev' cannot own a case",)),
        (("case", "list", "--owner", "jur", "--unassigned"), REFUSED,
         ("--owner and --unassigned do not go together",)),
        (("case", "list", "--mine", "--owner", "jur", "--actor", "bra"), REFUSED,
         ("--owner and --mine do not go together",)),
        (("case", "list", "--mine"), REFUSED, ("--mine needs --actor",)),
        (("case", "list", "--owner", "nobody"), REFUSED, ("no user 'nobody'",)),
        (("case", "assign", "{jur}"), USAGE, ("Missing argument",)),
    ],
)  # fmt: skip
def test_bad_owner_input_is_one_line_and_changes_nothing(
    run: Run,
    office: dict[str, str],
    initialised: Path,
    argv: tuple[str, ...],
    code: int,
    fragments: tuple[str, ...],
) -> None:
    before = snapshot(initialised)
    result = run(*(a.format(**office) for a in argv))
    assert_one_error_line(result, code, *fragments)
    assert snapshot(initialised) == before


def test_a_closed_case_keeps_its_owner(
    run: Run, office: dict[str, str], initialised: Path
) -> None:
    number = office["jur"]
    assert (
        run(
            "case",
            "fire",
            number,
            "reject",
            "--actor",
            "bra",
            "--data",
            "reason=Afvist",
        ).code
        == 0
    )
    before = snapshot(initialised)
    result = run("case", "assign", number, "mab", "--actor", "bra")
    assert_one_error_line(result, REFUSED, "a closed case keeps its owner")
    assert snapshot(initialised) == before


def test_user_away_records_the_period_and_the_deputy(
    run: Run, office: dict[str, str]
) -> None:
    code, out, err = run(
        "user", "away", "jur", "--from", "2024-12-23", "--until", "2025-01-03",
        "--deputy", "mab", "--actor", "bra", "--json",
    )  # fmt: skip
    assert code == 0, err
    said = json.loads(out)
    assert {k: said[k] for k in ("user", "from", "until", "deputy", "created_by")} == {
        "user": "jur",
        "from": "2024-12-23",
        "until": "2025-01-03",
        "deputy": "mab",
        "created_by": "bra",
    }
    code, out, _ = run("user", "absences", "jur")
    assert "2024-12-23" in out
    assert "mab" in out
    # a user records their own absence
    assert run(
        "user", "away", "mab", "--from", "2025-02-10", "--until", "2025-02-14",
        "--actor", "mab",
    ).code == 0  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (("--from", "2025-01-03", "--until", "2024-12-23", "--actor", "bra"),
         ("ends on or after its first day",)),
        (("--from", "23/12/2024", "--until", "2025-01-03", "--actor", "bra"),
         ("--from",)),
        (("--from", "2024-12-23", "--until", "2025-01-03", "--deputy", "jur",
          "--actor", "bra"), ("cannot deputise for themselves",)),
        (("--from", "2024-12-23", "--until", "2025-01-03", "--deputy", "rev",
          "--actor", "bra"), ("'rev' cannot own a case",)),
        (("--from", "2024-12-23", "--until", "2025-01-03", "--actor", "mab"),
         ("recorded by the advisor, or by the user who is away",)),
        (("--from", "2024-12-23", "--until", "2025-01-03", "--actor", "nobody"),
         ("no user 'nobody'",)),
    ],
)  # fmt: skip
def test_a_bad_absence_is_one_line_and_changes_nothing(
    run: Run,
    office: dict[str, str],
    initialised: Path,
    argv: tuple[str, ...],
    fragments: tuple[str, ...],
) -> None:
    before = snapshot(initialised)
    result: Result = run("user", "away", "jur", *argv)
    assert_one_error_line(result, REFUSED, *fragments)
    assert snapshot(initialised) == before
