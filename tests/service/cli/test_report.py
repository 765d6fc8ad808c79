"""`sagsflow report`: text, JSON, CSV and charts, and one clear line for bad input.

Two cases, entered through the command line with back-dated times:

- the founding case (ombudsman-inquiry): opened 2024-10-03, inquiry dispatched
  10-09, reply Sunday 11-10, closed 11-20 with no further action;
- a request for access to documents received 2024-11-01 (due 11-12), reminded
  by a sweep on 11-13 (answer_due, new deadline 11-15), still unanswered.

The report runs for 2024-10-01 .. 2024-11-30 as of 2024-12-02 12:00.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.service.conftest import Result, Run

PERIOD = ("--since", "2024-10-01", "--until", "2024-11-30", "--now", "2024-12-02T12:00")

# Handling: 10-03 -> 11-20 = 28 + 20 = 48 days.
# Waiting (awaiting_reply): 10-09 -> 11-10 = 22 + 10 = 32.
# In-house: founding 10-03 -> 10-09 = 6 and 11-10 -> 11-20 = 10; the request
# 11-01 -> the end of the period 12-01 = 30.              6 + 10 + 30 = 46.
TEXT = (
    (
        "Cases opened 2024-10-01 to 2024-11-30, both days included (all workflows), "
        "as of 2024-12-02 12:00 +01:00\n"
    )
    + """\

Cases
  opened                                   2
  closed in the period                     1
    No further action                      1

Handling time of closed cases (calendar days)
  median                                   48
  90th percentile                          48 (nearest rank)
  within 6 months (183 days)               1 of 1, 100.0 % (target 70 %)
  within 12 months (365 days)              1 of 1, 100.0 % (target 90 %)

Time in states (calendar days, summed over the cases)
  waiting on authorities                   32
  in-house                                 46

Chases in the period
  reminders                                1
  escalations                              0

Now
  open                                     1
    access-to-documents / Being processed  1
  overdue                                  1
"""
)


TEXT_DA = (
    (
        "Sager oprettet 2024-10-01 til og med 2024-11-30 (alle sagsgange), "
        "pr. 2024-12-02 12:00 +01:00\n"
    )
    + """\

Sager
  oprettet                                    2
  afsluttet i perioden                        1
    Ikke anledning til videre foranstaltning  1

Sagsbehandlingstid for afsluttede sager (kalenderdage)
  median                                      48
  90. percentil                               48 (nærmeste rang)
  inden for 6 måneder (183 dage)              1 af 1, 100,0 % (mål 70 %)
  inden for 12 måneder (365 dage)             1 af 1, 100,0 % (mål 90 %)

Tid i tilstande (kalenderdage, summeret over sagerne)
  venter på myndigheder                       32
  hos os                                      46

Rykkere i perioden
  rykkere                                     1
  eskalationer                                0

Nu
  åbne                                        1
    access-to-documents / Under behandling    1
  over fristen                                1
"""
)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The figures are read in English here (SAGSFLOW_LANGUAGE=en); Danish, the
    default, in test_the_text_summary_in_danish."""
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")


def ok(run: Run, *argv: str) -> str:
    code, out, err = run(*argv)
    assert (code, err) == (0, ""), err
    return out


@pytest.fixture
def cases(run: Run, initialised: Path) -> Path:
    founding = json.loads(
        ok(
            run,
            *("case", "open", "ombudsman-inquiry", "--actor", "bra"),
            *("--title", "Politianmeldelse", "--data", "own_initiative=true"),
            *("--at", "2024-10-03T10:00", "--json"),
        )
    )["number"]
    for event, actor, moment, *data in [
        ("send_inquiry", "jur", "2024-10-09T10:00"),
        ("mark_dispatched", "jur", "2024-10-09T14:00"),
        ("receive_reply", "jur", "2024-11-10T12:00"),
        ("close", "bra", "2024-11-20T10:00", "outcome=no_further_action"),
    ]:
        extra = ("--data", data[0]) if data else ()
        ok(
            run,
            "case",
            "fire",
            founding,
            event,
            "--actor",
            actor,
            "--at",
            moment,
            *extra,
        )
    request = json.loads(
        ok(
            run,
            *("case", "open", "access-to-documents", "--actor", "jur"),
            *("--title", "Aktindsigt", "--data", "received_on=2024-11-01"),
            *("--at", "2024-11-01T10:00", "--json"),
        )
    )["number"]
    moment = "2024-11-04T10:00"
    ok(
        run,
        "case",
        "fire",
        request,
        "start_processing",
        "--actor",
        "jur",
        "--at",
        moment,
    )
    assert "chased 1" in ok(run, "sweep", "--now", "2024-11-13T09:00")
    return initialised


@pytest.mark.parametrize(
    ("day", "opened"), [("2024-11-01", 1), ("2024-10-03", 1), ("2024-11-02", 0)]
)
def test_a_one_day_range_counts_the_cases_opened_that_day(
    run: Run, cases: Path, day: str, opened: int
) -> None:
    """--since D --until D is the whole of day D: both ends are included."""
    argv = ("report", "--since", day, "--until", day, "--now", "2024-12-02T12:00")
    figures = json.loads(ok(run, *argv, "--json"))
    assert (figures["since"], figures["until"]) == (day, day)
    assert figures["cases_opened"] == opened
    head = ok(run, *argv).splitlines()[0]
    assert head.startswith(f"Cases opened {day} to {day}, both days included")


def test_the_text_summary(run: Run, cases: Path) -> None:
    assert ok(run, "report", *PERIOD) == TEXT


def test_the_text_summary_in_danish(
    run: Run, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAGSFLOW_LANGUAGE")
    assert ok(run, "report", *PERIOD) == TEXT_DA


def test_json_keeps_the_identifiers_in_danish(
    run: Run, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "da")
    figures = json.loads(ok(run, "report", *PERIOD, "--json"))
    assert figures["closed_by_outcome"] == {"no_further_action": 1}
    assert figures["open_now"]["by_workflow"] == {
        "access-to-documents": {"being_processed": 1}
    }


def test_a_danish_chart(
    run: Run, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "da")
    chart = tmp_path / "figures.svg"
    out = ok(run, "report", *PERIOD, "--chart", str(chart))
    assert out == TEXT_DA + f"diagram: {chart}\n"
    assert chart.read_bytes().startswith(b"<?xml")


def test_json_has_every_figure(run: Run, cases: Path) -> None:
    figures = json.loads(ok(run, "report", *PERIOD, "--json"))
    assert figures == {
        "workflow": None,
        "since": "2024-10-01",
        "until": "2024-11-30",
        "now": "2024-12-02T11:00:00+00:00",
        "cases_opened": 2,
        "cases_closed": 1,
        "closed_by_outcome": {"no_further_action": 1},
        "open_now": {
            "total": 1,
            "by_workflow": {"access-to-documents": {"being_processed": 1}},
        },
        "overdue_now": 1,  # due 11-15 after the reminder; 12-02 is later
        "chases": {"reminders": 1, "escalations": 0, "by_rung": {"answer_due": 1}},
        "handling_days": {
            "closed": 1,
            "median": 48,
            "p90": 48,
            "within_6_months": 1,
            "within_12_months": 1,
            "share_within_6_months": 1.0,
            "share_within_12_months": 1.0,
        },
        "time_in_states_days": {"waiting": 32, "in_house": 46},
    }


def test_csv_is_metric_value_rows(run: Run, cases: Path) -> None:
    rows = list(csv.reader(io.StringIO(ok(run, "report", *PERIOD, "--csv"))))
    assert rows[0] == ["metric", "value"]
    values = dict(rows[1:])
    assert len(values) == len(rows) - 1  # no metric twice
    assert values["workflow"] == ""
    assert values["cases_opened"] == "2"
    assert values["closed_by_outcome.no_further_action"] == "1"
    assert values["open_now.by_workflow.access-to-documents.being_processed"] == "1"
    assert values["chases.by_rung.answer_due"] == "1"
    assert values["handling_days.median"] == "48.0"
    assert values["handling_days.share_within_6_months"] == "1.0"
    assert values["time_in_states_days.in_house"] == "46"


def test_one_workflow(run: Run, cases: Path) -> None:
    argv = ("report", *PERIOD, "--workflow", "ombudsman-inquiry", "--json")
    figures = json.loads(ok(run, *argv))
    assert figures["workflow"] == "ombudsman-inquiry"
    assert (figures["cases_opened"], figures["overdue_now"]) == (1, 0)
    assert figures["open_now"] == {"total": 0, "by_workflow": {}}
    assert figures["time_in_states_days"] == {"waiting": 32, "in_house": 16}


def test_the_default_period_is_the_last_twelve_months(run: Run, cases: Path) -> None:
    figures = json.loads(ok(run, "report", "--now", "2024-12-02T12:00", "--json"))
    assert (figures["since"], figures["until"]) == ("2023-12-03", "2024-12-02")
    # Up to now (12-02 12:00), the request has been open 11-01 -> 12-02 = 31 days.
    assert figures["time_in_states_days"] == {"waiting": 32, "in_house": 47}
    only_since = ("report", "--since", "2024-11-01", "--now", "2024-12-02", "--json")
    figures = json.loads(ok(run, *only_since))
    assert (figures["since"], figures["until"]) == ("2024-11-01", "2024-12-02")
    assert figures["cases_opened"] == 1


def test_a_year_back_from_29_february(run: Run, initialised: Path) -> None:
    """Today 2028-02-28: the day after the period is the 29th; a year back has
    none."""
    argv = ("report", "--now", "2028-02-28T12:00", "--json")
    figures = json.loads(ok(run, *argv))
    assert (figures["since"], figures["until"]) == ("2027-03-01", "2028-02-28")


@pytest.mark.parametrize(
    ("name", "magic"),
    [("out.png", (b"\x89PNG\r\n\x1a\n",)), ("out.SVG", (b"<?xml", b"<svg"))],
)
def test_a_chart(
    run: Run, cases: Path, tmp_path: Path, name: str, magic: tuple[bytes, ...]
) -> None:
    chart = tmp_path / name
    out = ok(run, "report", *PERIOD, "--chart", str(chart))
    assert out == TEXT + f"chart: {chart}\n"
    assert chart.read_bytes().startswith(magic)


def test_a_chart_with_json_keeps_stdout_json(
    run: Run, cases: Path, tmp_path: Path
) -> None:
    chart = tmp_path / "out.svg"
    figures = json.loads(ok(run, "report", *PERIOD, "--json", "--chart", str(chart)))
    assert figures["cases_opened"] == 2
    assert b"<svg" in chart.read_bytes()


def test_a_chart_of_an_empty_database(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    chart = tmp_path / "empty.png"
    ok(run, "report", "--now", "2024-12-02T12:00", "--chart", str(chart))
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_a_chart_of_a_period_still_to_come(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    """No day of the period has passed: the overdue panel is left empty."""
    chart = tmp_path / "future.svg"
    future = ("--since", "2025-01-01", "--until", "2025-02-01")
    ok(run, "report", *future, "--now", "2024-12-02T12:00", "--chart", str(chart))
    assert chart.read_bytes().startswith(b"<?xml")


def assert_refused(result: Result, *fragments: str) -> None:
    assert "Traceback" not in result.out + result.err
    assert (result.code, result.out) == (1, ""), result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("sagsflow: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        pytest.param(
            ("--since", "2024-12-01", "--until", "2024-10-01"),
            (
                "must not start after it ends: since 2024-12-01 is after until "
                "2024-10-01",
            ),
            id="since-after-until",
        ),
        pytest.param(
            ("--since", "1 Oct 2024"), ("--since '1 Oct 2024'", "YYYY-MM-DD"), id="date"
        ),
        pytest.param(("--until", "2024-02-30"), ("--until",), id="no-such-day"),
        pytest.param(("--now", "tomorrow"), ("--now 'tomorrow'",), id="now"),
        pytest.param(
            ("--workflow", "complaints"), ("complaints", "ombudsman-inquiry"), id="wf"
        ),
        pytest.param(("--json", "--csv"), ("--json and --csv",), id="two-formats"),
        pytest.param(
            ("--chart", "report.pdf"), ("report.pdf", ".png or .svg"), id="suffix"
        ),
        pytest.param(("--chart", "report"), (".png or .svg",), id="no-suffix"),
    ],
)
def test_bad_input_is_one_line(
    run: Run, cases: Path, argv: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    assert_refused(run("report", *argv), *fragments)


@pytest.mark.parametrize("where", ["no-such-folder/out.png", "folder.png"])
def test_a_chart_that_cannot_be_written(
    run: Run, cases: Path, tmp_path: Path, where: str
) -> None:
    (tmp_path / "folder.png").mkdir()
    chart = tmp_path / where
    assert_refused(
        run("report", *PERIOD, "--chart", str(chart)), f"cannot write {chart}"
    )
    assert not (tmp_path / "no-such-folder").exists()
