"""`sagsflow backup`, `sagsflow restore` and what `audit verify --anchor` names lost.

The office test runs the real `sagsflow serve` on 400 overdue inquiries and
takes a backup (`sagsflow backup`, another real process) once the first batch
of 100 chases has committed, while the sweep goes on; then, the sweep done
and the service stopped, a case is added, a checkpoint taken and a second
backup made. The second restores and verifies against the checkpoint; the
first restores as one consistent moment (whole batches: every chase with its
entry and its two mails) and, held against the checkpoint, names each case
whose reminder it lacks and the case it lacks entirely. Processes are waited
on through their log lines; nothing sleeps.

The small tests back up the founding case: restored, every table is as it
was; with `SAGSFLOW_DOCUMENT_DIR` the documents' files travel too; a backup
of the schema before this one is upgraded as it is restored. Each bad
input (a truncated file, a foreign one, a damaged member, a newer schema or
format, a target that is not empty, nowhere for the documents) is one line, a
non-zero exit, and nothing written. On PostgreSQL a SQLite backup restores
into an empty database, and a `pg_dump -Fc` / `pg_restore` copy passes
`restore --check`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import zipfile
from contextlib import closing
from importlib.resources import files
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from engine.audit.lost import describe, lost_from, summary
from engine.audit.users import USERS_CHAIN
from engine.audit.verify import Problem
from engine.workflow.registry import WorkflowRegistry
from storage import create_db_engine
from storage.database import head_revision
from tests.postgres import create_database, drop_database, require_admin_url
from tests.processes import WAIT_S
from tests.service.cli.test_errors import DATABASE, REFUSED, assert_one_error_line
from tests.service.conftest import Run, count, snapshot
from tests.service.serving import (
    FOUNDING,
    MAILS_PER_CASE,
    Inbox,
    cli,
    inquiry_record,
    new_database,
    query,
    service_environment,
    serving,
)

ROOT = Path(__file__).resolve().parents[3]
IMPORT = ROOT / "examples" / "founding-case.jsonl"
KEY = "the office's checkpoint key"
CASES = 400  # four batches of 100 chases
BATCH = 100
REPLY = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _versions(db_path: Path) -> dict[str, int]:
    return dict(query(db_path, "SELECT number, version FROM wf_case"))


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first}-{last}"


# -- a backup while serve sweeps; an older one restored names what it lost -----------
@pytest.mark.slow
def test_a_backup_taken_while_serve_sweeps_restores_and_holds_against_a_checkpoint(
    run: Run,
    tmp_path: Path,
    registry: WorkflowRegistry,
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, port = smtp
    office = tmp_path / "office.db"
    new_database(office, [inquiry_record(i) for i in range(CASES)], registry, bulk=True)
    env = service_environment(office, port) | {"SAGSFLOW_AUDIT_KEY": KEY}
    older, newer = tmp_path / "older.zip", tmp_path / "newer.zip"
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()

    with serving(env, tmp_path) as service:
        service.wait_for_count("case_chased", BATCH)  # committed; the sweep goes on
        took = run("backup", "--out", str(older), db=f"sqlite:///{office}")
        service.wait_for_count("case_chased", CASES - BATCH)
        service.kill()  # what it committed stays; its letters need not all render
    assert took.code == 0, took.err
    assert took.out.startswith(f"backup {older}: {CASES} cases, ")

    cli(env, tmp_path, "case", "import", str(IMPORT))  # after the older backup
    cli(env, tmp_path, "audit", "anchor", "--out", str(checkpoints))
    cli(env, tmp_path, "backup", "--out", str(newer))
    at_checkpoint = _versions(office)
    monkeypatch.setenv("SAGSFLOW_AUDIT_KEY", KEY)

    # the newer backup: the record as the checkpoint has it
    restored = tmp_path / "restored.db"
    code, out, err = run("restore", str(newer), "--db", f"sqlite:///{restored}")
    assert (code, err) == (0, "")
    assert "the record verifies" in out
    code, out, _ = run(
        "audit", "verify", "--anchor", str(checkpoints), db=f"sqlite:///{restored}"
    )
    assert code == 0
    entries = sum(at_checkpoint.values())
    assert out.startswith(f"verified: {CASES + 1} cases, {entries} entries, ")

    # the older one: one consistent moment of the sweep, then what it lacks
    behind = tmp_path / "behind.db"
    code, out, err = run("restore", str(older), "--db", f"sqlite:///{behind}")
    assert (code, err) == (0, "")
    chased = count(behind, "SELECT count(*) FROM chase")
    assert BATCH <= chased <= CASES
    assert chased % BATCH == 0  # whole batches
    assert count(behind, "SELECT count(*) FROM audit_entry WHERE event = 'chase'") == (
        chased
    )
    assert count(behind, "SELECT count(*) FROM outbox") == MAILS_PER_CASE * chased
    then = _versions(behind)
    code, out, err = run(
        "audit", "verify", "--anchor", str(checkpoints), db=f"sqlite:///{behind}"
    )
    assert (code, err) == (1, "")
    lines = out.splitlines()
    (taken,) = {line.split("the checkpoint of ")[1][:20] for line in lines[:-1]}
    expected = [
        f"LOST case {number}: {_span(then[number] + 1, version)} lost (the "
        f"checkpoint of {taken} covers {version})"
        for number, version in sorted(at_checkpoint.items())
        if number in then and then[number] < version
    ]
    assert sorted(lines[:-2]) == sorted(expected)
    assert len(expected) >= CASES - chased  # each reminder since, and more
    assert lines[-2] == (
        f"LOST case {FOUNDING}: missing (the checkpoint of {taken} covers 3 entries)"
    )
    lost = sum(at_checkpoint.values()) - sum(then.values())
    assert lines[-1].startswith(
        f"behind its checkpoints, {lost} entries of {len(expected) + 1} cases lost "
        f"(1 case missing entirely): {CASES} cases, "
    )
    shown = json.loads(
        run(
            "audit", "verify", "--anchor", str(checkpoints), "--json",
            db=f"sqlite:///{behind}",
        ).out
    )  # fmt: skip
    assert {k: v for k, v in shown["lost"][-1].items() if k != "checkpoint"} == {
        "case": FOUNDING,
        "first": 1,
        "last": 3,
        "missing": True,
    }


# -- the founding case, backed up and restored -----------------------------------------
@pytest.fixture
def office(run: Run, initialised: Path) -> Path:
    """An initialised SQLite file holding the founding case, as imported."""
    code, _, err = run("case", "import", str(IMPORT))
    assert code == 0, err
    return initialised


@pytest.fixture
def backup(run: Run, office: Path, tmp_path: Path) -> Path:
    out = tmp_path / "office-backup.zip"
    code, said, err = run("backup", "--out", str(out))
    assert (code, err) == (0, "")
    assert said.startswith(
        f"backup {out}: 1 cases, 3 entries, 4 changes to users, 0 documents' files; "
    )
    return out


def test_a_backup_restores_every_table_as_it_was(
    run: Run, office: Path, backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored.db"
    code, out, err = run("restore", str(backup), "--db", f"sqlite:///{target}")
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert first.startswith(f"restored {backup} (taken ")
    assert first.endswith(
        f"into {target}: 1 cases, 3 entries, 4 changes to users, 0 documents' files"
    )
    assert second == (
        "the record verifies; hold it against the checkpoints kept elsewhere: "
        "sagsflow audit verify --anchor DIR"
    )
    assert snapshot(target) == snapshot(office)
    code, out, _ = run("restore", "--check", "--db", f"sqlite:///{target}")
    assert code == 0
    assert out.startswith(f"checked {target}: schema ")
    assert "(current), 1 cases, 3 entries, 4 changes to users\n" in out


def test_the_backup_describes_itself(run: Run, office: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.zip"
    code, said, err = run("backup", "--out", str(out), "--json")
    assert (code, err) == (0, "")
    shown = json.loads(said)
    with zipfile.ZipFile(out) as packed:
        manifest = json.loads(packed.read("manifest.json"))
        assert sorted(packed.namelist()) == ["manifest.json", "sagsflow.db"]
    assert manifest["format"] == "sagsflow-backup/1"
    assert (manifest["cases"], manifest["entries"], manifest["user_changes"]) == (
        1,
        3,
        4,
    )
    assert set(manifest["members"]) == {"sagsflow.db"}
    assert shown == {
        "file": str(out),
        "size": out.stat().st_size,
        **{k: v for k, v in manifest.items() if k != "members"},
    }


def test_the_documents_files_travel_with_the_backup(
    run: Run, initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = initialised
    folder = tmp_path / "dokumenter"
    monkeypatch.setenv("SAGSFLOW_DOCUMENT_DIR", str(folder))
    assert run("case", "import", str(IMPORT))[0] == 0  # its notes in the folder too
    upload = tmp_path / "svar.pdf"
    upload.write_bytes(REPLY)
    code, _, err = run(
        "case", "fire", FOUNDING, "receive_reply", "--actor", "jur",
        "--document", "Svar", "--file", str(upload),
        "--at", "2024-11-10T12:00+01:00",
    )  # fmt: skip
    assert (code, err) == (0, "")
    files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    assert files  # the reply, kept in the folder
    out = tmp_path / "b.zip"
    assert run("backup", "--out", str(out))[0] == 0

    target, again = tmp_path / "restored.db", tmp_path / "nye-dokumenter"
    monkeypatch.setenv("SAGSFLOW_DOCUMENT_DIR", str(again))
    code, said, err = run("restore", str(out), "--db", f"sqlite:///{target}")
    assert (code, err) == (0, "")
    assert f", {len(files)} documents' files\n" in said
    assert sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file()) == (
        files
    )
    assert snapshot(target) == snapshot(office)
    code, got, _ = run(
        "document", "get", f"{FOUNDING}-3", "--out", str(tmp_path / "ud.pdf"),
        db=f"sqlite:///{target}",
    )  # fmt: skip
    assert code == 0, got
    assert (tmp_path / "ud.pdf").read_bytes() == REPLY

    # nowhere to put them, or a folder that holds files already: refused
    elsewhere = tmp_path / "other.db"
    monkeypatch.delenv("SAGSFLOW_DOCUMENT_DIR")
    assert_one_error_line(
        run("restore", str(out), "--db", f"sqlite:///{elsewhere}"),
        REFUSED,
        "the backup holds",
        "set SAGSFLOW_DOCUMENT_DIR to an empty folder",
    )
    monkeypatch.setenv("SAGSFLOW_DOCUMENT_DIR", str(folder))
    assert_one_error_line(
        run("restore", str(out), "--db", f"sqlite:///{elsewhere}"),
        REFUSED,
        f"the document folder {folder} is not empty",
    )
    assert not elsewhere.exists()


# -- bad input: one line, a non-zero exit, nothing written -------------------------
def _repack(source: Path, target: Path, **change: bytes) -> None:
    """`source` copied to `target`, with members (by name, `.` for `_`) replaced."""
    replaced = {name.replace("_", "."): data for name, data in change.items()}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            new.writestr(name, replaced.get(name, old.read(name)))


def _manifest(backup: Path, **fields: object) -> bytes:
    with zipfile.ZipFile(backup) as packed:
        manifest = json.loads(packed.read("manifest.json"))
    return json.dumps(manifest | fields).encode()


def _bad_file(kind: str, backup: Path, bad: Path) -> None:
    data = backup.read_bytes()
    if kind == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif kind == "foreign":
        bad.write_bytes(b"SQLite format 3\x00" + bytes(200))
    elif kind == "no-manifest":
        with zipfile.ZipFile(bad, "w") as packed:
            packed.writestr("notes.txt", "not a backup")
    elif kind == "damaged":
        with zipfile.ZipFile(backup) as packed:
            db = bytearray(packed.read("sagsflow.db"))
        db[5000] ^= 1
        _repack(backup, bad, sagsflow_db=bytes(db))
    elif kind == "newer-schema":
        _repack(backup, bad, manifest_json=_manifest(backup, schema="9999"))
    elif kind == "newer-format":
        _repack(
            backup, bad, manifest_json=_manifest(backup, format="sagsflow-backup/2")
        )


@pytest.mark.parametrize(
    ("kind", "code", "said"),
    [
        ("truncated", REFUSED, "cut short (truncated)"),
        ("foreign", REFUSED, "not a sagsflow backup"),
        ("no-manifest", REFUSED, "not a sagsflow backup (no manifest.json)"),
        ("damaged", REFUSED, "damaged: sagsflow.db is not what its manifest says"),
        ("newer-schema", DATABASE, "of schema revision '9999'"),
        ("newer-format", DATABASE, "in format 'sagsflow-backup/2'"),
    ],
)
def test_a_bad_backup_is_refused_and_nothing_is_written(
    run: Run, backup: Path, tmp_path: Path, kind: str, code: int, said: str
) -> None:
    bad = tmp_path / f"{kind}.zip"
    _bad_file(kind, backup, bad)
    target = tmp_path / "restored.db"
    before = sorted(p.name for p in tmp_path.iterdir())
    message = assert_one_error_line(
        run("restore", str(bad), "--db", f"sqlite:///{target}"), code, said
    )
    assert str(bad) in message
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_target_that_holds_a_database_is_refused_and_left_alone(
    run: Run, office: Path, backup: Path
) -> None:
    before = snapshot(office)
    assert_one_error_line(
        run("restore", str(backup), "--db", f"sqlite:///{office}"),
        REFUSED,
        f"{office} exists and is not empty: restore only into a new database",
    )
    assert snapshot(office) == before


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (("restore",), "give the backup FILE to restore (or --check)"),
        (("restore", "x.zip", "--check"), "--check verifies a database restored"),
        (("restore", "nowhere.zip", "--db", "sqlite:///x.db"), "no such backup file"),
        (("backup", "--out", "{backup}"), "exists; choose another file"),
        (
            ("backup", "--out", "b.zip", "--db", "postgresql+psycopg://h/office"),
            "for PostgreSQL use pg_dump -Fc",
        ),
    ],
)
def test_bad_arguments_are_one_line_each(
    run: Run, backup: Path, argv: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    args = [a.format(backup=backup) for a in argv]
    if "--db" in args and args[0] == "backup":  # the global option names the source
        i = args.index("--db")
        result = run(*args[:i], db=args[i + 1])
    else:
        result = run(*args)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_error_line(result, REFUSED, said)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_names_a_record_that_does_not_verify(
    run: Run, backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored.db"
    assert run("restore", str(backup), "--db", f"sqlite:///{target}")[0] == 0
    with closing(sqlite3.connect(target)) as conn:
        conn.execute("DROP TRIGGER audit_entry_no_update")  # as an intruder would
        conn.execute("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2")
        conn.commit()
    code, out, err = run("restore", "--check", "--db", f"sqlite:///{target}")
    assert code == REFUSED
    assert f"BROKEN {FOUNDING}: entry 2 was altered" in out
    assert err.startswith("sagsflow: error: the restored record does not verify")
    assert len(err.splitlines()) == 1


# -- PostgreSQL ---------------------------------------------------------------------
def test_a_sqlite_backup_restores_into_postgresql_and_pg_restore_checks(
    run: Run, backup: Path, postgres_url: str, tmp_path: Path
) -> None:
    code, out, err = run("restore", str(backup), "--db", postgres_url)
    assert (code, err) == (0, "")
    assert "1 cases, 3 entries, 4 changes to users" in out
    assert_one_error_line(  # now it holds data
        run("restore", str(backup), "--db", postgres_url),
        REFUSED,
        "the target database already holds data",
    )

    # pg_dump -Fc and pg_restore into an empty database, then restore --check
    admin = require_admin_url()
    libpq = make_url(postgres_url).set(drivername="postgresql")
    dump = tmp_path / "office.dump"
    empty = create_database(admin)
    try:
        for argv in (
            ["pg_dump", "-Fc", "-f", str(dump), libpq.render_as_string(False)],
            [
                "pg_restore", "--exit-on-error", "--no-owner", "-d",
                empty.set(drivername="postgresql").render_as_string(False), str(dump),
            ],
        ):  # fmt: skip
            done = subprocess.run(argv, capture_output=True, text=True, timeout=WAIT_S)
            assert done.returncode == 0, done.stderr
        url = empty.render_as_string(hide_password=False)
        code, out, err = run("restore", "--check", "--db", url)
        assert (code, err) == (0, "")
        assert "(current), 1 cases, 3 entries, 4 changes to users\n" in out
    finally:
        assert empty.database is not None
        drop_database(admin, empty.database)


# -- the words of a loss ------------------------------------------------------------
def test_a_loss_is_named_in_cases_entries_and_changes_to_users() -> None:
    taken = {
        "2026-0000003": "2026-12-07 16:21 UTC",
        USERS_CHAIN: "2026-12-07 16:21 UTC",
    }
    problems = [
        Problem(case="2026-0000003", seq=5, kind="truncated", detail="", covered=7),
        Problem(case="2026-0000009", seq=None, kind="removed", detail="", covered=4),
        Problem(case="2026-0000010", seq=2, kind="altered", detail=""),  # not a loss
        Problem(case=USERS_CHAIN, seq=6, kind="truncated", detail="", covered=6),
    ]
    lost = lost_from(problems, taken)
    assert [describe(x) for x in lost] == [
        "case 2026-0000003: entries 5-7 lost (the checkpoint of 2026-12-07 16:21 UTC "
        "covers 7)",
        "case 2026-0000009: missing (the checkpoint covers 4 entries)",
        "the users' chain: change 6 lost (the checkpoint of 2026-12-07 16:21 UTC "
        "covers 6)",
    ]
    assert summary(lost) == (
        "behind its checkpoints, 7 entries of 2 cases and 1 change to users lost "
        "(1 case missing entirely)"
    )
    assert summary([]) == ""


def test_a_backup_of_an_older_schema_is_upgraded_as_it_is_restored(
    run: Run, tmp_path: Path
) -> None:
    older = tmp_path / "older.db"
    scripts = ScriptDirectory.from_config(_alembic())
    before = scripts.get_revision(head_revision()).down_revision
    assert isinstance(before, str)
    db = create_db_engine(f"sqlite:///{older}")
    try:
        with db.begin() as conn:
            config = _alembic()
            config.attributes["connection"] = conn
            command.upgrade(config, before)
    finally:
        db.dispose()
    out = tmp_path / "older.zip"
    assert run("backup", "--out", str(out), db=f"sqlite:///{older}")[0] == 0

    target = tmp_path / "restored.db"
    code, said, err = run("restore", str(out), "--db", f"sqlite:///{target}")
    assert (code, err) == (0, "")
    assert f"(schema upgraded {before} → {head_revision()})\n" in said
    code, said, _ = run("restore", "--check", "--db", f"sqlite:///{target}")
    assert code == 0
    assert f"schema {head_revision()} (current), 0 cases" in said


def _alembic() -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    return config
