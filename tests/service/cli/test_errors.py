"""Every bad input: one line `sagsflow: error: ...`, an exit code, nothing written.

Exit codes (service/cli/main.py): 1 refused input or conflict, 2 command-line usage,
3 the database, 70 a bug.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from engine.logs import contains_cpr
from tests.service.conftest import (
    USERS,
    Result,
    Run,
    copy_database,
    count,
    run_quietly,
    snapshot,
)
from workflows import bundled_paths

OPENED = "2024-0000001"  # a case in state 'opened', opened 3 Oct 2024
ASSESSED = "2024-0000002"  # a case in state 'assessed', reply received 10 Nov 2024

REFUSED, USAGE, DATABASE = 1, 2, 3


def assert_one_error_line(result: Result, code: int, *fragments: str) -> str:
    """The failure shape every bad input must have; returns the message."""
    assert "Traceback" not in result.out + result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("sagsflow: error: "), result.err
    assert result.code == code, result.err
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def cases_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: users bra, jur, rev, ind; one case opened, one assessed."""
    path = tmp_path_factory.mktemp("template") / "sagsflow.db"
    db = ("--db", f"sqlite:///{path}")
    steps = [
        "init",
        *(
            f"user add {user} --role {role}" + ("" if user == "bra" else " --actor bra")
            for user, role in USERS.items()
        ),
        (
            "case open ombudsman-inquiry --actor bra --title Hjemmehjælp "
            "--party authority=Socialforvaltningen --at 2024-10-03T10:00:00+02:00"
        ),
        (
            "case open ombudsman-inquiry --actor bra --title Politianmeldelse "
            "--party authority=Socialforvaltningen --at 2024-10-03T11:00:00+02:00"
        ),
        f"case fire {ASSESSED} send_inquiry --actor jur --at 2024-10-09T10:00:00+02:00",
        f"case fire {ASSESSED} mark_dispatched --actor jur --at 2024-10-09T11:00+02:00",
        f"case fire {ASSESSED} receive_reply --actor jur --at 2024-11-10T12:00+01:00",
    ]
    for step in steps:
        code, _, err = run_quietly(*db, *step.split())
        assert (code, err) == (0, ""), err
    code, out, _ = run_quietly(*db, "case", "show", ASSESSED, "--json")
    assert json.loads(out)["state"] == "assessed"
    code, out, _ = run_quietly(*db, "case", "show", OPENED, "--json")
    assert json.loads(out)["state"] == "opened"
    return path


@pytest.fixture
def cases(cases_template: Path, db_path: Path) -> Path:
    """A fresh copy of the template at the database `run` uses."""
    copy_database(cases_template, db_path)
    return db_path


CLOSE = ("case", "fire", ASSESSED, "close")
SEND = ("case", "fire", OPENED, "send_inquiry")
OPEN = ("case", "open", "ombudsman-inquiry")
DIAGRAM = ("workflow", "diagram", "ombudsman-inquiry")
NOTE = ("case", "fire", OPENED, "note")
CLOSE_OK = (*CLOSE, "--actor", "bra", "--data", "outcome=no_further_action")
DATA_TWICE = ("--data", "own_initiative=no", "--data", "own_initiative=yes")
EMAIL_ONLY = ("--party-email", "authority=sof@kk.dk")
REPLY_BY_PAST = ("--data", "reply_by=2024-10-01", "--at", "2024-10-09T10:00+02:00")

# (argv, exit code, fragments the message must contain)
BAD_INPUTS = [
    pytest.param(
        ("case", "fire", "2024-9999999", "send_inquiry", "--actor", "jur"),
        REFUSED,
        ("no case '2024-9999999'",),
        id="unknown-case",
    ),
    pytest.param(
        ("case", "show", "2024-9999999"),
        REFUSED,
        ("no case '2024-9999999'",),
        id="show-unknown-case",
    ),
    pytest.param(
        ("case", "fire", OPENED, "close", "--actor", "bra"),
        REFUSED,
        (
            "cannot 'close' from state 'opened'",
            "allowed now: 'send_inquiry', 'reject', 'withdraw', 'note'",
        ),
        id="event-not-allowed-in-state",
    ),
    pytest.param(
        ("case", "fire", ASSESSED, "send_inquiry", "--actor", "jur"),
        REFUSED,
        ("from state 'assessed'", "allowed now: 'close', 'withdraw', 'note'"),
        id="event-not-allowed-after-reply",
    ),
    pytest.param(
        ("case", "fire", OPENED, "approve", "--actor", "bra"),
        REFUSED,
        ("'approve' is not an event of this case's workflow", "allowed now: 'send"),
        id="unknown-event",
    ),
    pytest.param(
        ("case", "list", "--state", "nosuch"),
        REFUSED,
        ("no state 'nosuch' in any workflow", "awaiting_reply"),
        id="list-unknown-state",
    ),
    pytest.param(
        ("case", "list", "--workflow", "access-to-documents", "--state", "assessed"),
        REFUSED,
        ("no state 'assessed' in access-to-documents",),
        id="list-state-of-another-workflow",
    ),
    pytest.param(
        (*CLOSE, "--actor", "jur", "--data", "outcome=no_further_action"),
        REFUSED,
        ("user 'jur' (caseworker) may not 'close'", "allowed roles: advisor"),
        id="caseworker-closes",
    ),
    pytest.param(
        (*CLOSE, "--actor", "rev", "--data", "outcome=no_further_action"),
        REFUSED,
        ("user 'rev' (auditor) may not 'close'",),
        id="auditor-closes",
    ),
    pytest.param(
        (*SEND, "--actor", "rev"),
        REFUSED,
        ("user 'rev' (auditor) may not 'send_inquiry'",),
        id="auditor-sends-inquiry",
    ),
    pytest.param(
        ("case", "fire", OPENED, "note", "--actor", "rev", "--document", "Notat"),
        REFUSED,
        ("user 'rev' (auditor) may not 'note'",),
        id="auditor-notes",
    ),
    pytest.param(
        ("case", "fire", OPENED, "withdraw", "--actor", "rev"),
        REFUSED,
        ("user 'rev' (auditor) may not 'withdraw'",),
        id="auditor-withdraws",
    ),
    pytest.param(
        (*OPEN, "--actor", "rev", "--title", "Klage"),
        REFUSED,
        ("user 'rev' (auditor) may not 'open'",),
        id="auditor-opens",
    ),
    pytest.param(
        (*SEND, "--actor", "ind"),
        REFUSED,
        ("user 'ind' (intake) may not 'send_inquiry'",),
        id="intake-sends-inquiry",
    ),
    pytest.param(
        (*SEND, "--actor", "nobody"),
        REFUSED,
        ("no user 'nobody'",),
        id="unknown-actor",
    ),
    pytest.param(
        (*OPEN, "--actor", "nobody", "--title", "Klage"),
        REFUSED,
        ("no user 'nobody'",),
        id="unknown-actor-opens",
    ),
    pytest.param(
        (*SEND, "--actor", "system"),
        REFUSED,
        ("'system' is the scheduler's own actor",),
        id="actor-system-fires",
    ),
    pytest.param(
        (*OPEN, "--actor", "system", "--title", "Klage"),
        REFUSED,
        ("'system' is the scheduler's own actor",),
        id="actor-system-opens",
    ),
    pytest.param(
        (*OPEN, "--actor", "jur", "--title", "Klage", "--data", "own_initiative=yes"),
        REFUSED,
        ("only the advisor opens a case on the office's own initiative",),
        id="caseworker-opens-own-initiative",
    ),
    pytest.param(
        (*CLOSE, "--actor", "bra"),
        REFUSED,
        ("'close' needs 'outcome'", "no_further_action"),
        id="close-without-outcome",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--data", "priority=high"),
        REFUSED,
        ("'send_inquiry' takes no field 'priority'", "reply_by"),
        id="unknown-data-key",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--data", "reply_by=13-10-2024"),
        REFUSED,
        ("'reply_by'", "'13-10-2024' is not a date"),
        id="mistyped-date",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--data", "reply_by=2024-02-30"),
        REFUSED,
        ("'2024-02-30' is not a date",),
        id="impossible-date",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", *REPLY_BY_PAST),
        REFUSED,
        ("'reply_by' 2024-10-01 lies before",),
        id="reply-by-before-sending",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--data", "own_initiative=maybe"),
        REFUSED,
        ("'own_initiative'", "'maybe' is not true or false"),
        id="mistyped-bool",
    ),
    pytest.param(
        (*CLOSE, "--actor", "bra", "--data", "outcome=praise"),
        REFUSED,
        ("'praise' is not allowed", "no_further_action"),
        id="choice-value-not-allowed",
    ),
    pytest.param(
        (*CLOSE, "--actor", "bra", "--data", "outcome=criticism"),
        REFUSED,
        ("'severity' is required when outcome is 'criticism'", "mild"),
        id="criticism-without-severity",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--data", "reply_by"),
        REFUSED,
        ("--data 'reply_by': write KEY=VALUE",),
        id="data-without-equals",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--data", "=2024-11-01"),
        REFUSED,
        ("write KEY=VALUE",),
        id="data-without-key",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", *DATA_TWICE),
        REFUSED,
        ("'own_initiative' given twice",),
        id="data-key-twice",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--party", "judge=Byretten"),
        REFUSED,
        ("no party role 'judge'", "citizen, authority, authority_management"),
        id="undeclared-party-role",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--party", "authority"),
        REFUSED,
        ("--party 'authority': write KEY=VALUE",),
        id="party-without-equals",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--party", "authority="),
        REFUSED,
        ("party 'authority' needs a name",),
        id="party-without-name",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", *EMAIL_ONLY),
        REFUSED,
        ("--party-email authority=...: give --party authority=NAME too",),
        id="party-email-without-party",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage fra 0101901234"),
        REFUSED,
        ("a case title must not hold a CPR number",),
        id="cpr-in-title",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage fra 010190-1234"),
        REFUSED,
        ("a case title must not hold a CPR number",),
        id="cpr-with-dash-in-title",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--document", "Brev 0101901234"),
        REFUSED,
        ("a document title must not hold a CPR number",),
        id="cpr-in-opening-document",
    ),
    pytest.param(
        (*NOTE, "--actor", "jur", "--document", "Telefonnotat, 010190-1234"),
        REFUSED,
        ("a document title must not hold a CPR number",),
        id="cpr-with-dash-in-document",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "   "),
        REFUSED,
        ("a case needs a title",),
        id="blank-title",
    ),
    pytest.param(
        ("case", "fire", OPENED, "note", "--actor", "jur", "--document", " "),
        REFUSED,
        ("a document needs a title",),
        id="blank-document",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "yesterday"),
        REFUSED,
        ("--at 'yesterday' does not parse", "ISO 8601"),
        id="at-yesterday",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "2025-03-30T02:30"),
        REFUSED,
        ("--at '2025-03-30T02:30' does not exist in Copenhagen", "summer time"),
        id="at-skipped-by-the-clock",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "2025-10-26T02:30"),
        REFUSED,
        ("--at '2025-10-26T02:30' happens twice", "+02:00", "+01:00"),
        id="at-shown-twice",
    ),
    pytest.param(
        ("sweep", "--now", "2025-03-30T02:30"),
        REFUSED,
        ("--now '2025-03-30T02:30' does not exist in Copenhagen",),
        id="now-skipped-by-the-clock",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "2024-13-01"),
        REFUSED,
        ("--at '2024-13-01' does not parse",),
        id="at-month-13",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--at", "2024-10-32T10:00"),
        REFUSED,
        ("--at '2024-10-32T10:00' does not parse",),
        id="open-at-day-32",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "0001-01-01"),
        REFUSED,
        ("--at '0001-01-01' is out of range",),
        id="at-year-1",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "9999-12-31T23:00:00-05:00"),
        REFUSED,
        ("--at '9999-12-31T23:00:00-05:00' is out of range",),
        id="at-past-year-9999-in-utc",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "2099-01-01T10:00:00+01:00"),
        REFUSED,
        ("lies in the future",),
        id="at-in-the-future",
    ),
    pytest.param(
        (*OPEN, "--actor", "bra", "--title", "Klage", "--at", "2099-01-01"),
        REFUSED,
        ("lies in the future",),
        id="open-at-in-the-future",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--at", "2024-10-01T10:00:00+02:00"),
        REFUSED,
        ("lies before the case's last step",),
        id="at-before-last-entry",
    ),
    pytest.param(
        (*CLOSE_OK, "--at", "2024-11-10T11:59:59+01:00"),
        REFUSED,
        ("lies before the case's last step",),
        id="at-a-second-before-last-entry",
    ),
    pytest.param(
        ("case", "show", OPENED, "--now", "nope"),
        REFUSED,
        ("--now 'nope' does not parse",),
        id="show-now-does-not-parse",
    ),
    pytest.param(
        ("case", "list", "--overdue", "--now", "2024-11-31"),
        REFUSED,
        ("--now '2024-11-31' does not parse",),
        id="list-now-does-not-parse",
    ),
    pytest.param(
        ("case", "list", "--workflow", "nosuch"),
        REFUSED,
        ("no workflow 'nosuch'", "access-to-documents, ombudsman-inquiry"),
        id="list-unknown-workflow",
    ),
    pytest.param(
        ("workflow", "show", "nosuch"),
        REFUSED,
        ("no workflow 'nosuch'",),
        id="show-unknown-workflow",
    ),
    pytest.param(
        ("workflow", "diagram", "nosuch"),
        REFUSED,
        ("no workflow 'nosuch'",),
        id="diagram-unknown-workflow",
    ),
    pytest.param(
        ("case", "open", "nosuch", "--actor", "bra", "--title", "Klage"),
        REFUSED,
        ("no workflow 'nosuch'",),
        id="open-unknown-workflow",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--expect-version", "7"),
        REFUSED,
        ("since version 7", "now at version 1", "nothing was written"),
        id="stale-expect-version",
    ),
    pytest.param(
        (*CLOSE_OK, "--expect-version", "3"),
        REFUSED,
        # open, send_inquiry, its letter rendered, mark_dispatched, receive_reply
        ("since version 3", "now at version 5"),
        id="stale-expect-version-on-close",
    ),
    pytest.param(
        ("user", "add", "chef", "--role", "boss", "--actor", "bra"),
        REFUSED,
        ("unknown role 'boss'",),
        id="user-unknown-role",
    ),
    pytest.param(
        ("user", "add", "jur", "--role", "caseworker", "--actor", "bra"),
        REFUSED,
        ("user 'jur' already exists",),
        id="user-duplicate-id",
    ),
    pytest.param(
        ("user", "add", "system", "--role", "advisor", "--actor", "bra"),
        REFUSED,
        ("'system' is the scheduler's built-in user",),
        id="user-id-system",
    ),
    pytest.param(
        ("user", "add", "robot", "--role", "system", "--actor", "bra"),
        REFUSED,
        ("'system' is the scheduler's built-in user and role",),
        id="user-role-system",
    ),
    pytest.param(
        ("user", "add", " ", "--role", "advisor", "--actor", "bra"),
        REFUSED,
        ("user id '' must be 1-64 letters",),
        id="user-blank-id",
    ),
    pytest.param(
        ("audit", "log", "--since", "2024-11-15", "--until", "2024-11-01"),
        REFUSED,
        ("must not start after it ends: --since '2024-11-15' is after --until",),
        id="audit-since-after-until",
    ),
    pytest.param(
        ("audit", "log", "--since", "2024-11-15T10:00", "--until", "2024-11-15T09:59"),
        REFUSED,
        ("--since '2024-11-15T10:00' is after --until '2024-11-15T09:59'",),
        id="audit-since-after-until-same-day",
    ),
    pytest.param(
        ("audit", "log", "--until", "2025-03-30T02:30"),
        REFUSED,
        ("--until '2025-03-30T02:30' does not exist in Copenhagen",),
        id="audit-until-does-not-exist",
    ),
    pytest.param(
        ("audit", "log", "--since", "last week"),
        REFUSED,
        ("--since 'last week' does not parse",),
        id="audit-since-does-not-parse",
    ),
    pytest.param(
        ("audit", "log", "2024-9999999"),
        REFUSED,
        ("no case '2024-9999999'",),
        id="audit-unknown-case",
    ),
    pytest.param(
        ("case", "import", "no-such-file.jsonl"),
        REFUSED,
        ("no-such-file.jsonl: No such file or directory",),
        id="import-missing-file",
    ),
    pytest.param(
        ("case", "fire", OPENED, "send_inquiry"),
        USAGE,
        ("give --actor ID (who does it)",),
        id="missing-actor",
    ),
    pytest.param(
        (*OPEN, "--title", "Klage"),
        USAGE,
        ("give --actor ID (who does it)",),
        id="open-missing-actor",
    ),
    pytest.param(
        ("case", "fire", OPENED),
        USAGE,
        ("Missing argument 'EVENT'",),
        id="missing-event",
    ),
    pytest.param(
        ("case", "reopen-all"),
        USAGE,
        ("No such command 'reopen-all'",),
        id="unknown-subcommand",
    ),
    pytest.param(
        ("frobnicate",),
        USAGE,
        ("No such command 'frobnicate'",),
        id="unknown-command",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--urgent"),
        USAGE,
        ("No such option '--urgent'",),
        id="unknown-option",
    ),
    pytest.param(
        (*SEND, "--actor", "jur", "--expect-version", "one"),
        USAGE,
        ("'--expect-version'", "'one' is not a valid integer"),
        id="expect-version-not-a-number",
    ),
    pytest.param(
        ("case", "list", "--limit", "0"),
        USAGE,
        ("'--limit'",),
        id="limit-zero",
    ),
    pytest.param(
        ("workflow", "diagram", "ombudsman-inquiry", "--format", "png"),
        USAGE,
        ("'--format'", "'png'"),
        id="diagram-unknown-format",
    ),
    pytest.param(
        (*DIAGRAM, "--current", "opened"),
        USAGE,
        ("--current needs --format svg",),
        id="diagram-current-without-svg",
    ),
    pytest.param(
        (*DIAGRAM, "--format", "svg", "--current", "x"),
        REFUSED,
        ("'x' is not a state of ombudsman-inquiry@3",),
        id="diagram-unknown-current-state",
    ),
    pytest.param(
        ("audit", "log", "--format", "xml"),
        USAGE,
        ("'--format'", "'xml'"),
        id="audit-unknown-format",
    ),
]


@pytest.mark.parametrize(("argv", "code", "fragments"), BAD_INPUTS)
def test_bad_input_is_one_error_line_and_changes_nothing(
    run: Run,
    cases: Path,
    argv: tuple[str, ...],
    code: int,
    fragments: tuple[str, ...],
) -> None:
    before = snapshot(cases)
    assert_one_error_line(run(*argv), code, *fragments)
    assert snapshot(cases) == before


@pytest.mark.parametrize(
    "argv",
    [
        ("case", "show", "010190-1234"),
        ("case", "fire", "0101901234", "note", "--actor", "jur"),
        ("audit", "log", "010190-1234"),
        ("user", "add", "010190-1234", "--role", "caseworker", "--actor", "bra"),
    ],
    ids=["show", "fire", "audit-log", "user-id"],
)
def test_a_cpr_number_given_is_not_echoed_in_the_error(
    run: Run, cases: Path, argv: tuple[str, ...]
) -> None:
    before = snapshot(cases)
    result = run(*argv)
    assert result.code == REFUSED, result.err
    assert not contains_cpr(result.err + result.out)
    assert snapshot(cases) == before


def test_refused_close_then_the_same_close_by_the_advisor_succeeds(
    run: Run, cases: Path
) -> None:
    """A refusal leaves no trace: the next step still gets the next version."""
    refused = run(*CLOSE, "--actor", "jur", "--data", "outcome=no_further_action")
    assert_one_error_line(refused, REFUSED)
    code, out, err = run(
        *CLOSE, "--actor", "bra", "--data", "outcome=no_further_action", "--json"
    )
    assert (code, err) == (0, "")
    shown = json.loads(out)
    # each letter (the inquiry's, the close's) is rendered in an entry of its own
    assert (shown["state"], shown["version"]) == ("closed", 7)
    assert [e["seq"] for e in shown["history"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [e["event"] for e in shown["history"]] == [
        "open", "send_inquiry", "render", "mark_dispatched", "receive_reply",
        "close", "render",
    ]  # fmt: skip


@pytest.mark.parametrize(("offset", "utc"), [("+02:00", "00:30"), ("+01:00", "01:30")])
def test_a_time_shown_twice_is_taken_with_its_offset(
    run: Run, cases: Path, offset: str, utc: str
) -> None:
    """02:30 on 26 October 2025 happens twice; with its offset it is one time."""
    code, out, err = run(*SEND, "--actor", "jur", "--at", f"2025-10-26T02:30{offset}")
    assert (code, err) == (0, "")
    code, out, err = run("case", "show", OPENED, "--json")
    [sent] = [e for e in json.loads(out)["history"] if e["event"] == "send_inquiry"]
    assert sent["at"] == f"2025-10-26T{utc}:00+00:00"


# -- settings from the environment ---------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        pytest.param(
            "SAGSFLOW_LOG_FORMAT", "xml", "must be 'json' or 'console'", id="log-format"
        ),
        pytest.param(
            "SAGSFLOW_LOG_LEVEL", "chatty", "unknown log level name", id="log-level"
        ),
    ],
)
def test_bad_setting_is_refused(
    run: Run,
    cases: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    fragment: str,
) -> None:
    before = snapshot(cases)
    monkeypatch.setenv(name, value)
    assert_one_error_line(run("case", "list"), REFUSED, name, fragment)
    assert snapshot(cases) == before


def test_bad_sqlite_synchronous_setting_is_refused(
    run: Run, cases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(cases)
    monkeypatch.setenv("SAGSFLOW_SQLITE_SYNCHRONOUS", "sometimes")
    assert_one_error_line(
        run("case", "list"), REFUSED, "SAGSFLOW_SQLITE_SYNCHRONOUS", "FULL"
    )
    assert snapshot(cases) == before


# -- the database ----------------------------------------------------------------


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(("case", "list"), id="case-list"),
        pytest.param(("user", "add", "bra", "--role", "advisor"), id="user-add"),
        pytest.param(("user", "list"), id="user-list"),
        pytest.param(("audit", "log"), id="audit-log"),
        pytest.param(
            (*OPEN, "--actor", "bra", "--title", "Klage", "--at", "2024-10-03"),
            id="case-open",
        ),
    ],
)
def test_command_on_a_database_that_does_not_exist_creates_nothing(
    run: Run, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    missing = tmp_path / "missing.db"
    result = run(*argv, db=f"sqlite:///{missing}")
    assert_one_error_line(result, DATABASE, "no database at", "run 'sagsflow init'")
    assert list(tmp_path.iterdir()) == []


def test_init_in_a_folder_that_does_not_exist(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "nosuch" / "sagsflow.db"
    result = run("init", db=f"sqlite:///{target}")
    assert_one_error_line(result, DATABASE, "the folder", "does not exist")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(("init",), id="init"),
        pytest.param(("case", "list"), id="case-list"),
        pytest.param(("user", "add", "bra", "--role", "advisor"), id="user-add"),
        pytest.param(("audit", "log"), id="audit-log"),
    ],
)
def test_a_file_that_is_not_a_database_is_left_alone(
    run: Run, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(bytes(range(256)) * 16 + b"Journal, ikke en database\n")
    before = files_in(tmp_path)
    result = run(*argv, db=f"sqlite:///{garbage}")
    assert_one_error_line(result, DATABASE, "file is not a database")
    assert files_in(tmp_path) == before


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        pytest.param("notaurl://x", "unknown kind of database 'notaurl'", id="scheme"),
        pytest.param("not a url", "'not a url' is not a database URL", id="no-scheme"),
        pytest.param(
            "mysql://u@127.0.0.1/x",
            "cannot use database 'mysql://u@127.0.0.1/x'",
            id="driver-not-installed",
        ),
    ],
)
@pytest.mark.parametrize("command", ["init", "case list"])
def test_database_url_that_cannot_be_used(
    run: Run, url: str, fragment: str, command: str
) -> None:
    assert_one_error_line(run(*command.split(), db=url), DATABASE, fragment)


def test_database_url_from_the_environment_is_used(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SAGSFLOW_DATABASE_URL applies when --db is not given."""
    missing = tmp_path / "from-env.db"
    monkeypatch.setenv("SAGSFLOW_DATABASE_URL", f"sqlite:///{missing}")
    result = run("case", "list", db=None)
    assert_one_error_line(result, DATABASE, str(missing))
    assert not missing.exists()


def make_foreign_database(path: Path) -> None:
    """A SQLite database made by someone else, without the sagsflow schema."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE kontakter (navn TEXT, telefon TEXT)")
        conn.execute("INSERT INTO kontakter VALUES ('Borgerrådgiveren', '33663366')")
        conn.commit()


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(("case", "list"), id="case-list"),
        pytest.param(("user", "add", "bra", "--role", "advisor"), id="user-add"),
        pytest.param(("audit", "log"), id="audit-log"),
        pytest.param(
            (*OPEN, "--actor", "bra", "--title", "Klage", "--at", "2024-10-03"),
            id="case-open",
        ),
    ],
)
def test_database_without_the_sagsflow_schema(
    run: Run, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    foreign = tmp_path / "foreign.db"
    make_foreign_database(foreign)
    before = snapshot(foreign)
    result = run(*argv, db=f"sqlite:///{foreign}")
    assert_one_error_line(result, DATABASE, "no sagsflow schema", "sagsflow init")
    assert snapshot(foreign) == before


def test_empty_sqlite_file_has_no_sagsflow_schema(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert empty.exists()
    result = run("case", "list", db=f"sqlite:///{empty}")
    assert_one_error_line(result, DATABASE, "no sagsflow schema")
    assert snapshot(empty) == {}


def test_database_without_the_sagsflow_schema_is_byte_for_byte_unchanged(
    run: Run, tmp_path: Path
) -> None:
    """Not even the journal mode of someone else's file changes (no -wal files)."""
    foreign = tmp_path / "foreign.db"
    make_foreign_database(foreign)
    before = files_in(tmp_path)
    result = run("case", "list", db=f"sqlite:///{foreign}")
    assert_one_error_line(result, DATABASE, "no sagsflow schema")
    assert files_in(tmp_path) == before


# -- office workflow files and calendars ------------------------------------------

GOOD_WORKFLOW = """\
name: complaint
version: 1
title: Complaint about a department
parties: [citizen]
states:
  received: {kind: initial}
  closed: {kind: final}
open:
  to: received
  roles: [intake, caseworker]
transitions:
  - event: close
    from: received
    to: closed
    roles: [caseworker]
"""

# Line 10 names an unknown role, line 16 an unknown guard.
BAD_WORKFLOW = GOOD_WORKFLOW.replace("roles: [intake, caseworker]", "roles: [clerk]")
BAD_WORKFLOW_TWO = BAD_WORKFLOW + "    guards: [always_yes]\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_workflow_fixtures_say_what_they_claim() -> None:
    assert BAD_WORKFLOW.splitlines()[9] == "  roles: [clerk]"
    assert BAD_WORKFLOW_TWO.splitlines()[15] == "    guards: [always_yes]"


def test_office_workflow_file_is_loaded_from_the_environment(
    run: Run, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SAGSFLOW_WORKFLOWS", str(write(tmp_path / "c.yaml", GOOD_WORKFLOW))
    )
    code, out, err = run("workflow", "list", "--json")
    assert (code, err) == (0, "")
    names = [w["name"] for w in json.loads(out)]
    assert names == ["access-to-documents", "complaint", "ombudsman-inquiry"]


@pytest.mark.parametrize("command", ["case list", "workflow list", "init"])
def test_invalid_office_workflow_file_is_refused_naming_file_and_line(
    run: Run,
    cases: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    bad = write(tmp_path / "bad.yaml", BAD_WORKFLOW)
    monkeypatch.setenv("SAGSFLOW_WORKFLOWS", str(bad))
    before = snapshot(cases)
    result = run(*command.split())
    assert_one_error_line(
        result, REFUSED, "invalid workflow", "bad.yaml:10:", "unknown role 'clerk'"
    )
    assert snapshot(cases) == before


def test_missing_office_workflow_file_is_refused(
    run: Run, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_WORKFLOWS", str(tmp_path / "nosuch.yaml"))
    code, out, err = run("case", "list")
    assert (code, out) == (REFUSED, "")
    assert err.startswith("sagsflow: error: ")
    assert "nosuch.yaml: no such workflow file or folder" in err


def test_validate_good_file(run: Run, tmp_path: Path) -> None:
    good = write(tmp_path / "complaint.yaml", GOOD_WORKFLOW)
    code, out, err = run("workflow", "validate", str(good), db=None)
    assert (code, err) == (0, "")
    assert out == f"ok: {good} (complaint version 1, 2 states, 2 events)\n"


def test_validate_bundled_folder(run: Run) -> None:
    folder = bundled_paths()[0].parent
    code, out, err = run("workflow", "validate", str(folder), db=None)
    assert (code, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()] == ["ok:", "ok:"]


def test_validate_bad_file_lists_every_problem_on_its_own_line(
    run: Run, tmp_path: Path
) -> None:
    bad = write(tmp_path / "bad.yaml", BAD_WORKFLOW_TWO)
    _, out, err = run("workflow", "validate", str(bad), db=None)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("bad.yaml:10: ")
    assert "unknown role 'clerk'" in lines[0]
    assert lines[1].startswith("bad.yaml:16: ")
    assert "always_yes" in lines[1]


def test_validate_file_that_is_not_yaml(run: Run, tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.yaml", "name: x\nstates: [\n")
    _, out, err = run("workflow", "validate", str(broken), db=None)
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("broken.yaml:")
    assert "not valid YAML" in err


def test_validate_bad_file_exits_1(run: Run, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.yaml", BAD_WORKFLOW)
    code, _, _ = run("workflow", "validate", str(bad), db=None)
    assert code == REFUSED


def test_validate_folder_with_one_bad_file_exits_1(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "a_good.yaml", GOOD_WORKFLOW)
    write(tmp_path / "b_bad.yaml", BAD_WORKFLOW)
    code, out, err = run("workflow", "validate", str(tmp_path), db=None)
    assert out.startswith("ok: ")
    assert err.startswith("b_bad.yaml:10: ")
    assert code == REFUSED


@pytest.mark.parametrize(
    ("what", "fragment"),
    [
        pytest.param("nosuch", "no such file or folder", id="missing"),
        pytest.param("empty-folder", "no workflow files", id="empty-folder"),
    ],
)
def test_validate_nothing_to_validate(
    run: Run, tmp_path: Path, what: str, fragment: str
) -> None:
    target = tmp_path / what
    if what == "empty-folder":
        target.mkdir()
    result = run("workflow", "validate", str(target), db=None)
    assert_one_error_line(result, REFUSED, fragment)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        pytest.param(
            "name: kk\nclosed_days: ['13-45']\n",
            ("cal.yaml", "closed_days[0]", "'13-45' is not a valid MM-DD day"),
            id="bad-day",
        ),
        pytest.param(
            "name: kk\nopen_dates: [2024-12-25]\n",
            ("cal.yaml", "open_dates[0]", "cannot be opened"),
            id="opens-a-holiday",
        ),
        pytest.param(
            "name: kk\nholidays: [2024-05-01]\n",
            ("cal.yaml", "unknown key 'holidays'"),
            id="unknown-key",
        ),
        pytest.param(
            "- 06-05\n- 12-24\n",
            ("cal.yaml", "expected a mapping"),
            id="not-a-mapping",
        ),
    ],
)
def test_invalid_office_calendar_is_refused(
    run: Run,
    cases: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    fragments: tuple[str, ...],
) -> None:
    monkeypatch.setenv("SAGSFLOW_CALENDAR", str(write(tmp_path / "cal.yaml", text)))
    before = snapshot(cases)
    result = run(*SEND, "--actor", "jur", "--at", "2024-10-09T10:00:00+02:00")
    assert_one_error_line(result, REFUSED, "calendar file", *fragments)
    assert snapshot(cases) == before


def test_missing_office_calendar_is_refused(
    run: Run, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_CALENDAR", str(tmp_path / "nosuch.yaml"))
    result = run("case", "list")
    assert_one_error_line(result, REFUSED, "calendar file", "nosuch.yaml")


def test_office_calendar_that_is_not_yaml_is_one_error_line(
    run: Run, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cal = write(tmp_path / "cal.yaml", "name: kk\nclosed_days: [06-05\n")
    monkeypatch.setenv("SAGSFLOW_CALENDAR", str(cal))
    assert_one_error_line(run("case", "list"), REFUSED, "calendar file")


# -- case import --------------------------------------------------------------------


def event(name: str, actor: str, at: str, **extra: object) -> dict[str, object]:
    return {"event": name, "actor": actor, "at": at, **extra}


IMPORT_LINES = [
    {  # line 1: good
        "workflow": "ombudsman-inquiry",
        "title": "Klage over sagsbehandlingstid",
        "parties": {"authority": "Beskæftigelsesforvaltningen"},
        "events": [
            event("open", "jur", "2024-09-02T09:00:00+02:00"),
            event(
                "send_inquiry",
                "jur",
                "2024-09-03T09:00:00+02:00",
                document="Høring om sagsbehandlingstid",
            ),
        ],
    },
    "this line is not JSON",  # line 2
    {  # line 3: unknown workflow
        "workflow": "parking-fines",
        "title": "Parkeringsafgift",
        "events": [event("open", "jur", "2024-09-04T09:00:00+02:00")],
    },
    {  # line 4: the third event is not allowed in the state the second one left
        "workflow": "ombudsman-inquiry",
        "title": "Klage over afslag",
        "parties": {"authority": "Socialforvaltningen"},
        "events": [
            event("open", "bra", "2024-09-05T09:00:00+02:00", document="Klagen"),
            event("send_inquiry", "jur", "2024-09-06T09:00:00+02:00"),
            event(
                "close",
                "bra",
                "2024-09-07T09:00:00+02:00",
                data={"outcome": "no_further_action"},
            ),
        ],
    },
    {  # line 5: good
        "workflow": "access-to-documents",
        "title": "Aktindsigt i sag om hjemmehjælp",
        "parties": {"requester": "Journalist"},
        "events": [event("open", "ind", "2024-09-09T09:00:00+02:00")],
    },
]


def write_import(path: Path) -> Path:
    lines = [x if isinstance(x, str) else json.dumps(x) for x in IMPORT_LINES]
    return write(path, "\n".join(lines) + "\n")


def test_import_reports_refused_lines_and_keeps_the_good_ones(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    before = snapshot(initialised)
    code, out, err = run("case", "import", str(write_import(tmp_path / "in.jsonl")))
    assert code == REFUSED
    assert "Traceback" not in out + err
    assert out.splitlines() == [
        "imported 2 cases, refused 3",
        "  line 1: 2024-0000001 (inquiry_sent)",
        "  line 5: 2024-0000002 (received)",
    ]
    refused = err.splitlines()
    assert len(refused) == 3, err
    assert refused[0].startswith("  line 2: refused: not JSON")
    assert refused[1].startswith("  line 3: refused: no workflow 'parking-fines'")
    assert refused[2].startswith("  line 4: refused: ")
    assert "cannot 'close' from state 'inquiry_sent'" in refused[2]

    after = snapshot(initialised)
    assert after["app_user"] == before["app_user"]
    assert count(initialised, "SELECT count(*) FROM wf_case") == 2
    titles = {row[0] for row in _rows(initialised, "SELECT title FROM wf_case")}
    assert titles == {
        "Klage over sagsbehandlingstid",
        "Aktindsigt i sag om hjemmehjælp",
    }
    audited = _rows(initialised, "SELECT DISTINCT case_number FROM audit_entry")
    assert {r[0] for r in audited} == {"2024-0000001", "2024-0000002"}
    assert count(initialised, "SELECT count(*) FROM audit_entry") == 3
    journal = _rows(initialised, "SELECT number, title FROM document ORDER BY number")
    assert journal == [
        ("2024-0000001-1", "Høring om sagsbehandlingstid"),
        ("2024-0000002-1", "Anmodning om aktindsigt"),  # the default title, labelled
    ]


def test_import_json_summary(run: Run, initialised: Path, tmp_path: Path) -> None:
    _, out, err = run(
        "case", "import", str(write_import(tmp_path / "in.jsonl")), "--json"
    )
    summary = json.loads(out)
    assert summary["imported"] == [
        {"line": 1, "number": "2024-0000001", "state": "inquiry_sent"},
        {"line": 5, "number": "2024-0000002", "state": "received"},
    ]
    assert [r["line"] for r in summary["refused"]] == [2, 3, 4]
    assert "Traceback" not in err


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_import_with_refused_lines_exits_1(
    run: Run, initialised: Path, tmp_path: Path, as_json: bool
) -> None:
    argv = ["case", "import", str(write_import(tmp_path / "in.jsonl"))]
    code, _, _ = run(*argv, *(["--json"] if as_json else []))
    assert code == REFUSED


def test_import_of_only_good_lines_exits_0(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    good = [IMPORT_LINES[0], IMPORT_LINES[4]]
    path = write(tmp_path / "in.jsonl", "\n".join(json.dumps(x) for x in good))
    code, out, err = run("case", "import", str(path))
    assert (code, err) == (0, "")
    assert out.startswith("imported 2 cases, refused 0\n")


def test_import_of_a_file_that_is_not_text(
    run: Run, initialised: Path, tmp_path: Path
) -> None:
    binary = tmp_path / "in.jsonl"
    binary.write_bytes(b"\xff\xfe\x00{")
    before = snapshot(initialised)
    result = run("case", "import", str(binary))
    assert_one_error_line(result, REFUSED, "not UTF-8 text")
    assert snapshot(initialised) == before


def _rows(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute(sql).fetchall()


# -- refusals on a database where nothing has been recorded yet ---------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(
            ("case", "fire", "2024-9999999", "send_inquiry", "--actor", "jur"),
            id="fire-unknown-case",
        ),
        pytest.param(
            (*OPEN, "--actor", "bra", "--title", "Klage fra 010190-1234"),
            id="open-cpr-in-title",
        ),
        pytest.param((*OPEN, "--actor", "rev", "--title", "Klage"), id="open-auditor"),
    ],
)
def test_refusal_on_a_fresh_database_writes_nothing(
    run: Run, initialised: Path, argv: tuple[str, ...]
) -> None:
    before = snapshot(initialised)
    assert_one_error_line(run(*argv), REFUSED)
    assert snapshot(initialised) == before
