"""`sagsflow init` writes only into a database that is empty or already sagsflow's.

A file (or a PostgreSQL schema) that holds another application's tables is
refused with one line, exit 3, and left byte for byte as it was: not even its
journal mode changes. A fresh file, an empty one and a sagsflow database at any
earlier revision are created or upgraded as before.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from importlib.resources import files
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL

from storage import create_db_engine
from storage.database import _alembic_config, current_revision, head_revision
from tests.postgres import create_database, drop_database, require_admin_url
from tests.service.cli.test_errors import DATABASE, assert_one_error_line
from tests.service.conftest import Run, snapshot

REFUSAL = "refusing to write into another application's database"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_in(folder: Path) -> dict[str, str]:
    """Every file of the folder by its hash (a -wal or -journal file shows up)."""
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def make_database(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.commit()


CUSTOMERS = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)",
    "INSERT INTO customers (name) VALUES ('Ærø Kommune')",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER)",
)


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        pytest.param(CUSTOMERS, "(customers, orders)", id="other-tables"),
        pytest.param(
            (*CUSTOMERS[:2], "CREATE TABLE wf_case (id INTEGER PRIMARY KEY)"),
            "(customers)",
            id="one-of-ours-besides",
        ),
        pytest.param(
            (
                "CREATE TABLE customers (id INTEGER)",
                "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
            ),
            "(customers)",
            id="an-empty-alembic-version",
        ),
        pytest.param(
            ("CREATE TABLE t (x INTEGER)", "CREATE VIEW overview AS SELECT x FROM t"),
            "(overview, t)",
            id="a-view",
        ),
        pytest.param(
            [f"CREATE TABLE t{i:02d} (x INTEGER)" for i in range(12)],
            "(t00, t01, t02, t03, t04, … 7 more)",
            id="many-tables",
        ),
    ],
)
def test_init_refuses_a_file_with_another_applications_tables(
    run: Run, tmp_path: Path, statements: tuple[str, ...], named: str
) -> None:
    foreign = tmp_path / "shop.db"
    make_database(foreign, *statements)
    before, folder = digest(foreign), files_in(tmp_path)

    result = run("init", db=f"sqlite:///{foreign}")

    line = assert_one_error_line(result, DATABASE, "tables that are not sagsflow's")
    assert line.endswith(f"{named}: {REFUSAL}"), line
    assert digest(foreign) == before
    assert files_in(tmp_path) == folder


@pytest.mark.parametrize(
    ("revisions", "named"),
    [
        pytest.param(("3f2a9c1b7d4e",), "'3f2a9c1b7d4e'", id="unknown"),
        pytest.param(("0001", "3f2a9c1b7d4e"), "'0001', '3f2a9c1b7d4e'", id="two"),
    ],
)
def test_init_refuses_a_file_another_application_migrates_with_alembic(
    run: Run, tmp_path: Path, revisions: tuple[str, ...], named: str
) -> None:
    """Its alembic_version names revisions sagsflow has never had."""
    foreign = tmp_path / "shop.db"
    make_database(
        foreign,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
        *(f"INSERT INTO alembic_version VALUES ('{r}')" for r in revisions),
        "CREATE TABLE wf_case (id INTEGER PRIMARY KEY)",
    )
    before, folder = digest(foreign), files_in(tmp_path)

    result = run("init", db=f"sqlite:///{foreign}")

    assert_one_error_line(
        result,
        DATABASE,
        f"schema revision {named}, which is not one of sagsflow's",
        "refusing to change it",
    )
    assert digest(foreign) == before
    assert files_in(tmp_path) == folder


def test_init_refuses_sagsflow_tables_without_a_revision(
    run: Run, tmp_path: Path
) -> None:
    """Tables by sagsflow's names that no `init` made are not upgraded blindly."""
    odd = tmp_path / "odd.db"
    make_database(odd, "CREATE TABLE wf_case (id INTEGER PRIMARY KEY)")
    before = digest(odd)

    result = run("init", db=f"sqlite:///{odd}")

    assert_one_error_line(
        result, DATABASE, "holds tables (wf_case)", "no sagsflow schema revision"
    )
    assert digest(odd) == before


def test_init_creates_a_new_file(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    code, out, err = run("init", db=f"sqlite:///{path}")
    assert (code, err) == (0, "")
    assert out == f"database {path} ready (schema none → {head_revision()})\n"


def test_init_fills_an_empty_file(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    code, out, err = run("init", db=f"sqlite:///{path}")
    assert (code, err) == (0, "")
    assert out == f"database {path} ready (schema none → {head_revision()})\n"
    assert "wf_case" in snapshot(path)


def test_init_on_an_up_to_date_database_changes_nothing(
    run: Run, initialised: Path
) -> None:
    before = snapshot(initialised)
    code, out, err = run("init")
    assert (code, err) == (0, "")
    assert out == f"database {initialised} is up to date (schema {head_revision()})\n"
    assert snapshot(initialised) == before


def earlier_revisions() -> list[str]:
    """Every revision before the head, oldest first."""
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    script = ScriptDirectory.from_config(config)
    return [r.revision for r in script.walk_revisions()][:0:-1]


@pytest.mark.parametrize("revision", earlier_revisions())
def test_init_upgrades_a_sagsflow_database_of_any_revision(
    run: Run, tmp_path: Path, revision: str
) -> None:
    path = tmp_path / "old.db"
    engine = create_db_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.upgrade(_alembic_config(conn), revision)
    finally:
        engine.dispose()

    code, out, err = run("init", db=f"sqlite:///{path}")

    assert (code, err) == (0, "")
    assert out == f"database {path} ready (schema {revision} → {head_revision()})\n"


# -- PostgreSQL: the same check on the connection's schema ------------------------


@pytest.fixture
def postgres_database() -> Iterator[URL]:
    """An empty PostgreSQL database of this test's own."""
    admin = require_admin_url()
    url = create_database(admin)
    yield url
    assert url.database is not None
    drop_database(admin, url.database)


def _tables(url: URL) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.external_service
def test_init_refuses_a_postgres_schema_with_another_applications_tables(
    run: Run, postgres_database: URL
) -> None:
    engine = create_engine(postgres_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE customers (id SERIAL PRIMARY KEY)"))
    finally:
        engine.dispose()
    url = postgres_database.render_as_string(hide_password=False)

    result = run("init", db=url)

    assert_one_error_line(
        result, DATABASE, "tables that are not sagsflow's (customers)", REFUSAL
    )
    assert _tables(postgres_database) == ["customers"]


@pytest.mark.external_service
@pytest.mark.parametrize("extension", [None, "pg_buffercache"])
def test_init_creates_the_schema_in_an_empty_postgres_database(
    run: Run, postgres_database: URL, extension: str | None
) -> None:
    """An extension's view in the schema is the server's, not an application's."""
    if extension is not None:
        engine = create_engine(postgres_database)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"CREATE EXTENSION {extension}"))
        finally:
            engine.dispose()
        assert _tables(postgres_database) == []  # a view
    url = postgres_database.render_as_string(hide_password=False)
    code, _, err = run("init", db=url)
    assert (code, err) == (0, "")
    engine = create_db_engine(url, create=False)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
