"""What only PostgreSQL has: JSONB, roles and grants, TRUNCATE, a pool.

Each test gets a database of its own (tests/postgres.py); roles are
cluster-wide, so the grants test makes a role with a unique name and drops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from engine.cases.engine import CaseEngine
from engine.chasing.chaser import ChaseSettings
from engine.chasing.dispatcher import Dispatcher
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.records import (
    CaseFilter,
    IdempotencyRecord,
    Notification,
    PageSession,
    Party,
)
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from service.app import database
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine
from storage.grants import grant_statements
from tests.postgres import require_admin_url

pytestmark = pytest.mark.external_service

RECORD_TABLES = {
    "audit_entry": "recorded_at",
    "document": "recorded_at",
    "user_change": "at",
}
TAMPERING = {
    "UPDATE": "UPDATE {table} SET {column} = {column}",
    "DELETE": "DELETE FROM {table}",
    "TRUNCATE": "TRUNCATE {table}",
}


@pytest.fixture
def db(postgres_url: str) -> Iterator[Engine]:
    engine = create_db_engine(postgres_url, create=False)
    yield engine
    engine.dispose()


class Channel:
    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


def _work(db: Engine, registry: WorkflowRegistry) -> tuple[CaseEngine, Channel]:
    """Everything the service and the people do, on `db`: open, fire, chase, mail."""
    clock = FakeClock(parse_instant("2024-10-03T10:00"))
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])
    engine.add_user("jur", ["caseworker"], email="jur@kk.example", actor="bra")
    engine.add_user("mab", ["caseworker"], actor="bra")  # and one who leaves:
    engine.deactivate_user("mab", actor="bra", reason="Fratrådt")
    number = engine.open_case(
        "ombudsman-inquiry",
        actor="bra",
        title="Inquiry",
        parties=[Party(role="authority", name="Forvaltning", email="f@kk.example")],
    ).case.number
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    engine.record_read(actor="jur", action="case show", number=number)
    clock.set(parse_instant("2024-11-25T10:00"))
    chased = chaser_for(engine, settings=ChaseSettings(quiet_hours=(0, 0))).sweep()
    assert [c.rung for c in chased.chased] == ["reminder_1"]
    channel = Channel()
    Dispatcher(
        store=engine.store, clock=clock, channels={"email": channel, "log": channel}
    ).dispatch()
    assert channel.sent
    assert engine.purge_reads(retention=timedelta(days=1)) == 1
    return engine, channel


def _refusal(db: Engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, db.begin() as conn:
        conn.execute(text(statement))
    return str(caught.value.orig)


def test_json_columns_are_jsonb(db: Engine) -> None:
    with db.connect() as conn:
        types: dict[str, str] = dict(
            conn.execute(
                text(
                    "SELECT table_name || '.' || column_name, data_type "
                    "FROM information_schema.columns WHERE data_type LIKE 'json%'"
                )
            ).all()
        )
    assert {
        "wf_case.parties",
        "wf_case.data",
        "audit_entry.data",
        "app_user.roles",
        "calendar.spec",
        "outbox.payload",
    } <= set(types)
    assert set(types.values()) == {"jsonb"}  # never plain json


def test_the_migrations_build_exactly_the_models_schema(db: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.sql.search import include_name
    from storage.tables import metadata

    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, metadata) == []


@pytest.mark.parametrize("table", RECORD_TABLES)
@pytest.mark.parametrize("action", sorted(TAMPERING))
def test_the_owner_cannot_change_the_record_either(
    db: Engine, registry: WorkflowRegistry, table: str, action: str
) -> None:
    _work(db, registry)
    statement = TAMPERING[action].format(table=table, column=RECORD_TABLES[table])
    message = _refusal(db, statement)
    assert f"{table} is append-only: {action} refused" in message
    with db.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


@pytest.fixture
def app_role(postgres_url: str) -> Iterator[str]:
    """A login role of this test's own, with exactly the printed grants."""
    role = f"sagsflow_app_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_url)
    assert url.database is not None
    owner = create_engine(url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        for statement in grant_statements(role, database=url.database):
            conn.execute(text(statement))
    yield role
    with owner.connect() as conn:
        conn.execute(text(f"DROP OWNED BY {role}"))
    owner.dispose()
    # The database (and with it every session of the role) goes first.
    admin = create_engine(require_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)"))
        conn.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


def test_the_application_role_can_work_but_not_change_the_record(
    postgres_url: str, app_role: str, registry: WorkflowRegistry
) -> None:
    url = make_url(postgres_url).set(username=app_role, password=None)
    as_app = create_db_engine(url.render_as_string(hide_password=False), create=False)
    try:
        engine, channel = _work(as_app, registry)
        (case,) = engine.list_cases(CaseFilter())
        assert (case.state, case.chase_position) == ("awaiting_reply", 1)
        assert len(channel.sent) == 2  # the authority and the caseworker
        for table, column in RECORD_TABLES.items():
            for action, statement in TAMPERING.items():
                message = _refusal(as_app, statement.format(table=table, column=column))
                assert "permission denied" in message, (table, action, message)
        message = _refusal(as_app, "UPDATE alembic_version SET version_num = 'x'")
        assert "permission denied" in message
    finally:
        as_app.dispose()


def test_the_application_role_keeps_and_drops_its_working_rows(
    postgres_url: str, app_role: str, registry: WorkflowRegistry
) -> None:
    """Page sessions (seen, ended) and idempotency keys (finished, expired)."""
    url = make_url(postgres_url).set(username=app_role, password=None)
    as_app = create_db_engine(url.render_as_string(hide_password=False), create=False)
    t0 = datetime(2024, 10, 3, 8, tzinfo=UTC)
    try:
        _work(as_app, registry)
        store = SqlCaseStore(as_app)
        session = PageSession(
            id="s1", digest="0" * 64, user_id="jur", method="token",
            created_at=t0, last_seen_at=t0,
        )  # fmt: skip
        key = IdempotencyRecord(
            user_id="jur", key="k1", fingerprint="f" * 64, created_at=t0
        )
        with store.transaction() as tx:
            tx.add_page_session(session, idle_before=t0)
            tx.touch_page_session("s1", t0 + timedelta(minutes=5))
            assert tx.claim_idempotency(key, expire_before=t0) is None
            tx.finish_idempotency("jur", "k1", status=201, body="{}", headers={}, at=t0)
        later = t0 + timedelta(days=2)
        with store.transaction() as tx:
            assert tx.end_page_session("s1")
            fresh = IdempotencyRecord(
                user_id="jur", key="k1", fingerprint="f" * 64, created_at=later
            )
            assert tx.claim_idempotency(fresh, expire_before=later) is None
    finally:
        as_app.dispose()


def test_the_pool_is_sized_by_the_settings(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, db_pool_size=3)
    engine = database(settings)
    try:
        assert engine.pool.size() == 3  # type: ignore[attr-defined]
    finally:
        engine.dispose()
