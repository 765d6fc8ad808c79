"""Revision 0009 indexes the cases already there, and goes back cleanly.

A database is taken to revision 0008 and given cases as that revision knows
them; upgrading must index every one (found by title and names, erased names
not), and downgrading to 0008 must leave nothing of the index behind: no
table, no trigger, no function, and the cases as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, insert, inspect, text

from engine.audit.personal import ERASED
from engine.records import Case, Party
from engine.search import parse_search
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from storage.database import _alembic_config, current_revision, head_revision
from storage.sql.mapping import case_columns
from storage.tables import CASES
from tests.conftest import POSTGRES
from tests.postgres import create_database, drop_database, require_admin_url

T0 = datetime(2024, 10, 3, 8, 0, tzinfo=UTC)
CASE = Case(
    number="2024-0000001",
    workflow="ombudsman-inquiry",
    workflow_version=1,
    title="Klage over hjemmehjælp",
    state="closed",
    version=5,
    parties=(
        Party(role="citizen", name="Søren Ågård Bæk"),
        Party(role="authority", name="Københavns Kommune"),
    ),
    state_entered_at=T0,
    opened_at=T0,
    last_event_at=T0,
    updated_at=T0,
)
ERASED_CASE = replace(
    CASE,
    number="2024-0000002",
    title="Aktindsigt",
    parties=(Party(role="citizen", name=ERASED),),
)


@pytest.fixture(params=["sqlite", POSTGRES])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of this test's own, on each kind."""
    if request.param == "sqlite":
        db = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield db
        db.dispose()
        return
    admin = require_admin_url()
    url = create_database(admin)
    db = create_db_engine(url.render_as_string(hide_password=False))
    yield db
    db.dispose()
    assert url.database is not None
    drop_database(admin, url.database)


@pytest.fixture
def at_0008(empty: Engine) -> Engine:
    with empty.begin() as conn:
        command.upgrade(_alembic_config(conn), "0008")
        for case in (CASE, ERASED_CASE):
            conn.execute(insert(CASES).values(**case_columns(case)))
    return empty


def found(db: Engine, words: str) -> list[str]:
    with SqlCaseStore(db).transaction(write=False) as tx:
        return [c.number for c in tx.search_cases(parse_search(words), limit=10)]


def index_objects(db: Engine) -> list[str]:
    """Every table, trigger and function of the search index in the database."""
    with db.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if "search" in n]
        if db.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            sql = (
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal UNION ALL "
                "SELECT proname FROM pg_proc p JOIN pg_namespace n ON "
                "n.oid = p.pronamespace WHERE n.nspname = current_schema()"
            )
        names += [n for n in conn.execute(text(sql)).scalars() if "search" in n]
    return sorted(names)


def test_the_upgrade_indexes_the_cases_already_there(at_0008: Engine) -> None:
    assert upgrade_schema(at_0008) == ("0008", head_revision())
    assert found(at_0008, "søren ågård bæk") == ["2024-0000001"]
    assert found(at_0008, "hjemmehjælp københavns") == ["2024-0000001"]
    assert found(at_0008, "aktindsigt") == ["2024-0000002"]
    assert found(at_0008, "erased") == []


def test_the_downgrade_leaves_nothing_of_the_index_and_the_upgrade_comes_back(
    at_0008: Engine,
) -> None:
    with at_0008.begin() as conn:  # to 0009: later revisions are never undone
        command.upgrade(_alembic_config(conn), "0009")
    assert index_objects(at_0008) != []
    with at_0008.begin() as conn:
        command.downgrade(_alembic_config(conn), "0008")

    assert current_revision(at_0008) == "0008"
    assert index_objects(at_0008) == []
    with at_0008.connect() as conn:
        numbers = conn.execute(text("SELECT number FROM wf_case ORDER BY id")).all()
    assert [n for (n,) in numbers] == ["2024-0000001", "2024-0000002"]

    upgrade_schema(at_0008)
    assert found(at_0008, "bæk") == ["2024-0000001"]
