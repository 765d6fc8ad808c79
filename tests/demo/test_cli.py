"""`sagsflow demo`: a demo office from nothing, deterministic, verified, chased
right; other databases left untouched; bad input refused in one line.

The CLI reads the real clock, so the offices here end on a fixed day in the
past (START) and reports and sweeps are asked as of fixed moments (`--now`).
The `--serve` test runs the console script with a real SMTP sink and stops it
with SIGTERM once mail has gone out; it waits on the process's output with a
timeout, never sleeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.demo.records import really_overdue
from tests.demo.records import snapshot as table_snapshot
from tests.postgres import create_database, drop_database, require_admin_url
from tests.service.conftest import Run, copy_database, run_quietly, snapshot

START = "2026-03-02"  # a Monday; the offices' records end on Sunday 1 March
SWEEP_ON = "2026-03-20"  # three weeks on, nobody having acted
REPORT_AT = "2026-03-02T12:00"
SAGSFLOW = Path(sys.executable).with_name("sagsflow")
WAIT_S = 60.0


def _demo(run: Run, *options: str, db: str | None = None) -> None:
    """A 300-case office, seed 7, ending on START (in `db`, else the test's)."""
    argv = ("demo", "--cases", "300", "--seed", "7", "--start", START, *options)
    code, out, err = run(*argv) if db is None else run(*argv, db=db)
    assert code == 0, err
    assert "Demo office ready in" in out


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The office `demo_db` copies, made once for the module."""
    path = tmp_path_factory.mktemp("demo") / "template.db"
    argv = ("demo", "--cases", "300", "--seed", "7", "--start", START)
    code, out, err = run_quietly("--db", f"sqlite:///{path}", *argv)
    assert code == 0, err
    assert "Demo office ready in" in out
    return path


@pytest.fixture
def demo_db(demo_template: Path, db_path: Path) -> Path:
    """A 300-case demo office (seed 7) ending on START, the test's own copy."""
    copy_database(demo_template, db_path)
    return db_path


# -- the office ------------------------------------------------------------------------
def test_the_same_options_twice_give_the_same_report_and_the_same_database(
    run: Run, demo_db: Path, tmp_path: Path
) -> None:
    other = tmp_path / "again.db"
    _demo(run, db=f"sqlite:///{other}")
    reports = [
        run("report", "--json", "--now", REPORT_AT, db=f"sqlite:///{path}")
        for path in (demo_db, other)
    ]
    assert reports[0].code == 0, reports[0].err
    assert reports[0] == reports[1]
    figures = json.loads(reports[0].out)
    assert figures["cases_opened"] == 300
    assert figures["open_now"]["total"] > 0
    first, second = snapshot(demo_db), snapshot(other)
    assert first.keys() == second.keys()
    for table in first:
        if table != "db_setting":  # holds when each office was made
            assert first[table] == second[table], table
    assert [row[:2] for row in first["db_setting"]] == [
        row[:2] for row in second["db_setting"]
    ]


def test_the_summary_counts_the_office_and_says_what_to_try_next(
    run: Run, db_url: str
) -> None:
    code, out, _ = run("demo", "--cases", "120", "--seed", "3", "--start", START)
    assert code == 0
    assert "the founding case 2024-0283489 and 120 synthetic cases (seed 3)" in out
    assert "from 2025-03-02 to the end of 2026-03-01" in out
    # in Danish by default, the workflows and their states in their labels
    assert "Henvendelse til en forvaltning" in out  # ombudsman-inquiry
    assert "Anmodning om aktindsigt" in out  # access-to-documents
    assert "over fristen nu (" in out
    assert "åbne sager pr. ansvarlig: jur " in out
    assert "Prøv derefter" in out
    assert f"export SAGSFLOW_DATABASE_URL={db_url}" in out
    for command in (
        "case list --overdue",
        "case show 2024-0283489",
        "sweep",
        "report",
        "audit verify",
        "demo --serve",
    ):
        assert f"sagsflow {command} " in out


def test_the_demo_office_verifies(run: Run, demo_db: Path) -> None:
    code, out, err = run("audit", "verify")
    assert (code, err) == (0, "")
    assert out.startswith("verified: 301 cases, ")


def test_a_sweep_chases_the_cases_really_overdue_and_nothing_else(
    run: Run, demo_db: Path
) -> None:
    expected = really_overdue(f"sqlite:///{demo_db}", date.fromisoformat(SWEEP_ON))
    assert len(expected) >= 10
    code, out, err = run("sweep", "--json", "--now", f"{SWEEP_ON}T09:00", "--force")
    assert (code, err) == (0, "")
    chased = {c["number"]: c["rung"] for c in json.loads(out)["chased"]}
    assert chased == expected


def test_the_founding_case_is_in_the_office(run: Run, demo_db: Path) -> None:
    code, out, _ = run("case", "show", "2024-0283489", "--actor", "rev")
    assert code == 0
    assert "Politianmeldelse af borger for digital chikane (egen drift)" in out
    # in Danish, the default: closed and no_further_action in their labels
    assert "Afsluttet (siden 2024-11-20 11:00 +01:00)" in out
    assert "Udfald      Ikke anledning til videre foranstaltning" in out


def test_by_default_a_file_of_its_own_in_the_working_directory(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("demo", "--cases", "5", "--start", START, db=None)
    assert code == 0, err
    assert (tmp_path / "sagsflow-demo.db").exists()
    assert not (tmp_path / "sagsflow.db").exists()  # an office's real database
    assert "export SAGSFLOW_DATABASE_URL=sqlite:///sagsflow-demo.db" in out


# -- an existing database --------------------------------------------------------------
def test_a_demo_office_is_shown_again_refused_with_other_options_or_replaced(
    run: Run, demo_db: Path
) -> None:
    made = snapshot(demo_db)
    code, out, err = run("demo")
    assert (code, err) == (0, "")
    assert "holds the demo office made with --cases 300 --seed 7 --start" in out
    assert "Prøv derefter" in out
    assert snapshot(demo_db) == made

    code, _, err = run("demo", "--cases", "50")
    assert code == 1
    assert err.count("\n") == 1
    assert "add --replace to make one with --cases 50" in err
    assert snapshot(demo_db) == made

    code, out, err = run("demo", "--cases", "50", "--start", START, "--replace")
    assert code == 0, err
    assert "and 50 synthetic cases" in out
    assert len(snapshot(demo_db)["wf_case"]) == 51


def test_an_unfinished_demo_office_is_refused_unless_replaced(
    run: Run, demo_db: Path
) -> None:
    with sqlite3.connect(demo_db) as conn:
        conn.execute("DELETE FROM db_setting WHERE key = 'demo.finished'")
    code, _, err = run("demo")
    assert code == 1
    assert "never finished (interrupted?): add --replace" in err
    code, _, err = run("demo", "--cases", "10", "--start", START, "--replace")
    assert code == 0, err


def test_a_sagsflow_database_that_is_not_a_demo_is_left_untouched(
    run: Run, initialised: Path
) -> None:
    before = snapshot(initialised)
    for options in ((), ("--replace",), ("--replace", "--cases", "5")):
        code, out, err = run("demo", *options)
        assert code == 1
        assert out == ""
        assert err.startswith("sagsflow: error: ")
        assert err.count("\n") == 1
        assert "is not a demo database (it is not marked as a demo office)" in err
        assert "sagsflow demo leaves it untouched" in err
    assert snapshot(initialised) == before


def test_a_file_that_is_not_a_database_is_left_untouched(
    run: Run, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my notes, not a database\n" * 200, encoding="utf-8")
    before = notes.read_bytes()
    code, _, err = run("demo", "--replace", db=f"sqlite:///{notes}")
    assert code == 1
    assert "is not a demo database (it is not a SQLite database)" in err
    assert notes.read_bytes() == before


def test_another_application_s_database_is_left_untouched(
    run: Run, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    before = table_snapshot(f"sqlite:///{other}")
    code, _, err = run("demo", "--replace", db=f"sqlite:///{other}")
    assert code == 1
    assert "(it holds tables but no demo mark)" in err
    assert table_snapshot(f"sqlite:///{other}") == before


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (("--start", "2026-02-30"), 1, "--start '2026-02-30' is not a date"),
        (("--start", "yesterday"), 1, "is not a date (YYYY-MM-DD)"),
        (("--start", "2999-01-04"), 1, "lies in the future"),
        (("--start", "2024-06-03"), 1, "--start must be 2024-11-21 or later"),
        (("--cases", "-5"), 1, "--cases must be between 0 and"),
        (("--cases", "many"), 2, "'many' is not a valid integer"),
        (("--serve", "--interval", "0"), 1, "--interval must be more than 0"),
    ],
    ids=[
        "no-such-day",
        "not-a-date",
        "future",
        "before-founding-case",
        "negative",
        "not-a-number",
        "interval",
    ],
)
def test_bad_options_are_one_clear_line_and_nothing_is_made(
    run: Run, db_path: Path, options: tuple[str, ...], code: int, message: str
) -> None:
    result = run("demo", *options)
    assert result.code == code
    assert result.out == ""
    assert result.err.startswith("sagsflow: error: ")
    assert result.err.count("\n") == 1
    assert message in result.err
    assert not db_path.exists()


def test_an_unreachable_database_is_one_clear_line(run: Run, closed_port: int) -> None:
    url = f"postgresql+psycopg://sagsflow@127.0.0.1:{closed_port}/demo"
    code, out, err = run("demo", "--cases", "5", db=url)
    assert code == 3
    assert out == ""
    assert err.startswith("sagsflow: error: cannot open the database: ")
    assert err.count("\n") == 1


def test_a_folder_that_does_not_exist_is_one_clear_line(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "missing" / "demo.db"
    code, _, err = run("demo", "--cases", "5", db=f"sqlite:///{path}")
    assert code == 1
    assert f"the folder {path.parent} does not exist" in err
    assert not path.parent.exists()


def test_serve_on_a_taken_port_says_so_before_anything(
    run: Run, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No address, token or curl line for a server that could not listen."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("SAGSFLOW_API_PORT", str(port))
        result = run("demo", "--serve")
    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        f"sagsflow: error: the API cannot listen on 127.0.0.1:{port}: Address "
        "already in use; set SAGSFLOW_API_PORT to a free port (0 picks one)\n"
    )
    assert not db_path.exists()


# -- --serve ---------------------------------------------------------------------------
@pytest.mark.slow
def test_serve_runs_the_office_and_prints_each_mail_it_sends(tmp_path: Path) -> None:
    """The first sweep chases what is overdue today; each mail reaches the local
    sink and is printed in one line; SIGTERM stops it cleanly."""
    db = tmp_path / "demo.db"
    errors = tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    env["SAGSFLOW_API_PORT"] = str(_free_port())
    lines: queue.Queue[str | None] = queue.Queue()
    seen: list[str] = []
    with (
        errors.open("w", encoding="utf-8") as stderr,
        subprocess.Popen(
            [
                *(str(SAGSFLOW), "--db", f"sqlite:///{db}", "demo", "--cases", "100"),
                *("--start", START, "--serve", "--interval", "0.3"),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as process,
    ):

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            while not any(line.startswith("  mail ") for line in seen):
                line = lines.get(timeout=WAIT_S)
                assert line is not None, "\n".join(seen) + errors.read_text("utf-8")
                seen.append(line)
            _the_printed_token_opens_the_api(seen, env["SAGSFLOW_API_PORT"])
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=WAIT_S)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        while (line := lines.get(timeout=WAIT_S)) is not None:
            seen.append(line)
        reader.join(timeout=WAIT_S)
    assert code == 0, errors.read_text("utf-8")
    assert any(line.startswith("Running the office in ") for line in seen)
    mails = [line for line in seen if line.startswith("  mail ")]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        sent_to = set(
            conn.execute("SELECT recipient, subject FROM outbox WHERE status = 'sent'")
        )
        minted = conn.execute("SELECT user_id, created_at, expires_at FROM api_token")
        ((advisor, created, expires),) = minted.fetchall()
    assert advisor == "bra"  # the printed token works for a day only
    lifetime = datetime.fromisoformat(expires) - datetime.fromisoformat(created)
    assert lifetime == timedelta(days=1)
    assert mails
    for mail in mails:
        when, _, rest = mail.removeprefix("  mail ").partition("  to ")
        to, _, subject = rest.partition(": ")
        assert len(when) == 8  # HH:MM:SS
        assert to.endswith("@example.org")
        assert (to, subject) in sent_to


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert isinstance(port, int)
    return port


def _the_printed_token_opens_the_api(seen: list[str], port: str) -> None:
    """The token the demo printed reads the office's cases as the advisor."""
    (curl,) = [line for line in seen if line.startswith("  curl ")]
    token = curl.split("Bearer ", 1)[1].split('"', 1)[0]
    assert f"http://127.0.0.1:{port}/cases" in curl
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/cases?limit=5",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=WAIT_S) as answer:
        assert answer.status == 200
        body = json.loads(answer.read())
    assert body
    refused = urllib.request.Request(f"http://127.0.0.1:{port}/cases")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(refused, timeout=WAIT_S)
    caught.value.close()
    assert caught.value.code == 401
    (pages,) = [line for line in seen if line.startswith("The review pages: ")]
    assert f"http://127.0.0.1:{port}/ui/login " in pages
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/ui/login", timeout=WAIT_S
    ) as answer:
        assert answer.status == 200
        assert b'id="token"' in answer.read()


@pytest.mark.external_service
def test_on_postgresql_an_empty_database_becomes_a_demo_and_is_replaced(
    run: Run,
) -> None:
    admin = require_admin_url()
    url = create_database(admin).render_as_string(hide_password=False)
    try:
        code, out, err = run("demo", "--cases", "20", "--start", START, db=url)
        assert code == 0, err
        assert "and 20 synthetic cases" in out
        code, out, err = run(
            "demo", "--cases", "10", "--start", START, "--replace", db=url
        )
        assert code == 0, err
        assert len(table_snapshot(url)["wf_case"]) == 11
        code, out, err = run("audit", "verify", db=url)
        assert (code, err) == (0, "")
        assert out.startswith("verified: 11 cases")
    finally:
        drop_database(admin, url.rsplit("/", 1)[-1])


def test_the_summary_speaks_english_on_ask(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    code, out, _ = run("demo", "--cases", "30", "--seed", "3", "--start", START)
    assert code == 0
    assert "Inquiry to an administration" in out
    assert "overdue now (" in out
    assert "open cases by owner: " in out
    assert "Try next" in out
    assert "awaiting_reply" not in out  # the states in their English labels
