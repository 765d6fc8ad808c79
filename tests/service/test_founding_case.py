"""The founding case, replayed through the command line with back-dated times.

Copenhagen's Borgerrådgiver opened a case on its own initiative, sent Social
Services an inquiry on 9 October 2024, got the reply on Sunday 10 November 2024
and closed the case on 20 November 2024 (no further action). See docs/domain.md.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service import present
from service.cli.identity import os_login
from service.present import AUDIT_COLUMNS
from tests.service.conftest import (
    USERS,
    Result,
    Run,
    copy_database,
    run_quietly,
    snapshot,
)

TITLE = "Socialforvaltningens politianmeldelse af en borger (egen drift)"
REPLY = "Svar fra Socialforvaltningen"
INQUIRY = "Høring af Socialforvaltningen om politianmeldelsen"

OPENED_AT = "2024-10-03T10:00:00+02:00"
SENT_AT = "2024-10-09T10:00:00+02:00"  # Wednesday
DISPATCHED_AT = "2024-10-09T14:00:00+02:00"
REPLIED_AT = "2024-11-10T12:00:00+01:00"  # Sunday, after the switch to winter time
CLOSED_AT = "2024-11-20T10:00:00+01:00"

# The people's steps, and after each that wrote a letter (the inquiry, the
# closing letter) the system's step that rendered it as PDF (engine.cases.renditions)
EVENTS = [
    "open",
    "send_inquiry",
    "render",
    "mark_dispatched",
    "receive_reply",
    "close",
    "render",
]
EVENTS_EN = [  # the events' labels in English
    "Open case",
    "Send inquiry",
    "Mark as dispatched",
    "Receive the reply",
    "Close the case",
]
ACTORS = ["bra", "jur", "system", "jur", "jur", "bra", "system"]
ROLES = ["advisor", "caseworker", "system", "caseworker", "caseworker", "advisor"]
ROLES += ["system"]
SENT, CLOSED = 1, 5  # the steps that wrote a letter; each render follows its own
AT_UTC = [  # a render takes no time of its own: as of the case's latest step
    "2024-10-03T08:00:00+00:00",
    "2024-10-09T08:00:00+00:00",
    "2024-10-09T08:00:00+00:00",
    "2024-10-09T12:00:00+00:00",
    "2024-11-10T11:00:00+00:00",
    "2024-11-20T09:00:00+00:00",
    "2024-11-20T09:00:00+00:00",
]
# opened: 10 working days; inquiry_sent: 2; awaiting_reply: 20; assessed: 10
# (from Sunday); a render leaves the deadline as it is.
DUE_AFTER = [
    "2024-10-17",
    "2024-10-11",
    "2024-10-11",
    "2024-11-06",
    "2024-11-22",
    None,
    None,
]


def ok(run: Run, *argv: str) -> str:
    code, out, err = run(*argv)
    assert (code, err) == (0, ""), err
    return out


def ok_json(run: Run, *argv: str) -> Any:
    return json.loads(ok(run, *argv))


def open_founding_case(run: Run) -> str:
    """Open the case and send the inquiry; returns its number (awaiting reply)."""
    opened = ok_json(
        run,
        *("case", "open", "ombudsman-inquiry", "--actor", "bra", "--title", TITLE),
        *("--party", "authority=Socialforvaltningen"),
        *("--data", "own_initiative=true", "--at", OPENED_AT, "--json"),
    )
    number: str = opened["number"]
    # Version 3: the office decides on intake within 10 working days.
    assert (opened["state"], opened["version"], opened["due"]) == (
        "opened",
        1,
        "2024-10-17",
    )
    assert opened["data"] == {"own_initiative": True}
    sent = ok_json(
        run,
        *("case", "fire", number, "send_inquiry", "--actor", "jur"),
        *("--document", INQUIRY, "--at", SENT_AT, "--json"),
    )
    assert (sent["state"], sent["due"]) == ("inquiry_sent", "2024-10-11")
    dispatched = ok_json(
        run,
        *("case", "fire", number, "mark_dispatched", "--actor", "jur"),
        *("--at", DISPATCHED_AT, "--json"),
    )
    assert dispatched["state"] == "awaiting_reply"
    assert dispatched["due"] == "2024-11-06"  # 20 working days after 9 Oct 2024
    return number


def replay_founding_case(run: Run, db_path: Path) -> str:
    """The whole founding case, the refused close included; returns its number."""
    number = open_founding_case(run)
    replied = ok_json(
        run,
        *("case", "fire", number, "receive_reply", "--actor", "jur"),
        *("--document", REPLY, "--at", REPLIED_AT, "--json"),
    )
    assert (replied["state"], replied["due"]) == ("assessed", "2024-11-22")

    before = snapshot(db_path)
    code, out, err = run(
        *("case", "fire", number, "close", "--actor", "jur"),
        *("--data", "outcome=no_further_action", "--at", CLOSED_AT),
    )
    assert (code, out) == (1, "")
    assert err == (
        "sagsflow: error: user 'jur' (caseworker) may not 'close'; "
        "allowed roles: advisor\n"
    )
    assert snapshot(db_path) == before

    closed = ok_json(
        run,
        *("case", "fire", number, "close", "--actor", "bra"),
        *("--data", "outcome=no_further_action", "--at", CLOSED_AT, "--json"),
    )
    assert (closed["state"], closed["version"], closed["due"]) == ("closed", 7, None)
    return number


def quiet_runner(db_path: Path) -> Run:
    """A `Run` for fixtures wider than one test (no capsys)."""

    def _run(*argv: str, db: str | None = f"sqlite:///{db_path}") -> Result:
        return run_quietly(*(["--db", db] if db is not None else []), *argv)

    return _run


def initialised_template(folder: Path) -> tuple[Path, Run]:
    path = folder / "sagsflow.db"
    run = quiet_runner(path)
    ok(run, "init")
    for user_id, role in USERS.items():
        by = () if user_id == "bra" else ("--actor", "bra")
        ok(run, "user", "add", user_id, "--role", role, *by)
    return path, run


@pytest.fixture(scope="module")
def founding_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Built once: the founding case replayed and closed; the file and its number."""
    path, run = initialised_template(tmp_path_factory.mktemp("founding"))
    return path, replay_founding_case(run, path)


@pytest.fixture(scope="module")
def awaiting_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Built once: the founding case awaiting its reply, due 2024-11-06."""
    path, run = initialised_template(tmp_path_factory.mktemp("awaiting"))
    return path, open_founding_case(run)


@pytest.fixture
def founding(founding_template: tuple[Path, str], db_path: Path) -> str:
    """The founding case, closed, in the database `run` uses; its number."""
    copy_database(founding_template[0], db_path)
    return founding_template[1]


@pytest.fixture
def awaiting(awaiting_template: tuple[Path, str], db_path: Path) -> str:
    """The founding case awaiting its reply, in the database `run` uses."""
    copy_database(awaiting_template[0], db_path)
    return awaiting_template[1]


def test_founding_case_replayed_through_the_cli(run: Run, initialised: Path) -> None:
    """Open, inquire, dispatch, reply on a Sunday, a refused close, the close."""
    assert replay_founding_case(run, initialised) == "2024-0000001"


def test_case_show_json_tells_the_story(run: Run, founding: str) -> None:
    started = datetime.now(UTC)
    shown = ok_json(run, "case", "show", founding, "--json")
    assert shown["number"] == founding
    assert shown["title"] == TITLE
    assert (shown["workflow"], shown["workflow_version"]) == ("ombudsman-inquiry", 3)
    assert (shown["state"], shown["version"]) == ("closed", 7)
    assert (shown["due"], shown["overdue"], shown["working_days_overdue"]) == (
        None,
        False,
        0,
    )
    assert shown["opened_at"] == AT_UTC[0]
    assert shown["state_entered_at"] == AT_UTC[CLOSED]
    assert shown["parties"] == [
        {"role": "authority", "name": "Socialforvaltningen", "email": None}
    ]
    assert shown["data"] == {"own_initiative": True, "outcome": "no_further_action"}

    documents = shown["documents"]
    assert [d["number"] for d in documents] == [f"{founding}-{i}" for i in (1, 2, 3)]
    assert [d["direction"] for d in documents] == ["outgoing", "incoming", "outgoing"]
    assert [d["date"] for d in documents] == ["2024-10-09", "2024-11-10", "2024-11-20"]
    assert [d["title"] for d in documents] == [
        INQUIRY,
        REPLY,
        "Afslutningsbrev",
    ]  # the default title, in Danish

    history = shown["history"]
    assert [e["seq"] for e in history] == [1, 2, 3, 4, 5, 6, 7]
    assert [e["event"] for e in history] == EVENTS
    assert [e["actor"] for e in history] == ACTORS
    assert [e["role"] for e in history] == ROLES
    assert [e["at"] for e in history] == AT_UTC
    assert [e["from"] for e in history] == [
        None,
        "opened",
        "inquiry_sent",
        "inquiry_sent",
        "awaiting_reply",
        "assessed",
        "closed",
    ]
    assert [e["to"] for e in history] == [
        "opened",
        "inquiry_sent",
        "inquiry_sent",
        "awaiting_reply",
        "assessed",
        "closed",
        "closed",
    ]
    assert [e["due_after"] for e in history] == DUE_AFTER
    assert [e["due_before"] for e in history] == [None, *DUE_AFTER[:-1]]
    assert [e["document"] for e in history] == [
        None,
        f"{founding}-1",
        None,
        None,
        f"{founding}-2",
        f"{founding}-3",
        None,
    ]
    for step, render in ((SENT, SENT + 1), (CLOSED, CLOSED + 1)):
        letter = history[step]["document"]
        assert history[render]["data"]["document"] == letter
    assert history[0]["data"]["own_initiative"] is True
    assert history[0]["data"]["parties"] == {
        "authority": {"name": "Socialforvaltningen", "email": None}
    }
    assert history[CLOSED]["data"] == {"outcome": "no_further_action"}
    # Back-dated: effective times lie in 2024, the record was written just now.
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in history]
    assert recorded == sorted(recorded)
    assert all(r.tzinfo is not None and r <= started for r in recorded)
    assert all(
        r > datetime.fromisoformat(at) for r, at in zip(recorded, AT_UTC, strict=True)
    )


def test_case_show_text_mentions_events_and_deadlines(
    run: Run, founding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SAGSFLOW_LANGUAGE", "en"
    )  # Danish: tests/service/cli/test_labels.py
    text = ok(run, "case", "show", founding)
    assert text.startswith(f"Case {founding}: {TITLE}\n")
    assert "Closed (since 2024-11-20 10:00 +01:00)" in text
    assert "Administration Socialforvaltningen" in text  # authority, labelled
    for name in EVENTS_EN:
        assert f"  {name}  " in text
    assert "2024-10-11 → 2024-11-06" in text  # the reply deadline set on dispatch
    assert "2024-11-06 → 2024-11-22" in text
    assert "2024-11-10 12:00 +01:00" in text  # local time, winter time
    assert "2024-10-09 14:00 +02:00" in text  # local time, summer time
    header = next(line for line in text.splitlines() if "effective" in line)
    assert header.split()[:3] == ["#", "effective", "recorded"]
    assert " same " not in text  # back-dated: recorded long after the effective time
    assert "Own initiative yes" in text
    assert REPLY in text
    assert "OVERDUE" not in text


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2024-11-06T23:59:59+01:00", "", id="last-second-of-due-day"),
        pytest.param("2024-11-07T00:00:00+01:00", ": OVERDUE by 1 working day", id="1"),
        pytest.param(
            "2024-11-11T09:00:00+01:00", ": OVERDUE by 3 working days", id="3"
        ),
    ],
)
def test_case_show_text_while_awaiting_reply(
    run: Run, awaiting: str, now: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    text = ok(run, "case", "show", awaiting, "--now", now)
    # the facts' names are as wide as the longest (here the party's label)
    assert (
        f"deadline       2024-11-06 (end of day, Copenhagen time){expected}\n" in text
    )


def test_audit_log_json_has_the_seven_entries_in_order(run: Run, founding: str) -> None:
    entries = ok_json(run, "audit", "log", founding, "--format", "json")
    assert [tuple(e) for e in entries] == [AUDIT_COLUMNS] * 7
    assert [e["case"] for e in entries] == [founding] * 7
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6, 7]
    assert [e["event"] for e in entries] == EVENTS
    assert [e["actor"] for e in entries] == ACTORS
    assert [e["at"] for e in entries] == AT_UTC
    assert [e["due_after"] for e in entries] == DUE_AFTER


def test_audit_log_csv_has_a_header_and_seven_rows(run: Run, founding: str) -> None:
    reader = csv.DictReader(
        io.StringIO(ok(run, "audit", "log", founding, "--format", "csv"))
    )
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == AUDIT_COLUMNS
    assert [r["event"] for r in rows] == EVENTS
    assert [r["actor"] for r in rows] == ACTORS
    assert [r["role"] for r in rows] == ROLES
    assert [r["at"] for r in rows] == AT_UTC
    assert [r["due_after"] for r in rows] == [d or "" for d in DUE_AFTER]
    assert [r["document"] for r in rows] == [
        "",
        f"{founding}-1",
        "",
        "",
        f"{founding}-2",
        f"{founding}-3",
        "",
    ]
    assert json.loads(rows[CLOSED]["data"]) == {"outcome": "no_further_action"}
    assert json.loads(rows[0]["data"])["title"] == TITLE


def test_audit_log_csv_for_a_danish_spreadsheet(run: Run, founding: str) -> None:
    """`--excel`: a byte-order mark, semicolons, CRLF, Copenhagen times."""
    out = ok(run, "audit", "log", founding, "--format", "csv", "--excel")
    assert out.startswith("\ufeffcase;seq;event;")
    assert out.count("\r\n") == 8
    assert "\n" not in out.replace("\r\n", "")
    rows = list(csv.DictReader(io.StringIO(out[1:], newline=""), delimiter=";"))
    assert [r["event"] for r in rows] == EVENTS
    assert rows[0]["at"] == "2024-10-03 10:00:00"  # 08:00 UTC, summer time
    code, _, err = run("audit", "log", founding, "--excel")
    assert code != 0
    assert err == "sagsflow: error: --excel is a form of --format csv; add it\n"


def test_audit_log_table_has_one_line_per_entry(
    run: Run, founding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line an entry, its event and states in the workflow's words."""
    lines = ok(run, "audit", "log", founding).splitlines()
    assert len(lines) == 7
    danish = ["Opret sag", "Send henvendelse", "brev dannet", "Markér som afsendt"]
    danish += ["Modtag svar", "Afslut sagen", "brev dannet"]
    for line, name in zip(lines, danish, strict=True):
        assert line.startswith(f"{founding}  #")
        assert f" {name} " in line
    assert " Afventer svar → Svar til vurdering " in lines[4]
    came = f"cli:{os_login()}"  # the tests' own login: `run` hands in none
    assert lines[4].endswith(f"jur (caseworker) via {came} dok. {founding}-2")
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    english = ok(run, "audit", "log", founding).splitlines()
    assert " Receive the reply " in english[4]
    assert " Awaiting reply → Reply being assessed " in english[4]
    assert english[4].endswith(f"jur (caseworker) via {came} doc {founding}-2")
    assert " letter rendered " in english[6]


@pytest.mark.parametrize(
    ("options", "events"),
    [
        pytest.param(("--actor", "bra"), ["open", "close"], id="actor-bra"),
        pytest.param(
            ("--actor", "jur"),
            ["send_inquiry", "mark_dispatched", "receive_reply"],
            id="actor-jur",
        ),
        pytest.param(("--actor", "rev"), [], id="actor-without-entries"),
        pytest.param(
            ("--since", "2024-11-01", "--until", "2024-11-15"),
            ["receive_reply"],
            id="since-until",
        ),
        pytest.param(
            ("--since", "2024-10-09T14:00:00+02:00"),
            ["mark_dispatched", "receive_reply", "close", "render"],
            id="since-is-inclusive",
        ),
        pytest.param(
            ("--until", "2024-10-09T13:59:59+02:00"),
            ["open", "send_inquiry", "render"],
            id="until-before-an-entry",
        ),
        pytest.param(
            ("--until", "2024-10-09T14:00:00+02:00"),
            ["open", "send_inquiry", "render", "mark_dispatched"],
            id="until-is-inclusive",
        ),
        pytest.param(
            ("--since", "2024-10-09", "--until", "2024-10-09"),
            ["send_inquiry", "render", "mark_dispatched"],
            id="one-day",
        ),
        pytest.param(
            ("--since", "2024-11-20", "--until", "2024-11-20"),
            ["close", "render"],
            id="one-day-the-last",
        ),
        pytest.param(
            ("--actor", "jur", "--since", "2024-10-10"),
            ["receive_reply"],
            id="actor-and-since",
        ),
    ],
)
def test_audit_log_filters(
    run: Run, founding: str, options: tuple[str, ...], events: list[str]
) -> None:
    entries = ok_json(run, "audit", "log", founding, *options, "--format", "json")
    assert [e["event"] for e in entries] == events


def test_audit_log_without_a_case_covers_every_case(run: Run, founding: str) -> None:
    ok(
        run,
        *("case", "open", "access-to-documents", "--actor", "ind"),
        *("--title", "Aktindsigt", "--at", "2024-11-21T09:00:00+01:00"),
    )
    entries = ok_json(run, "audit", "log", "--format", "json")
    assert [(e["case"], e["seq"]) for e in entries] == [
        *((founding, i) for i in range(1, 8)),
        ("2024-0000002", 1),
    ]


# -- overdue ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "listed"),
    [
        pytest.param("2024-11-06T23:30:00+01:00", False, id="due-day-local"),
        pytest.param("2024-11-07T00:30:00+01:00", True, id="day-after-local"),
        pytest.param("2024-11-06T22:59:59Z", False, id="due-day-end-in-utc"),
        pytest.param("2024-11-06T23:30:00Z", True, id="day-after-local-given-in-utc"),
        pytest.param("2024-11-07", True, id="bare-date-is-local-midnight"),
    ],
)
def test_case_list_overdue_judges_by_the_local_date(
    run: Run, awaiting: str, now: str, listed: bool
) -> None:
    cases = ok_json(run, "case", "list", "--overdue", "--now", now, "--json")
    assert [c["number"] for c in cases] == ([awaiting] if listed else [])
    if listed:
        assert (cases[0]["state"], cases[0]["due"]) == ("awaiting_reply", "2024-11-06")
        assert (cases[0]["overdue"], cases[0]["working_days_overdue"]) == (True, 1)
    everything = ok_json(run, "case", "list", "--now", now, "--json")
    assert [c["overdue"] for c in everything] == [listed]


def test_case_list_json_is_streamed_in_the_same_form_as_one_dump(
    run: Run, founding: str
) -> None:
    for day in ("2024-11-21", "2024-11-22"):
        ok(
            run,
            *("case", "open", "access-to-documents", "--actor", "ind"),
            *("--title", "Aktindsigt", "--at", f"{day}T09:00:00+01:00"),
        )
    out = ok(run, "case", "list", "--json")
    cases = json.loads(out)
    assert [c["number"] for c in cases] == [founding, "2024-0000002", "2024-0000003"]
    assert out == present.dumps(cases) + "\n"
    assert [len(c["history"]) for c in cases] == [7, 1, 1]
    nothing = ok(run, "case", "list", "--state", "received", "--offset", "5", "--json")
    assert nothing == "[]\n"


def test_case_list_json_logs_each_case_read_and_the_text_list_none(
    run: Run, founding: str
) -> None:
    before = ok_json(run, "audit", "access", "--json")
    ok(run, "case", "list")  # numbers, states and titles: no parties, no record
    assert ok_json(run, "audit", "access", "--json") == before
    ok(run, "case", "list", "--json", "--actor", "rev")
    logged = ok_json(run, "audit", "access", "--json")[len(before) :]
    assert [(e["actor"], e["action"], e["case"]) for e in logged] == [
        ("rev", "case_list", founding)
    ]


def test_case_list_overdue_leaves_out_closed_cases(run: Run, founding: str) -> None:
    cases = ok_json(
        run, "case", "list", "--overdue", "--now", "2024-12-31T12:00:00+01:00", "--json"
    )
    assert cases == []


def test_case_list_text_marks_overdue_cases(
    run: Run, awaiting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    lines = ok(run, "case", "list", "--now", "2024-11-07T08:00:00+01:00").splitlines()
    assert len(lines) == 3  # header, rule, one case
    assert lines[2].split() == [
        awaiting,
        *["Inquiry", "to", "an", "administration"],  # ombudsman-inquiry, labelled
        "Awaiting",
        "reply",
        "2024-11-06",
        "OVERDUE",
        "-",  # no owner: the advisor opened it
        *TITLE.split(),
    ]


def test_case_list_filters_by_workflow_and_state(run: Run, founding: str) -> None:
    ok(
        run,
        *("case", "open", "access-to-documents", "--actor", "ind"),
        *("--title", "Aktindsigt", "--at", "2024-11-21T09:00:00+01:00"),
    )
    by_workflow = ok_json(
        run, "case", "list", "--workflow", "ombudsman-inquiry", "--json"
    )
    assert [c["number"] for c in by_workflow] == [founding]
    by_state = ok_json(run, "case", "list", "--state", "received", "--json")
    assert [c["number"] for c in by_state] == ["2024-0000002"]


# -- import with the real case number -------------------------------------------------


def founding_import_record() -> dict[str, Any]:
    def step(event: str, actor: str, at: str, **extra: object) -> dict[str, object]:
        return {"event": event, "actor": actor, "at": at, **extra}

    return {
        "workflow": "ombudsman-inquiry",
        "number": "2024-0283489",
        "title": TITLE,
        "parties": {"authority": "Socialforvaltningen"},
        "events": [
            step("open", "bra", OPENED_AT, data={"own_initiative": True}),
            step("send_inquiry", "jur", SENT_AT, document=INQUIRY),
            step("mark_dispatched", "jur", DISPATCHED_AT),
            step("receive_reply", "jur", REPLIED_AT, document=REPLY),
            step("close", "bra", CLOSED_AT, data={"outcome": "no_further_action"}),
        ],
    }


def test_import_keeps_the_real_case_number_and_numbering_continues(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    source = tmp_path / "borgerraadgiver.jsonl"
    source.write_text(json.dumps(founding_import_record()) + "\n", encoding="utf-8")
    summary = ok_json(run, "case", "import", str(source), "--json")
    assert summary == {
        "imported": [{"line": 1, "number": "2024-0283489", "state": "closed"}],
        "refused": [],
    }

    shown = ok_json(run, "case", "show", "2024-0283489", "--json")
    # an import brings the record over: its letters were written elsewhere
    people = [i for i, e in enumerate(EVENTS) if e != "render"]
    assert [e["event"] for e in shown["history"]] == [EVENTS[i] for i in people]
    assert [e["at"] for e in shown["history"]] == [AT_UTC[i] for i in people]
    assert [e["due_after"] for e in shown["history"]] == [DUE_AFTER[i] for i in people]
    assert [d["number"] for d in shown["documents"]] == [
        "2024-0283489-1",
        "2024-0283489-2",
        "2024-0283489-3",
    ]
    assert shown["data"] == {"own_initiative": True, "outcome": "no_further_action"}

    later = ok_json(
        run,
        *("case", "open", "ombudsman-inquiry", "--actor", "jur"),
        *("--title", "Klage over hjemmehjælp", "--at", "2024-11-21T09:00:00+01:00"),
        "--json",
    )
    assert later["number"] == "2024-0283490"
    next_year = ok_json(
        run,
        *("case", "open", "ombudsman-inquiry", "--actor", "jur"),
        *("--title", "Klage over visitation", "--at", "2025-01-02T09:00:00+01:00"),
        "--json",
    )
    assert next_year["number"] == "2025-0000001"


def test_import_of_the_same_number_twice_is_refused(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    source = tmp_path / "twice.jsonl"
    line = json.dumps(founding_import_record())
    source.write_text(f"{line}\n{line}\n", encoding="utf-8")
    _, out, err = run("case", "import", str(source))
    assert out.splitlines() == [
        "imported 1 case, refused 1",
        "  line 1: 2024-0283489 (closed)",
    ]
    assert err.splitlines() == ["  line 2: refused: case 2024-0283489 already exists"]


# -- workflows ----------------------------------------------------------------------

STATES = ["opened", "inquiry_sent", "awaiting_reply", "assessed", "closed"]


def test_workflow_list_json(run: Run) -> None:
    listed = ok_json(run, "workflow", "list", "--json")
    assert [w["name"] for w in listed] == ["access-to-documents", "ombudsman-inquiry"]
    inquiry = listed[1]
    assert (inquiry["version"], inquiry["source"]) == (3, "ombudsman_inquiry.yaml")
    assert inquiry["states"] == STATES
    assert {"open", "send_inquiry", "mark_dispatched", "receive_reply", "close"} <= set(
        inquiry["events"]
    )


def test_workflow_list_needs_no_database(run: Run, db_path: Path) -> None:
    text = ok(run, "workflow", "list")
    assert "ombudsman-inquiry" in text
    assert not db_path.exists()


def test_workflow_show_json(run: Run) -> None:
    shown = ok_json(run, "workflow", "show", "ombudsman-inquiry", "--json")
    assert (shown["name"], shown["version"], shown["initial"]) == (
        "ombudsman-inquiry",
        3,
        "opened",
    )
    assert shown["parties"] == ["citizen", "authority", "authority_management"]
    states = {s["name"]: s for s in shown["states"]}
    assert list(states) == STATES
    waiting = states["awaiting_reply"]
    assert waiting["kind"] == "waiting"
    assert waiting["deadline"]["until"] == "reply_by"
    assert waiting["deadline"]["within"] == {"amount": 20, "unit": "working days"}
    rungs = [r["name"] for r in waiting["ladder"]["rungs"]]
    assert rungs == ["reminder_1", "reminder_2", "escalation"]
    assert "close" in shown["events"]
    assert "text" not in shown


def test_workflow_show_text(run: Run) -> None:
    text = ok(run, "workflow", "show", "ombudsman-inquiry")
    assert text.startswith(
        "ombudsman-inquiry (version 3): Inquiry to an administration"
    )
    for state in STATES:
        assert f"  {state} " in text
    assert "roles: advisor" in text


def test_workflow_diagram_mermaid(run: Run) -> None:
    diagram = ok(run, "workflow", "diagram", "ombudsman-inquiry")
    assert diagram.startswith("stateDiagram-v2\n")
    for state in STATES:
        assert state in diagram
    assert "[*] --> opened" in diagram
    assert "assessed --> closed: close" in diagram
    assert "20 working days" in diagram
    assert "reply_by" in diagram


def test_workflow_diagram_svg(run: Run) -> None:
    argv = ("workflow", "diagram", "ombudsman-inquiry", "--format", "svg")
    diagram = ok(run, *argv, "--current", "awaiting_reply")
    assert diagram.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert diagram.rstrip().endswith("</svg>")
    for state in STATES:
        assert f'data-state="{state}"' in diagram
    assert 'aria-current="true" data-state="awaiting_reply"' in diagram
    assert "aria-current" not in ok(run, *argv)


def test_workflow_diagram_dot(run: Run) -> None:
    diagram = ok(run, "workflow", "diagram", "ombudsman-inquiry", "--format", "dot")
    assert diagram.startswith('digraph "ombudsman-inquiry" {')
    assert diagram.rstrip().endswith("}")
    for state in STATES:
        assert f'"{state}"' in diagram
    assert "20 working days" in diagram


# -- the installed console script -----------------------------------------------------


@pytest.mark.slow
def test_installed_console_script_behaves_the_same(
    run: Run, db_url: str, db_path: Path, tmp_path: Path
) -> None:
    script = shutil.which(Path(sys.executable).parent / "sagsflow")
    assert script is not None, "the sagsflow console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}

    def sagsflow(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, "--db", db_url, *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    init = sagsflow("init")
    assert (init.returncode, init.stderr) == (0, "")
    assert init.stdout.startswith(f"database {db_path} ready (schema none → ")

    ok(run, "user", "add", "jur", "--role", "caseworker")
    opened = ok_json(
        run,
        *("case", "open", "ombudsman-inquiry", "--actor", "jur"),
        *("--title", "Klage", "--at", OPENED_AT, "--json"),
    )
    before = snapshot(db_path)
    refused = sagsflow(
        *("case", "fire", opened["number"], "close", "--actor", "jur"),
        *("--data", "outcome=no_further_action"),
    )
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"sagsflow: error: case {opened['number']} cannot 'close' from state "
        "'opened'; allowed now: 'send_inquiry', 'reject', 'withdraw', 'note'\n"
    )
    assert snapshot(db_path) == before

    usage = sagsflow("case", "fire", opened["number"], "close")
    assert usage.returncode == 2
    assert usage.stderr.splitlines() == [
        "sagsflow: error: give --actor ID (who does it) (see 'sagsflow --help')"
    ]
