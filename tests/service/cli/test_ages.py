"""`case show` and `case list` say how long a case has waited without a deadline.

An access-to-documents case decided on Thursday 3 October 2024 waits in
`decided`, which has no deadline and goes stale after 10 working days
(version 3 of the bundled workflow): 9 working days on 16 October, stale on
17 October. Judged `--now`, as the overdue figure is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import Run


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These read the command line's English words (SAGSFLOW_LANGUAGE=en); the
    Danish default is tests/service/cli/test_labels.py's."""
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")


ON_9TH = "2024-10-16T12:00:00+02:00"
ON_10TH = "2024-10-17T12:00:00+02:00"


def ok(run: Run, *argv: str) -> str:
    code, out, err = run(*argv)
    assert (code, err) == (0, ""), err
    return out


def ok_json(run: Run, *argv: str) -> Any:
    return json.loads(ok(run, *argv))


@pytest.fixture
def decided(run: Run, initialised: Path) -> str:
    """The decided request (2024-0000001) and an inquiry in `opened`
    (2024-0000002, with its intake deadline 10 working days on)."""
    number = ok_json(
        run,
        *("case", "open", "access-to-documents", "--actor", "jur"),
        *("--title", "Aktindsigt i journalen", "--json"),
        *("--data", "received_on=2024-10-01", "--at", "2024-10-01T10:00:00+02:00"),
    )["number"]
    ok(
        run,
        *("case", "fire", number, "start_processing", "--actor", "jur"),
        *("--at", "2024-10-02T10:00:00+02:00"),
    )
    ok(
        run,
        *("case", "fire", number, "decide", "--actor", "jur"),
        *("--data", "decision=granted", "--at", "2024-10-03T10:00:00+02:00"),
    )
    ok(
        run,
        *("case", "open", "ombudsman-inquiry", "--actor", "jur", "--title", "Klage"),
        *("--at", "2024-10-14T10:00:00+02:00"),
    )
    return str(number)


def test_case_show_says_how_long_the_case_has_been_in_its_state(
    run: Run, decided: str
) -> None:
    before = ok(run, "case", "show", decided, "--now", ON_9TH)
    stale = ok(run, "case", "show", decided, "--now", ON_10TH)

    # the facts' names are as wide as the longest (a party's label may be)
    assert re.search(
        r"\n  deadline +none\n  age +in Decided for 9 working days\n", before
    )
    assert re.search(
        r"\n  age +in Decided for 10 working days: STALE "
        r"\(stale after 10 working days\)\n",
        stale,
    )


def test_case_show_json_carries_the_age(run: Run, decided: str) -> None:
    before = ok_json(run, "case", "show", decided, "--json", "--now", ON_9TH)
    stale = ok_json(run, "case", "show", decided, "--json", "--now", ON_10TH)
    intake = ok_json(run, "case", "show", "2024-0000002", "--json", "--now", ON_10TH)

    assert before["age"] == {
        "state": "decided",
        "working_days": 9,
        "stale": False,
        "stale_after": 10,
    }
    assert stale["age"] == {
        "state": "decided",
        "working_days": 10,
        "stale": True,
        "stale_after": 10,
    }
    assert (intake["due"], intake["age"]) == ("2024-10-28", None)  # a deadline


def test_a_case_with_a_deadline_shows_no_age(run: Run, decided: str) -> None:
    text = ok(run, "case", "show", "2024-0000002", "--now", ON_10TH)

    assert re.search(
        r"\n  deadline +2024-10-28 \(end of day, Copenhagen time\)\n", text
    )
    assert "  age " not in text


def test_case_list_marks_the_stale_case_and_gives_its_age(
    run: Run, decided: str
) -> None:
    lines = ok(run, "case", "list", "--now", ON_10TH).splitlines()

    header, _, request, inquiry = lines
    assert header.split()[:5] == ["number", "workflow", "state", "due", "age"]
    # the workflow in its label, then the state, no deadline, the age
    assert "Request for access to documents" in request
    assert re.search(r"  Decided +- +10 working days", request)
    assert "  STALE  " in request
    assert request.startswith(decided)
    assert "2024-10-28" in inquiry
    assert "working day" not in inquiry
    assert "STALE" not in inquiry
    earlier = ok(run, "case", "list", "--now", ON_9TH).splitlines()[2]
    assert "9 working days" in earlier
    assert "STALE" not in earlier


def test_case_list_json_carries_each_age(run: Run, decided: str) -> None:
    cases = ok_json(run, "case", "list", "--json", "--now", ON_10TH)

    assert [(c["number"], c["age"]) for c in cases] == [
        (
            decided,
            {"state": "decided", "working_days": 10, "stale": True, "stale_after": 10},
        ),
        ("2024-0000002", None),
    ]
