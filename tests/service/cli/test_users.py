"""`sagsflow user ...`: the users' lifecycle from the command line.

Every change goes on the users' chain; every refusal is one line on stderr, a
non-zero exit, and the database exactly as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.cli.test_errors import REFUSED, USAGE, assert_one_error_line
from tests.service.conftest import Run, snapshot


def opened(run: Run, actor: str) -> str:
    code, out, err = run(
        "case", "open", "ombudsman-inquiry", "--actor", actor, "--title", "Klage",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    return str(json.loads(out)["number"])


def test_the_first_advisor_needs_no_actor_and_the_next_users_do(
    run: Run, db_path: Path
) -> None:
    assert run("init").code == 0
    first = run("user", "add", "bra", "--role", "advisor", "--name", "Borgerrådgiver")
    assert first == (0, "added bra (advisor)\n", "")
    before = snapshot(db_path)
    refused = run("user", "add", "jur", "--role", "caseworker")
    assert_one_error_line(refused, USAGE, "give --actor ID")
    assert snapshot(db_path) == before
    added = run(
        "user", "add", "jur", "--role", "caseworker", "--name", "Mohammad Al-Badry",
        "--login", "mab", "--actor", "bra", "--reason", "Ny jurist",
    )  # fmt: skip
    assert added == (0, "added jur (caseworker)\n", "")
    shown = json.loads(run("user", "show", "jur", "--json").out)
    assert {k: shown[k] for k in ("id", "name", "login", "active", "roles")} == {
        "id": "jur",
        "name": "Mohammad Al-Badry",
        "login": "mab",
        "active": True,
        "roles": ["caseworker"],
    }
    (change,) = shown["history"]
    assert (change["change"], change["actor"], change["reason"]) == (
        "added",
        "bra",
        "Ny jurist",
    )
    assert change["via"]["channel"] == "cli"
    bra = json.loads(run("user", "show", "bra", "--json").out)
    assert bra["history"][0]["actor"] == "system"  # the installation


def test_deactivation_lists_the_cases_revokes_tokens_and_stops_the_user(
    run: Run, initialised: Path
) -> None:
    number = opened(run, "jur")
    token = run("token", "create", "jur")
    assert token.code == 0
    done = run(
        "user", "deactivate", "jur", "--actor", "bra", "--reason", "Fratrådt",
    )  # fmt: skip
    assert done == (
        0,
        "deactivated jur; 1 token revoked\n"
        f"1 open case need a new owner (sagsflow case assign): {number}\n",
        "",
    )
    listed = json.loads(run("token", "list", "--json").out)
    assert [t["status"] for t in listed] == ["revoked"]
    refused = run("case", "fire", number, "send_inquiry", "--actor", "jur")
    assert_one_error_line(refused, REFUSED, "user 'jur' is deactivated")
    refused = run("token", "create", "jur")
    assert_one_error_line(refused, REFUSED, "user 'jur' is deactivated")

    table = run("user", "show", "jur").out
    assert "state     deactivated" in table
    assert f"cases     1 open: {number}" in table
    assert "these need a new owner" in table
    assert "Fratrådt" in table
    users = run("user", "list").out.splitlines()
    assert any(line.startswith("jur ") and "deactivated" in line for line in users)

    again = run("user", "activate", "jur", "--actor", "bra", "--json")
    assert json.loads(again.out)["active"] is True
    assert run("case", "fire", number, "send_inquiry", "--actor", "jur").code == 0
    # activating brings no old token back
    assert [t["status"] for t in json.loads(run("token", "list", "--json").out)] == [
        "revoked"
    ]


def test_roles_and_logins_change_on_the_record(run: Run, initialised: Path) -> None:
    roles = run(
        "user", "roles", "jur", "--add", "advisor", "--remove", "caseworker",
        "--actor", "bra", "--reason", "Ny stilling",
    )  # fmt: skip
    assert roles == (0, "jur now holds advisor\n", "")
    assert run("user", "login", "jur", "jdoe", "--actor", "bra").out == (
        "jur is bound to login jdoe\n"
    )
    assert run("user", "login", "jur", "--clear", "--actor", "jur").out == (
        "jur has no login bound\n"
    )
    assert run("user", "name", "jur", "Jura Jensen", "--actor", "bra").out == (
        "jur is shown as Jura Jensen\n"
    )
    history = json.loads(run("user", "show", "jur", "--json").out)["history"]
    assert [(h["change"], h["actor"]) for h in history] == [
        ("added", "bra"),
        ("roles", "bra"),
        ("login", "bra"),
        ("login", "jur"),  # an advisor now
        ("name", "bra"),
    ]
    assert run("audit", "verify").out == (
        "verified: 0 cases, 0 entries, 8 changes to users\n"
    )


@pytest.mark.parametrize(
    ("argv", "code", "fragments"),
    [
        pytest.param(
            ("user", "deactivate", "bra", "--actor", "bra", "--reason", "x"),
            REFUSED, ("'bra' is the office's last active advisor",), id="last-advisor",
        ),
        pytest.param(
            ("user", "roles", "bra", "--remove", "advisor", "--add", "caseworker",
             "--actor", "bra"),
            REFUSED, ("last active advisor",), id="last-advisor-role",
        ),
        pytest.param(
            ("user", "deactivate", "rev", "--actor", "jur", "--reason", "x"),
            REFUSED, ("may not manage users",), id="caseworker-manages",
        ),
        pytest.param(
            ("user", "deactivate", "rev", "--actor", "bra"),
            USAGE, ("--reason",), id="no-reason",
        ),
        pytest.param(
            ("user", "deactivate", "rev", "--reason", "x"),
            USAGE, ("--actor",), id="no-actor",
        ),
        pytest.param(
            ("user", "deactivate", "nobody", "--actor", "bra", "--reason", "x"),
            REFUSED, ("no user 'nobody'",), id="unknown-user",
        ),
        pytest.param(
            ("user", "deactivate", "system", "--actor", "bra", "--reason", "x"),
            REFUSED, ("built-in user",), id="system",
        ),
        pytest.param(
            ("user", "deactivate", "rev", "--actor", "bra", "--reason",
             "CPR 010190-1234"),
            REFUSED, ("CPR number",), id="cpr-in-reason",
        ),
        pytest.param(
            ("user", "activate", "rev", "--actor", "bra"),
            REFUSED, ("'rev' is active already",), id="active-already",
        ),
        pytest.param(
            ("user", "roles", "rev", "--add", "boss", "--actor", "bra"),
            REFUSED, ("unknown role 'boss'",), id="unknown-role",
        ),
        pytest.param(
            ("user", "roles", "rev", "--actor", "bra"),
            REFUSED, ("give --add ROLE or --remove ROLE",), id="no-roles",
        ),
        pytest.param(
            ("user", "login", "rev", "--actor", "bra"),
            USAGE, ("give the login NAME, or --clear",), id="login-nothing",
        ),
        pytest.param(
            ("user", "login", "rev", "x", "--clear", "--actor", "bra"),
            USAGE, ("give the login NAME, or --clear",), id="login-both",
        ),
        pytest.param(
            ("user", "login", "rev", "a b", "--actor", "bra"),
            REFUSED, ("a login is",), id="login-malformed",
        ),
        pytest.param(
            ("user", "add", "x", "--role", "caseworker", "--name", "", "--actor",
             "bra"),
            REFUSED, ("a display name",), id="empty-name",
        ),
        pytest.param(
            ("user", "show", "nobody"), REFUSED, ("no user 'nobody'",),
            id="show-unknown",
        ),
    ],
)  # fmt: skip
def test_refusals_are_one_line_and_change_nothing(
    run: Run,
    initialised: Path,
    argv: tuple[str, ...],
    code: int,
    fragments: tuple[str, ...],
) -> None:
    before = snapshot(initialised)
    message = assert_one_error_line(run(*argv), code, *fragments)
    assert "010190-1234" not in message
    assert snapshot(initialised) == before
