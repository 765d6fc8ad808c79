"""Shared fixtures: a fake clock, a store per implementation, an engine, users.

`store` runs every storage-facing test on the in-memory store, on SQLite (a
fresh file migrated by Alembic, as `sagsflow init` does) and on PostgreSQL (a
fresh database per test, see tests/postgres.py); `database_url` gives the two
real databases to tests that need a URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Engine

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.ports import CaseStore
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import InMemoryCaseStore, SqlCaseStore, create_db_engine, upgrade_schema
from tests.postgres import (
    create_database,
    drop_database,
    migrated_template,
    require_admin_url,
)
from workflows import bundled_paths

POSTGRES = pytest.param("postgres", marks=pytest.mark.external_service)

# A moment after the founding case closed (20 Nov 2024), so back-dated times fit.
NOW = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (stable otherwise): on every core (pytest-xdist) the
    long ones start early instead of finishing last on one worker."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture(scope="session")
def registry() -> WorkflowRegistry:
    return WorkflowRegistry.from_paths(bundled_paths())


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sagsflow.db'}"


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per session, copied per test."""
    admin = require_admin_url()
    template = migrated_template(admin)
    assert template.database is not None
    yield template.database
    drop_database(admin, template.database)


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """A fresh migrated PostgreSQL database of this test's own."""
    admin = require_admin_url()
    url = create_database(admin, template=postgres_template)
    yield url.render_as_string(hide_password=False)
    assert url.database is not None
    drop_database(admin, url.database)


def _migrated_url(request: pytest.FixtureRequest, kind: str) -> str:
    if kind == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    tmp_path: Path = request.getfixturevalue("tmp_path")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = create_db_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", POSTGRES])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database on each real database sagsflow runs on."""
    return _migrated_url(request, request.param)


@pytest.fixture
def database(database_url: str) -> Iterator[Engine]:
    """`database_url`'s database as an SQLAlchemy engine, disposed after."""
    db = create_db_engine(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def store(request: pytest.FixtureRequest) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryCaseStore()
        return
    engine = create_db_engine(_migrated_url(request, request.param), create=False)
    yield SqlCaseStore(engine)
    engine.dispose()


@pytest.fixture
def memory_store() -> InMemoryCaseStore:
    return InMemoryCaseStore()


def make_engine(
    store: CaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    engine = CaseEngine(
        store=store, registry=registry, clock=clock, calendar=BusinessCalendar()
    )
    engine.add_user("bra", ["advisor"])  # the Borgerrådgiver
    engine.add_user("jur", ["caseworker"])  # the case's lawyer
    engine.add_user("jur2", ["caseworker"])
    engine.add_user("ind", ["intake"])
    engine.add_user("rev", ["auditor"])
    return engine


@pytest.fixture
def engine(
    store: CaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    """An engine on every store, with one user per role."""
    return make_engine(store, registry, clock)


@pytest.fixture
def fast_engine(
    memory_store: InMemoryCaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    """An engine on the in-memory store only, for tables of engine rules."""
    return make_engine(memory_store, registry, clock)
