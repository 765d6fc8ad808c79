"""`storage.revisions` answers the schema questions without Alembic: the same
answers as Alembic's, on every database kind sagsflow runs on."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from storage import create_db_engine
from storage.revisions import database_revisions, head, known_revisions


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    return ScriptDirectory.from_config(config)


def test_the_revisions_are_alembics_oldest_first() -> None:
    walked = [r.revision for r in _scripts().walk_revisions()]  # newest first
    assert list(known_revisions()) == walked[::-1]
    assert head() == _scripts().get_current_head()
    assert known_revisions()[0] == "0001"


def test_the_database_revision_is_alembics(database: Engine) -> None:
    with database.connect() as conn:
        assert database_revisions(conn) == (head(),)
        assert database_revisions(conn) == tuple(
            MigrationContext.configure(conn).get_current_heads()
        )


def test_a_database_without_a_schema_has_no_revision(tmp_path: Path) -> None:
    db = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with db.connect() as conn:
            assert database_revisions(conn) == ()
    finally:
        db.dispose()
