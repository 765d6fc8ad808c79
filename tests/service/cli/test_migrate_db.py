"""`sagsflow migrate-db` and `sagsflow grants`.

The small cases move the founding case between SQLite files (everywhere);
the office case moves it and 1,200 others onto PostgreSQL (where there is
one), as an office outgrowing one machine would, each large table in several
batches.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from functools import partial
from pathlib import Path

import pytest

from service.cli import db as db_cli
from storage.copy import copy_database as copy_rows
from tests.postgres import needs_postgres
from tests.service.conftest import (
    OFFICE_CASES,
    Run,
    copy_database,
    count,
    run_quietly,
    snapshot,
)
from tests.service.serving import FOUNDING

IMPORT = Path(__file__).resolve().parents[3] / "examples" / "founding-case.jsonl"
COPY_BATCH = 1_000  # rows per insert in the office's move (5,000 by default)


@pytest.fixture
def source(run: Run, initialised: Path) -> Path:
    """An initialised SQLite file holding the founding case, as imported."""
    code, _, err = run("case", "import", str(IMPORT))
    assert code == 0, err
    return initialised


def _show(run: Run, url: str) -> dict[str, object]:
    code, out, err = run("case", "show", FOUNDING, "--json", db=url)
    assert code == 0, err
    shown = json.loads(out)
    assert isinstance(shown, dict)
    return shown


def test_a_database_moves_to_a_new_file_and_verifies(
    run: Run, source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "moved.db"
    code, out, err = run(
        "migrate-db", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}"
    )
    assert (code, err) == (0, "")
    assert "audit_entry                   3 rows  identical" in out
    assert out.rstrip().endswith("1 cases, 3 entries, verified")
    assert _show(run, f"sqlite:///{target}") == _show(run, f"sqlite:///{source}")
    code, out, _ = run("audit", "verify", db=f"sqlite:///{target}")
    assert (code, out) == (0, "verified: 1 cases, 3 entries, 4 changes to users\n")


def test_json_output_names_every_table(run: Run, source: Path, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'moved.db'}"
    code, out, _ = run(
        "migrate-db", "--from", f"sqlite:///{source}", "--to", target, "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert result["verified"] is True
    assert (result["cases"], result["entries"]) == (1, 3)
    assert result["tables"]["document"] == 2
    assert result["tables"]["audit_entry"] == 3


def test_a_target_with_data_is_refused_and_left_alone(
    run: Run, source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "moved.db"
    url = f"sqlite:///{target}"
    assert run("migrate-db", "--from", f"sqlite:///{source}", "--to", url)[0] == 0
    before = snapshot(target)
    code, out, err = run("migrate-db", "--from", f"sqlite:///{source}", "--to", url)
    assert (code, out) == (1, "")
    assert err == (
        "sagsflow: error: the target database already holds data (table "
        "app_user): sagsflow copies only into an empty one\n"
    )
    assert snapshot(target) == before


def test_a_target_of_another_application_is_refused_byte_for_byte(
    run: Run, source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "shop.db"
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
        conn.execute("INSERT INTO customers VALUES ('Ærø Kommune')")
        conn.commit()
    before = target.read_bytes()
    code, out, err = run(
        "migrate-db", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}"
    )
    assert (code, out) == (3, "")
    assert err == (
        "sagsflow: error: the database holds tables that are not sagsflow's "
        "(customers): refusing to write into another application's database\n"
    )
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if "shop" in p.name] == ["shop.db"]


def test_the_same_database_is_refused(run: Run, source: Path) -> None:
    before = snapshot(source)
    url = f"sqlite:///{source}"
    code, _, err = run("migrate-db", "--from", url, "--to", url)
    assert code == 1
    assert err == "sagsflow: error: --from and --to name the same database\n"
    assert snapshot(source) == before


def test_a_source_without_the_schema_is_refused(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    target = tmp_path / "moved.db"
    code, _, err = run(
        "migrate-db", "--from", f"sqlite:///{empty}", "--to", f"sqlite:///{target}"
    )
    assert code == 3
    assert "no sagsflow schema" in err
    assert err.count("\n") == 1
    assert not target.exists() or count(target, "SELECT count(*) FROM wf_case") == 0


def test_an_unreachable_target_is_one_clear_line(
    run: Run, source: Path, closed_port: int
) -> None:
    before = snapshot(source)
    code, _, err = run(
        "migrate-db",
        "--from",
        f"sqlite:///{source}",
        "--to",
        f"postgresql+psycopg://nobody@127.0.0.1:{closed_port}/none",
    )
    assert code == 3
    assert err.startswith("sagsflow: error: cannot open the database:")
    assert err.count("\n") == 1
    assert snapshot(source) == before


def test_a_tampered_record_is_copied_as_it_is_and_reported(
    run: Run, source: Path, tmp_path: Path
) -> None:
    with closing(sqlite3.connect(source)) as conn:  # what a file editor could do
        conn.execute("DROP TRIGGER audit_entry_no_update")
        conn.execute("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2")
        conn.commit()
    target = tmp_path / "moved.db"
    code, out, err = run(
        "migrate-db", "--from", f"sqlite:///{source}", "--to", f"sqlite:///{target}"
    )
    assert code == 1
    assert "BROKEN" in out
    assert err.startswith(
        f"sagsflow: error: the copy does not verify: case {FOUNDING}:"
    )
    assert "the source's record is the same" in err


# -- grants -----------------------------------------------------------------------
def test_grants_are_printed_for_a_postgresql_database(run: Run) -> None:
    code, out, err = run(
        "grants", "--role", "kk_app", db="postgresql+psycopg://owner@db.kk/sager"
    )
    assert (code, err) == (0, "")
    assert "GRANT CONNECT ON DATABASE sager TO kk_app;" in out
    record = "audit_entry, document, user_change"
    assert f"GRANT SELECT, INSERT ON {record} TO kk_app;" in out
    assert f"REVOKE UPDATE, DELETE, TRUNCATE ON {record} FROM kk_app;" in out
    # documents' content: never changed, deleted when the case's personal data is
    deletable = "access_entry, personal_value, document_content"
    assert f"GRANT SELECT, INSERT, DELETE ON {deletable} TO kk_app;" in out
    granted = [line for line in out.splitlines() if line.startswith("GRANT")]
    assert not [line for line in granted if "audit_entry" in line and "UPDATE" in line]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(("grants",), "grants are for PostgreSQL", id="sqlite"),
        pytest.param(
            ("grants", "--role", "app; DROP TABLE x", "--database", "d"),
            "must be a plain lower-case identifier",
            id="bad-role",
        ),
    ],
)
def test_grants_refusals_are_one_clear_line(
    run: Run, argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (1, "")
    assert message in err
    assert err.count("\n") == 1


# -- an office onto PostgreSQL ----------------------------------------------------
@pytest.mark.slow
@needs_postgres
@pytest.mark.external_service
def test_the_founding_case_and_an_office_of_others_move_to_postgresql(
    overdue_office: Path,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved = tmp_path / "office.db"
    copy_database(overdue_office, moved)  # `case show` logs the read: keep ours apart
    sqlite_url = f"sqlite:///{moved}"
    # Batches of 1,000 rows instead of 5,000: the office's tables take several.
    monkeypatch.setattr(db_cli, "copy_database", partial(copy_rows, batch=COPY_BATCH))
    code, out, err = run_quietly(
        "migrate-db", "--from", sqlite_url, "--to", postgres_url, "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["verified"] is True
    assert result["cases"] == OFFICE_CASES + 1
    assert result["tables"]["wf_case"] == OFFICE_CASES + 1 > COPY_BATCH
    assert result["tables"]["audit_entry"] > 3 * COPY_BATCH

    code, out, _ = run_quietly("--db", postgres_url, "audit", "verify")
    assert (code, out.split(":")[0]) == (0, "verified")
    shown = [
        run_quietly("--db", url, "case", "show", FOUNDING, "--json")
        for url in (sqlite_url, postgres_url)
    ]
    assert shown[0].code == shown[1].code == 0
    assert json.loads(shown[0].out) == json.loads(shown[1].out)

    # The copy goes on: new ids and case numbers follow the copied ones.
    code, out, err = run_quietly(
        "--db", postgres_url, "case", "open", "ombudsman-inquiry", "--actor", "bra",
        "--title", "Efter flytningen", "--at", "2024-11-25T10:00", "--json",
    )  # fmt: skip
    assert code == 0, err
    # the founding case reserved 2024-0283489; the office's others followed it
    assert json.loads(out)["number"] == f"2024-{283489 + OFFICE_CASES + 1:07d}"
