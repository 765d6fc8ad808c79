"""`sagsflow init` upgrades a filled database from every earlier schema.

For each revision R before the head and each of SQLite and PostgreSQL, the
fixture made by that revision's own sagsflow (tests/fixtures/schemas, see
make.py there) is restored into a fresh database. `init --check` must say an
upgrade is due and change nothing; `init` must say it went from R to the head;
then `init --check` says up to date, `audit verify` passes over every case and
entry, every row is still there, and the founding case shows. A database at a
newer sagsflow's revision is refused by `init`, `init --check` and every other
command, unchanged.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from service.cli.main import main
from storage.database import head_revision
from tests.fixtures.schemas.make import FOUNDING, REVISIONS
from tests.fixtures.schemas.restore import counts, restore_postgres, restore_sqlite
from tests.postgres import create_database, drop_database, require_admin_url

BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> Result:
    """The command line in this process, on the database `url`."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--db", url, *argv])
    code = exited.value.code
    assert isinstance(code, int), f"exit code {code!r} is not a number"
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@dataclass(frozen=True)
class Restored:
    url: str
    shown: str  # how init names the database
    fingerprint: object  # what must not change while the database is refused


Restore = Callable[[str, str], Restored]  # (revision, backend) -> the database


@pytest.fixture
def restore(tmp_path: Path) -> Iterator[Restore]:
    """Restores a fixture into a fresh database (PostgreSQL's dropped after)."""
    dropped: list[str] = []

    def _restore(revision: str, backend: str) -> Restored:
        if backend == "sqlite":
            path = tmp_path / f"{revision}.db"
            restore_sqlite(revision, path)
            return Restored(f"sqlite:///{path}", str(path), path)
        admin = require_admin_url()
        url = create_database(admin)
        assert url.database is not None
        dropped.append(url.database)
        restore_postgres(revision, url)
        rendered = url.render_as_string(hide_password=False)
        return Restored(rendered, rendered, rendered)

    yield _restore
    for name in dropped:
        drop_database(require_admin_url(), name)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in inspect(conn).get_table_names()
                if name != "alembic_version" and not name.startswith("case_search")
            }
    finally:
        engine.dispose()


def state(restored: Restored) -> object:
    """The whole database's content: its file's bytes, or every row."""
    if isinstance(restored.fingerprint, Path):
        return hashlib.sha256(restored.fingerprint.read_bytes()).hexdigest()
    engine = create_engine(restored.url)
    try:
        with engine.connect() as conn:
            return {
                name: sorted(
                    map(repr, conn.execute(text(f'SELECT * FROM "{name}"')).all())
                )
                for name in inspect(conn).get_table_names()
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("revision", REVISIONS)
def test_init_upgrades_a_filled_database(
    capsys: pytest.CaptureFixture[str], restore: Restore, revision: str, backend: str
) -> None:
    db = restore(revision, backend)
    head = head_revision()
    before = counts(revision, backend)
    assert row_counts(db.url) == before  # the fixture came back whole
    unchanged = state(db)

    due = run(capsys, db.url, "init", "--check")
    assert (due.code, due.err) == (1, "")
    assert due.out == (
        f"database {db.shown}: an upgrade is due: schema {revision} → {head}; "
        "run 'sagsflow init'\n"
    )
    assert state(db) == unchanged

    upgraded = run(capsys, db.url, "init")
    assert (upgraded.code, upgraded.err) == (0, "")
    assert upgraded.out == f"database {db.shown} ready (schema {revision} → {head})\n"

    current = run(capsys, db.url, "init", "--check")
    assert (current.code, current.err) == (0, "")
    assert current.out == f"database {db.shown} is up to date (schema {head})\n"

    after = row_counts(db.url)
    assert {name: after[name] for name in before} == before  # every row kept
    verified = run(capsys, db.url, "audit", "verify")
    assert (verified.code, verified.err) == (0, "")
    cases, entries = before["wf_case"], before["audit_entry"]
    assert f" {cases} cases" in verified.out
    assert f" {entries} entries" in verified.out

    shown = run(capsys, db.url, "case", "show", FOUNDING)
    assert (shown.code, shown.err) == (0, "")
    assert FOUNDING in shown.out
    assert "Afslutningsbrev" in shown.out  # its closing letter, journaled in R


def newer(restored: Restored, revision: str) -> None:
    """Make the database claim a newer sagsflow's schema revision."""
    statement = f"UPDATE alembic_version SET version_num = '{revision}'"
    if isinstance(restored.fingerprint, Path):
        with closing(sqlite3.connect(restored.fingerprint)) as db, db:
            db.execute(statement)
        return
    engine = create_engine(restored.url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(("init",), id="init"),
        pytest.param(("init", "--check"), id="check"),
        pytest.param(("case", "list"), id="case-list"),
        pytest.param(("audit", "verify"), id="audit-verify"),
    ],
)
def test_a_newer_sagsflows_database_is_refused_unchanged(
    capsys: pytest.CaptureFixture[str],
    restore: Restore,
    backend: str,
    argv: tuple[str, ...],
) -> None:
    db = restore("0011", backend)
    head = head_revision()
    future = f"{int(head) + 1:0{len(head)}d}"
    newer(db, future)
    unchanged = state(db)

    refused = run(capsys, db.url, *argv)

    assert refused.code == 3
    assert refused.out == ""
    assert refused.err == (
        f"sagsflow: error: the database's schema ({future}) is newer than this "
        f"sagsflow ({head}): upgrade sagsflow; the database was not changed\n"
    )
    assert state(db) == unchanged


def test_check_on_a_missing_file_says_init_is_due_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "new.db"

    due = run(capsys, f"sqlite:///{path}", "init", "--check")

    assert (due.code, due.err) == (1, "")
    assert due.out == (
        f"database {path} has no sagsflow schema: run 'sagsflow init' to create "
        f"it (schema {head_revision()})\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_check_on_an_empty_postgres_database_says_init_is_due(
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = require_admin_url()
    url = create_database(admin)
    assert url.database is not None
    try:
        rendered = url.render_as_string(hide_password=False)
        due = run(capsys, rendered, "init", "--check")
        assert (due.code, due.err) == (1, "")
        assert "has no sagsflow schema: run 'sagsflow init' to create it" in due.out
        assert row_counts(rendered) == {}
    finally:
        drop_database(admin, url.database)


def test_check_refuses_another_applications_database_unchanged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    refused = run(capsys, f"sqlite:///{path}", "init", "--check")

    assert (refused.code, refused.out) == (3, "")
    assert refused.err == (
        "sagsflow: error: the database holds tables that are not sagsflow's "
        "(orders): refusing to write into another application's database\n"
    )
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.db"]
