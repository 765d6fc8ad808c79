"""`sagsflow case erase` and `sagsflow retention run`, as an office runs them.

The CLI reads the real clock, so the cases here were closed (back-dated with
`--at`) in 2020: five years of retention have run out for them.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.testing import FakeClock
from service import app as composition
from service.housekeeping import daily_job
from service.settings import Settings
from tests.service.cli.test_errors import REFUSED, assert_one_error_line
from tests.service.conftest import Run, snapshot

CITIZEN = "Rasmus Klump Testesen"


def closed_in_2020(run: Run) -> str:
    """A case of the ombudsman workflow, closed 20 January 2020; its number."""
    code, out, err = run(
        "case", "open", "ombudsman-inquiry", "--actor", "jur", "--title", "Klage",
        "--party", f"citizen={CITIZEN}", "--party", "authority=Borgerservice",
        "--at", "2019-12-02T10:00:00+01:00", "--json",
    )  # fmt: skip
    assert code == 0, err
    number = str(json.loads(out)["number"])
    for step in (
        ("send_inquiry", "--actor", "jur", "--at", "2019-12-03T10:00:00+01:00"),
        ("mark_dispatched", "--actor", "jur", "--at", "2019-12-03T11:00:00+01:00"),
        ("receive_reply", "--actor", "jur", "--at", "2020-01-10T10:00:00+01:00"),
        (
            "close", "--actor", "bra", "--data", "outcome=no_further_action",
            "--data", f"reason=Svar til {CITIZEN}",
            "--at", "2020-01-20T10:00:00+01:00",
        ),
    ):  # fmt: skip
        code, _, err = run("case", "fire", number, *step)
        assert code == 0, err
    return number


def traces(db_path: Path) -> bool:
    """Whether the files hold the name, or its surname as the search index
    keeps its words (lower-case)."""
    files = [db_path, db_path.with_name(db_path.name + "-wal")]
    return any(
        value in f.read_bytes()
        for f in files
        if f.exists()
        for value in (CITIZEN.encode(), b"testesen")
    )


def searched(run: Run, text: str) -> list[tuple[str, str]]:
    """(number, matched field) of each case `case list --search` finds."""
    code, out, err = run("case", "list", "--search", text, "--json")
    assert code == 0, err
    return [(c["number"], c["match"]["field"]) for c in json.loads(out)]


def test_erase_forgets_the_names_and_the_record_still_verifies(
    run: Run, initialised: Path
) -> None:
    number = closed_in_2020(run)
    assert traces(initialised)
    assert searched(run, "Testesen") == [(number, "party")]

    code, out, err = run(
        "case", "erase", number, "--actor", "bra", "--reason", "Anmodning", "--json"
    )

    assert code == 0, err
    assert searched(run, "Rasmus Klump Testesen") == []
    assert searched(run, "klage") == [(number, "title")]
    said = json.loads(out)
    assert said["case"] == number
    assert "parties.citizen.name" in said["erased"]
    assert "data.reason" in said["erased"]
    # the letters kept with their steps (the inquiry's, the close's) lose their
    # content; the reply was journalised without any
    assert [p for p in said["erased"] if p.startswith("documents.")] == [
        f"documents.{number}-1",
        f"documents.{number}-3",
    ]
    assert not traces(initialised)
    code, out, err = run("case", "show", number, "--json")
    shown = json.loads(out)
    assert CITIZEN not in out
    assert shown["history"][-1]["event"] == "erase"
    code, out, err = run("audit", "verify")
    assert code == 0, out + err


def test_retention_run_lists_then_erases_what_is_due(
    run: Run, initialised: Path
) -> None:
    number = closed_in_2020(run)
    code, out, err = run(
        "case", "open", "ombudsman-inquiry", "--actor", "jur", "--title", "Åben",
        "--party", "citizen=Ib Åben Borger",
    )  # fmt: skip
    assert code == 0, err

    code, out, err = run("retention", "run", "--dry-run", "--json")
    assert code == 0, err
    listed = json.loads(out)
    assert [d["case"] for d in listed["due"]] == [number]
    assert listed["due"][0]["due_on"] == "2025-01-20"
    assert traces(initialised), "a dry run erases nothing"

    code, out, err = run("retention", "run", "--json")
    assert code == 0, err
    assert [d["case"] for d in json.loads(out)["erased"]] == [number]
    assert not traces(initialised)
    code, out, _ = run("retention", "run", "--json")
    assert json.loads(out)["erased"] == [], "nothing is erased twice"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        pytest.param(
            ("case", "erase", "{number}", "--actor", "jur", "--reason", "x"),
            "caseworker",
            id="a-caseworker",
        ),
        pytest.param(
            ("case", "erase", "{open}", "--actor", "bra", "--reason", "x"),
            "erasing an open case",
            id="an-open-case",
        ),
        pytest.param(
            ("case", "erase", "2019-0999999", "--actor", "bra", "--reason", "x"),
            "2019-0999999",
            id="an-unknown-case",
        ),
        pytest.param(
            ("case", "erase", "{number}", "--actor", "system", "--reason", "x"),
            "act as yourself",
            id="as-the-system",
        ),
        pytest.param(
            ("case", "erase", "{number}", "--actor", "bra", "--reason", " "),
            "needs a reason",
            id="no-reason",
        ),
        pytest.param(
            ("retention", "run", "--now", "2031-01-01T00:00:00+01:00"),
            "--now lies in the future",
            id="retention-ahead-of-time",
        ),
        pytest.param(
            ("retention", "run", "--now", "yesterday"),
            "--now",
            id="retention-bad-time",
        ),
    ],
)
def test_a_refused_erasure_is_one_error_and_changes_nothing(
    run: Run, initialised: Path, argv: tuple[str, ...], fragment: str
) -> None:
    number = closed_in_2020(run)
    _, out, _ = run(
        "case", "open", "ombudsman-inquiry", "--actor", "jur", "--title", "Åben",
        "--party", f"citizen={CITIZEN}", "--json",
    )  # fmt: skip
    opened = json.loads(out)["number"]
    before = snapshot(initialised)

    result = run(*(a.format(number=number, open=opened) for a in argv))

    message = assert_one_error_line(result, REFUSED, fragment)
    assert CITIZEN not in message
    assert snapshot(initialised) == before


def test_serve_s_daily_job_erases_what_retention_has_due(
    run: Run, initialised: Path
) -> None:
    """The job `serve` runs once a day, on a fake clock set after retention ends."""
    number = closed_in_2020(run)
    settings = Settings.from_env(os.environ).with_database(f"sqlite:///{initialised}")
    store = composition.open_store(settings)
    try:
        clock = FakeClock(datetime(2025, 1, 19, 12, tzinfo=UTC))
        engine = composition.build_engine(settings, clock=clock, store=store)
        daily_job(settings, lambda: engine)()
        assert engine.show_case(number).erased is None, "a day before it is due"
        clock.set(datetime(2025, 1, 20, 12, tzinfo=UTC))
        daily_job(settings, lambda: engine)()
        erased = engine.show_case(number).erased
    finally:
        store.engine.dispose()
    assert erased is not None
    assert erased["by"] == "system"
    assert "5 years" in str(erased["rule"])
    assert not traces(initialised)
