"""`sagsflow workflow migrate`: the command line over `CaseEngine.migrate` (#22).

On SQLite and PostgreSQL: the dry run changes nothing, the real run moves
exactly what it listed and the record verifies after; every bad input is one
line on stderr, a non-zero exit and the database as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.cli.test_workflow_versions import VERSION_1, VERSION_2
from tests.service.conftest import Run, snapshot

REASON = ("--reason", "Lov nr. 1234: svarfrist 15 arbejdsdage")


@pytest.fixture
def office(
    run: Run, initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Three cases of `consent` version 1 (two waiting since Monday 2 November
    2026, one done); the file then says version 2 (15 working days)."""
    return _office(run, tmp_path, monkeypatch, db=None)


def _office(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str | None
) -> list[str]:
    folder = tmp_path / "workflows"
    folder.mkdir()
    declared = folder / "consent.yaml"
    declared.write_text(VERSION_1, encoding="utf-8")
    monkeypatch.setenv("SAGSFLOW_WORKFLOWS", str(folder))
    monkeypatch.setenv("SAGSFLOW_LANGUAGE", "en")
    numbers = []
    for _ in range(3):
        code, out, err = run(
            "case", "open", "consent", "--actor", "jur", "--title", "Samtykke",
            "--at", "2026-11-02T09:00:00+01:00", "--json", **_db(db)
        )  # fmt: skip
        assert (code, err) == (0, ""), err
        numbers.append(json.loads(out)["number"])
        code, _, err = run(
            "case", "fire", numbers[-1], "ask", "--actor", "jur",
            "--at", "2026-11-02T10:00:00+01:00", **_db(db)
        )  # fmt: skip
        assert (code, err) == (0, ""), err
    code, _, err = run(
        "case", "fire", numbers[2], "finish", "--actor", "jur", **_db(db)
    )
    assert (code, err) == (0, ""), err
    declared.write_text(VERSION_2, encoding="utf-8")  # the law changed
    return numbers


def _db(db: str | None) -> dict[str, str]:
    return {} if db is None else {"db": db}


def migrate(run: Run, *args: str, db: str | None = None) -> tuple[int, str, str]:
    return run(
        "workflow", "migrate", "consent", "--to", "2", "--actor", "bra",
        *REASON, *args, **_db(db),
    )  # fmt: skip


def test_the_dry_run_changes_nothing_and_the_run_moves_what_it_listed(
    run: Run, office: list[str], initialised: Path
) -> None:
    before = snapshot(initialised)
    code, out, err = migrate(run, "--dry-run", "--json")
    assert (code, err) == (0, "")
    assert snapshot(initialised) == before
    planned = json.loads(out)
    assert (planned["dry_run"], planned["would_move"], planned["not_moved"]) == (
        True,
        2,
        0,
    )
    # 20 working days from 2 November 2026 is 30 November; 15 is 23 November
    assert [(c["case"], c["due_before"], c["due_after"]) for c in planned["cases"]] == [
        (office[0], "2026-11-30", "2026-11-23"),
        (office[1], "2026-11-30", "2026-11-23"),
    ]

    code, out, err = migrate(run, "--json")
    assert (code, err) == (0, "")
    done = json.loads(out)
    assert done["cases"] == planned["cases"]
    assert (done["moved"], done["not_moved"]) == (2, 0)
    code, out, _ = run("case", "show", office[0], "--json")
    shown = json.loads(out)
    assert (shown["workflow_version"], shown["due"]) == (2, "2026-11-23")
    assert shown["history"][-1]["event"] == "migrate"
    code, out, _ = run("case", "show", office[2], "--json")
    assert json.loads(out)["workflow_version"] == 1  # closed: stays
    code, out, err = run("audit", "verify")
    assert (code, err) == (0, ""), out
    code, out, err = run("case", "explain", office[0])
    assert "It moved from version 1 to version 2 on " in out
    dossier = initialised.parent / "moved.json"
    code, _, err = run("audit", "export", office[0], "--out", str(dossier))
    assert (code, err) == (0, ""), err
    code, out, err = run("audit", "verify", "--dossier", str(dossier))
    assert code == 0, out + err


def test_the_text_says_each_case_and_a_case_left_behind_exits_1(
    run: Run, office: list[str]
) -> None:
    code, out, err = migrate(run, "--dry-run", "--case", office[0], "--case", office[2])
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[2].split() == [
        office[0],
        "v1",
        "waiting",
        "2026-11-30",
        "→",
        "2026-11-23",
    ]
    assert lines[3].split()[:3] == [office[2], "v1", "done"]
    assert "not moved: closed ('done'): only open cases move" in lines[3]
    assert lines[4] == (
        "consent: 1 case(s) would move to version 2; 1 not "
        "moved (listed; they stay on their version) (dry run: nothing changed)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("--to", "3"),
            "sagsflow: error: no workflow 'consent' version 3",
            id="unknown-version",
        ),
        pytest.param(
            ("--to", "1"),
            "sagsflow: error: no open case of consent is on a version older than 1",
            id="older-version",
        ),
        pytest.param(
            ("--map", "waiting"),
            "sagsflow: error: --map waiting: give OLD_STATE=NEW_STATE",
            id="no-equals",
        ),
        pytest.param(
            ("--map", "waiting=asked"),
            "sagsflow: error: --map waiting=asked: version 2 has no state 'asked'",
            id="missing-state",
        ),
        pytest.param(
            ("--map", "waiting=done"),
            "sagsflow: error: --map waiting=done: 'done' is final",
            id="to-final",
        ),
        pytest.param(
            ("--actor", "jur"),
            "sagsflow: error: user 'jur' (caseworker) may not 'migrate'",
            id="not-the-advisor",
        ),
        pytest.param(
            ("--reason", "  "),
            "sagsflow: error: a migration needs a reason",
            id="no-reason",
        ),
        pytest.param(
            ("--case", "2026-9999999"),
            "sagsflow: error: no case '2026-9999999'",
            id="no-such-case",
        ),
        pytest.param(("--to", "0"), "Invalid value for '--to'", id="zero"),
    ],
)
def test_bad_input_is_one_clear_error_and_changes_nothing(
    run: Run, office: list[str], initialised: Path, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(initialised)
    code, out, err = migrate(run, *args)
    assert code in (1, 2), (code, out, err)
    assert out == ""
    assert message in err, err
    assert "Traceback" not in err
    assert snapshot(initialised) == before


def test_on_postgresql_too(
    run: Run,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run("init", db=postgres_url)
    assert (code, err) == (0, ""), err
    for user, role in (("bra", "advisor"), ("jur", "caseworker")):
        by = () if user == "bra" else ("--actor", "bra")
        code, _, err = run("user", "add", user, "--role", role, *by, db=postgres_url)
        assert (code, err) == (0, ""), err
    office = _office(run, tmp_path, monkeypatch, db=postgres_url)
    code, out, err = migrate(run, "--dry-run", "--json", db=postgres_url)
    assert (code, err) == (0, "")
    planned = json.loads(out)["cases"]
    code, out, _ = run("case", "show", office[0], "--json", db=postgres_url)
    assert json.loads(out)["workflow_version"] == 1  # the dry run moved nothing
    code, out, err = migrate(run, "--json", db=postgres_url)
    assert (code, err) == (0, "")
    assert json.loads(out)["cases"] == planned
    assert [c["case"] for c in planned] == office[:2]
    code, out, err = run("audit", "verify", db=postgres_url)
    assert (code, err) == (0, ""), out
