"""A read transaction reads one snapshot, on SQLite and PostgreSQL alike.

A case shown with its record, or a report read a page at a time, must not mix
the database before and after a commit made meanwhile. On PostgreSQL that
takes REPEATABLE READ (READ COMMITTED gives each statement its own snapshot).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, event

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import CaseFilter
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine

WORKFLOW = "ombudsman-inquiry"


@pytest.fixture
def engine(
    database_url: str, registry: WorkflowRegistry, clock: FakeClock
) -> Iterator[CaseEngine]:
    db = create_db_engine(database_url, create=False)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])
    engine.add_user("jur", ["caseworker"])
    yield engine
    db.dispose()


def test_a_read_does_not_see_a_commit_made_while_it_runs(engine: CaseEngine) -> None:
    number = engine.open_case(WORKFLOW, actor="bra", title="Inquiry").case.number
    engine.open_case(WORKFLOW, actor="bra", title="Second")
    with engine.store.transaction(write=False) as tx:
        case = tx.get_case(number)
        engine.fire(number, "send_inquiry", actor="jur")  # committed meanwhile
        engine.open_case(WORKFLOW, actor="bra", title="Third")
        history = tx.history(case.id or 0)
        listed = tx.list_cases(CaseFilter())
        assert [e.event for e in history] == ["open"]
        assert tx.get_case(number).version == case.version == 1
        assert [c.title for c in listed] == ["Inquiry", "Second"]
    assert engine.show(number).case.state == "inquiry_sent"


def test_only_a_read_transaction_runs_repeatable_read(engine: CaseEngine) -> None:
    store = engine.store
    assert isinstance(store, SqlCaseStore)
    if store.engine.dialect.name != "postgresql":
        pytest.skip("isolation levels are PostgreSQL's")
    seen: list[str] = []

    def level(conn: Connection, *_: object) -> None:
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        seen.append(store.engine.dialect.get_isolation_level(dbapi))

    event.listen(store.engine, "begin", level)
    try:
        with store.transaction() as tx:
            tx.list_users()
        with store.transaction(write=False) as tx:
            tx.list_users()
        with store.transaction() as tx:
            tx.list_users()
    finally:
        event.remove(store.engine, "begin", level)
    assert seen == ["READ COMMITTED", "REPEATABLE READ", "READ COMMITTED"]
