"""Who is at the keyboard: `SAGSFLOW_CLI_IDENTITY` and the login on every entry.

`believed` (the default) takes `--actor` as given; `login` holds it to the
user the operating-system login is bound to. Every entry and logged read
records the login either way (`{"channel": "cli", "login": ...}`). The login
is handed in through `main(login=...)` here (the Context's own injectable, not
an environment variable anyone could set); the end-to-end test at the bottom
runs the real console script under this process's real login.

Every refusal is one line on stderr, exit 1 (2 for a missing `--actor` in
`believed` mode, a usage error as before), and the database exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Protocol

import pytest

from engine.exceptions import NotAllowedError
from service.cli.identity import bound_user, os_login
from service.cli.main import main
from tests.processes import SAGSFLOW
from tests.service.cli.test_errors import REFUSED, USAGE, assert_one_error_line
from tests.service.conftest import Result, snapshot


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These read the command line's English words (SAGSFLOW_LANGUAGE=en); the
    Danish default is tests/service/cli/test_labels.py's."""
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")


JDOE = {"channel": "cli", "login": "jdoe"}
SYSTEM = {"channel": "system"}  # the inquiry's letter, rendered after its step


class RunAs(Protocol):
    def __call__(self, login: str, *argv: str) -> Result: ...


@pytest.fixture
def run_as(db_url: str, capsys: pytest.CaptureFixture[str]) -> RunAs:
    """Run the CLI in-process as the operating-system login `login`."""

    def _run(login: str, *argv: str) -> Result:
        capsys.readouterr()
        try:
            main(["--db", db_url, *argv], login=login)
        except SystemExit as exc:
            code = exc.code
        else:  # pragma: no cover - main always exits
            pytest.fail("main() returned instead of exiting")
        captured = capsys.readouterr()
        assert isinstance(code, int), f"exit code {code!r} is not a number"
        return Result(code, captured.out, captured.err)

    return _run


def ok(result: Result) -> str:
    assert (result.code, result.err) == (0, ""), result.err
    return result.out


@pytest.fixture
def office(run_as: RunAs, db_path: Path) -> str:
    """bra (advisor, login `boss`), jur (caseworker, login `jdoe`), rev (auditor,
    no login) and mab (caseworker, login `mab`, deactivated); one case of jur's,
    opened and sent by jur. Its number."""
    ok(run_as("admin", "init"))
    ok(run_as("admin", "user", "add", "bra", "--role", "advisor", "--login", "boss"))
    for user, role, *login in (
        ("jur", "caseworker", "--login", "jdoe"),
        ("rev", "auditor"),
        ("mab", "caseworker", "--login", "mab"),
    ):
        ok(
            run_as(
                "admin", "user", "add", user, "--role", role, *login, "--actor", "bra"
            )
        )
    ok(run_as("boss", "user", "deactivate", "mab", "--reason", "R", "--actor", "bra"))
    out = ok(
        run_as(
            "jdoe", "case", "open", "ombudsman-inquiry", "--actor", "jur",
            "--title", "Klage", "--party", "authority=Borgerservice", "--json",
        )
    )  # fmt: skip
    number = str(json.loads(out)["number"])
    ok(run_as("jdoe", "case", "fire", number, "send_inquiry", "--actor", "jur"))
    return number


def history(run_as: RunAs, number: str) -> list[dict[str, object]]:
    out = ok(run_as("boss", "audit", "log", number, "--format", "json"))
    rows: list[dict[str, object]] = json.loads(out)
    return rows


def reads(run_as: RunAs) -> list[tuple[object, ...]]:
    out = ok(run_as("admin", "audit", "access", "--json"))
    return [(r["actor"], r["action"], r["via"]) for r in json.loads(out)]


@pytest.fixture
def login_office(office: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`office`, from here on with SAGSFLOW_CLI_IDENTITY=login."""
    monkeypatch.setenv("SAGSFLOW_CLI_IDENTITY", "login")
    return office


NOTE = ("note", "--document", "Telefonnotat")


# -- believed (the default) --------------------------------------------------------
def test_believed_takes_actor_as_given_and_records_the_login(
    run_as: RunAs, office: str
) -> None:
    """jdoe is bound to jur, but `believed` believes `--actor bra`: only the
    recorded login shows who was at the keyboard."""
    ok(run_as("jdoe", "case", "fire", office, *NOTE, "--actor", "bra"))

    rows = history(run_as, office)
    assert [(r["actor"], r["via"]) for r in rows] == [
        ("jur", JDOE),
        ("jur", JDOE),
        ("system", SYSTEM),
        ("bra", JDOE),
    ]


def test_believed_still_demands_actor_and_writes_nothing_without(
    run_as: RunAs, office: str, db_path: Path
) -> None:
    before = snapshot(db_path)
    result = run_as("jdoe", "case", "fire", office, "mark_dispatched")
    assert_one_error_line(result, USAGE, "give --actor ID")
    assert snapshot(db_path) == before


def test_a_read_without_actor_is_the_login_s(run_as: RunAs, office: str) -> None:
    ok(run_as("jdoe", "case", "show", office))
    assert reads(run_as)[-1] == ("os:jdoe", "case_show", JDOE)


# -- login -------------------------------------------------------------------------
def test_login_acts_as_the_bound_user_without_actor(
    run_as: RunAs, login_office: str
) -> None:
    ok(run_as("jdoe", "case", "fire", login_office, "mark_dispatched"))
    # an --actor naming the bound user is the same as none
    ok(run_as("boss", "case", "fire", login_office, *NOTE, "--actor", "bra"))

    rows = history(run_as, login_office)
    assert [(r["actor"], r["via"]) for r in rows[2:]] == [
        ("system", SYSTEM),
        ("jur", JDOE),
        ("bra", {"channel": "cli", "login": "boss"}),
    ]


def test_login_refuses_another_actor_and_writes_nothing(
    run_as: RunAs, login_office: str, db_path: Path
) -> None:
    before = snapshot(db_path)
    result = run_as(
        "jdoe", "case", "fire", login_office, "mark_dispatched", "--actor", "bra"
    )
    assert_one_error_line(
        result,
        REFUSED,
        "the login 'jdoe' is bound to user 'jur'",
        "not as 'bra'",
        "SAGSFLOW_CLI_IDENTITY=login",
    )
    assert snapshot(db_path) == before


def test_login_refuses_an_unbound_login_and_writes_nothing(
    run_as: RunAs, login_office: str, db_path: Path
) -> None:
    before = snapshot(db_path)
    for argv in (
        ("case", "fire", login_office, "mark_dispatched", "--actor", "jur"),
        ("case", "show", login_office),
    ):
        assert_one_error_line(
            run_as("mallory", *argv),
            REFUSED,
            "the login 'mallory' is bound to no sagsflow user; an advisor binds it: "
            "sagsflow user login ID mallory --actor ADVISOR",
        )
    assert snapshot(db_path) == before


def test_login_refuses_a_deactivated_bound_user(
    run_as: RunAs, login_office: str, db_path: Path
) -> None:
    before = snapshot(db_path)
    for argv in (("case", "fire", login_office, *NOTE), ("case", "show", login_office)):
        assert_one_error_line(
            run_as("mab", *argv), REFUSED, "user 'mab' is deactivated"
        )
    assert snapshot(db_path) == before


def test_binding_a_login_lets_it_act(run_as: RunAs, login_office: str) -> None:
    """An advisor binds the refused login; from the next command on it acts."""
    refused = run_as("rlogin", "case", "show", login_office)
    assert refused.code == REFUSED
    ok(run_as("boss", "user", "login", "rev", "rlogin"))

    ok(run_as("rlogin", "case", "show", login_office))

    assert reads(run_as)[-1] == (
        "rev",
        "case_show",
        {"channel": "cli", "login": "rlogin"},
    )


def test_login_reads_are_the_bound_user_s(run_as: RunAs, login_office: str) -> None:
    ok(run_as("jdoe", "case", "show", login_office))
    ok(run_as("jdoe", "case", "list", "--json"))
    ok(run_as("jdoe", "case", "list", "--search", "Klage"))
    ok(run_as("jdoe", "audit", "log", login_office))
    mine = json.loads(ok(run_as("jdoe", "case", "list", "--mine", "--json")))
    assert [c["number"] for c in mine] == [login_office]

    logged = reads(run_as)
    assert {action for _, action, _ in logged} == {
        "case_show",
        "case_list",
        "case_search",
        "audit_log",
    }
    assert all((who, via) == ("jur", JDOE) for who, _, via in logged), logged


def test_an_export_names_the_bound_user(
    run_as: RunAs, login_office: str, tmp_path: Path
) -> None:
    ok(
        run_as(
            "jdoe", "audit", "export", login_office, "--out", str(tmp_path / "d.json")
        )
    )
    body = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert body["exported_by"] == "jur"
    assert [e["via"] for e in body["entries"]] == [JDOE, JDOE, SYSTEM]
    assert ok(run_as("jdoe", "audit", "verify", "--dossier", str(tmp_path / "d.json")))


def _every_actor_command(number: str, out: Path) -> list[tuple[str, ...]]:
    """Every command that takes `--actor` as who acts or reads, with `--actor
    bra` (jdoe is bound to jur), and the options each needs to parse."""
    return [
        ("case", "open", "ombudsman-inquiry", "--title", "X"),
        ("case", "fire", number, "mark_dispatched"),
        ("case", "assign", number, "jur"),
        ("case", "erase", number, "--reason", "R"),
        ("case", "show", number),
        ("case", "list", "--json"),
        ("case", "list", "--mine"),
        ("case", "list", "--search", "Klage"),
        ("audit", "correct", number, "1", "--reason", "R", "--set", "title=Y"),
        ("audit", "export", number, "--out", str(out)),
        ("user", "away", "jur", "--from", "2030-01-01", "--until", "2030-01-02"),
        ("user", "add", "new", "--role", "intake"),
        ("user", "deactivate", "rev", "--reason", "R"),
        ("user", "activate", "mab"),
        ("user", "roles", "rev", "--add", "intake"),
        ("user", "login", "rev", "rlogin"),
        ("user", "name", "rev", "Revisor"),
    ]


def test_every_command_with_actor_refuses_another_user(
    run_as: RunAs, login_office: str, db_path: Path, tmp_path: Path
) -> None:
    before = snapshot(db_path)
    for argv in _every_actor_command(login_office, tmp_path / "d.json"):
        result = run_as("jdoe", *argv, "--actor", "bra")
        assert_one_error_line(result, REFUSED, "not as 'bra'")
    audit_reader = run_as("jdoe", "audit", "log", login_office, "--reader", "bra")
    assert_one_error_line(audit_reader, REFUSED, "not as 'bra'")
    assert snapshot(db_path) == before
    assert not (tmp_path / "d.json").exists()


def test_no_command_takes_system_as_actor(
    run_as: RunAs, office: str, db_path: Path, tmp_path: Path
) -> None:
    before = snapshot(db_path)
    writes = [
        a for a in _every_actor_command(office, tmp_path / "d.json")
        if a[:2] not in (("case", "show"), ("case", "list"), ("audit", "export"))
    ]  # fmt: skip
    for argv in writes:
        result = run_as("jdoe", *argv, "--actor", "system")
        assert_one_error_line(result, REFUSED, "'system' is the scheduler's own actor")
    assert snapshot(db_path) == before


def test_a_token_is_made_by_its_user_or_an_advisor(
    run_as: RunAs, login_office: str, db_path: Path
) -> None:
    """Else any login could mint the advisor's token and act as the advisor."""
    before = snapshot(db_path)
    refused = run_as("jdoe", "token", "create", "bra")
    assert_one_error_line(refused, REFUSED, "'jur' may not handle 'bra''s tokens")
    assert snapshot(db_path) == before
    assert run_as("jdoe", "token", "create", "jur").code == 0
    assert run_as("boss", "token", "create", "rev").code == 0
    (jur_token, _) = json.loads(ok(run_as("boss", "token", "list", "--json")))
    refused = run_as("nobody", "token", "revoke", jur_token["id"])
    assert_one_error_line(refused, REFUSED, "bound to no sagsflow user")
    assert run_as("jdoe", "token", "revoke", jur_token["id"]).code == 0


def test_believed_checks_a_given_actor_for_tokens(run_as: RunAs, office: str) -> None:
    refused = run_as("jdoe", "token", "create", "bra", "--actor", "jur")
    assert_one_error_line(refused, REFUSED, "a token is made or revoked by its user")
    refused = run_as("jdoe", "token", "create", "bra", "--actor", "mab")
    assert_one_error_line(refused, REFUSED, "'mab' is deactivated")
    assert run_as("jdoe", "token", "create", "jur", "--actor", "bra").code == 0


def test_a_mode_that_is_not_one_is_refused_before_anything(
    run_as: RunAs, office: str, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office that meant `login` and typed `logn` must not get `believed`."""
    monkeypatch.setenv("SAGSFLOW_CLI_IDENTITY", "logn")
    before = snapshot(db_path)
    result = run_as("jdoe", "case", "fire", office, "mark_dispatched", "--actor", "jur")
    assert_one_error_line(result, REFUSED, "SAGSFLOW_CLI_IDENTITY must be", "'logn'")
    assert snapshot(db_path) == before


def test_login_mode_in_upper_case_is_login_mode(
    run_as: RunAs, login_office: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAGSFLOW_CLI_IDENTITY", " LOGIN ")
    result = run_as("jdoe", "case", "fire", login_office, *NOTE, "--actor", "bra")
    assert_one_error_line(result, REFUSED, "not as 'bra'")


# -- what the command line shows ----------------------------------------------------
def test_case_show_and_audit_log_show_how_each_step_came_in(
    run_as: RunAs, office: str
) -> None:
    text = ok(run_as("jdoe", "case", "show", office))
    history_lines = text.split("History")[1].splitlines()
    assert " via " in history_lines[1]
    assert sum("cli:jdoe" in line for line in history_lines) == 2

    shown = json.loads(ok(run_as("jdoe", "case", "show", office, "--json")))
    assert [e["via"] for e in shown["history"]] == [JDOE, JDOE, SYSTEM]

    table = ok(run_as("jdoe", "audit", "log", office)).splitlines()
    assert [line.endswith(" via system") for line in table] == [False, False, True]
    assert all(" via cli:jdoe" in line for line in table[:2])

    csv_text = ok(run_as("jdoe", "audit", "log", office, "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [json.loads(r["via"]) for r in rows] == [JDOE, JDOE, SYSTEM]

    access = ok(run_as("jdoe", "audit", "access")).splitlines()
    assert access[0].split() == ["at", "(local)", "who", "via", "read", "case"]
    assert all("cli:jdoe" in line for line in access[2:])


# -- the login itself -------------------------------------------------------------
def test_the_login_is_the_account_of_the_process_s_user_id() -> None:
    import pwd

    assert os_login() == pwd.getpwuid(os.getuid()).pw_name
    used = {entry.pw_uid for entry in pwd.getpwall()}
    nobody = next(uid for uid in range(2**31 - 2, 0, -1) if uid not in used)
    assert os_login(nobody) is None


def test_a_process_whose_login_the_system_cannot_name_is_refused() -> None:
    with pytest.raises(NotAllowedError, match="names no login for this process"):
        bound_user(None, None, None)


# -- end to end: the real console script, the real login -----------------------------
def test_end_to_end_the_console_script_holds_actor_to_the_real_login(
    run_as: RunAs, office: str, db_url: str
) -> None:
    """`sagsflow` as a user runs it, with SAGSFLOW_CLI_IDENTITY=login in its
    environment and this process's own login bound to jur. Setting USER and
    LOGNAME (which anyone can) changes nothing: the login is the user id's."""
    real = os_login()
    assert real is not None
    ok(run_as("boss", "user", "login", "jur", real, "--actor", "bra"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")} | {
        "SAGSFLOW_DATABASE_URL": db_url,
        "SAGSFLOW_CLI_IDENTITY": "login",
        "USER": "boss",
        "LOGNAME": "boss",
    }

    def sagsflow(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SAGSFLOW), *argv], env=env, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip

    refused = sagsflow("case", "fire", office, "mark_dispatched", "--actor", "bra")
    assert refused.returncode == REFUSED, refused.stderr
    assert refused.stdout == ""
    assert refused.stderr == (
        f"sagsflow: error: the login {real!r} is bound to user 'jur' and acts as "
        f"'jur' only, not as 'bra' (SAGSFLOW_CLI_IDENTITY=login)\n"
    )

    done = sagsflow("case", "fire", office, "mark_dispatched", "--json")
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout)["history"][-1]
    assert (last["actor"], last["via"]) == ("jur", {"channel": "cli", "login": real})
