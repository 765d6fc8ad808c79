"""Erasing a closed case's personal data: what goes, what stays, what is refused.

After `erase_case` and after a retention run, the erased names appear nowhere
in the database's bytes (SQLite's main file and write-ahead log; PostgreSQL's
table pages, dead tuples included, read with pageinspect), while the chain
still verifies and the case says what was erased, when and why.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from engine.audit.personal import ERASED
from engine.audit.review import verify_store
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.exceptions import InvalidDataError, RoleNotAllowedError
from engine.records import Party
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore
from storage.tables import CASES, OUTBOX

INQUIRY = "ombudsman-inquiry"
CITIZEN = "Karen Blixen Testesen"
CITIZEN_MAIL = "karen.testesen@example.dk"
REASON = "Klagerens egen forklaring om Karen Blixen Testesen"


def at(moment: str) -> datetime:
    return parse_instant(moment)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at("2024-10-03T10:00"))


@pytest.fixture
def engine(
    database: Engine, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    engine = CaseEngine(
        store=SqlCaseStore(database),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])
    engine.add_user("jur", ["caseworker"])
    return engine


def closed_case(engine: CaseEngine, clock: FakeClock) -> str:
    """The founding case, closed on 20 Nov 2024, with a personal reason."""
    number = engine.open_case(
        INQUIRY,
        actor="jur",
        title="Klage over sagsbehandlingstid",
        parties=[
            Party(role="citizen", name=CITIZEN, email=CITIZEN_MAIL),
            Party(role="authority", name="Borgerservice", email="bs@kk.dk"),
        ],
    ).case.number
    clock.set(at("2024-10-09T10:00"))
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    clock.set(at("2024-11-10T10:00"))
    engine.fire(number, "receive_reply", actor="jur")
    clock.set(at("2024-11-20T10:00"))
    engine.fire(
        number,
        "close",
        actor="bra",
        data={"outcome": "no_further_action", "reason": REASON},
    )
    return number


def database_bytes(db: Engine) -> bytes:
    """Every byte the database keeps its rows in, dead ones included."""
    if db.dialect.name == "sqlite":
        path = Path(str(db.url.database))
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    pages: list[bytes] = []
    with db.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        tables = (
            conn.execute(
                text(
                    "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                    "AND c.relkind IN ('r', 't', 'i')"
                )
            )
            .scalars()
            .all()
        )
        toast = (
            conn.execute(
                text(
                    "SELECT t.oid::regclass::text FROM pg_class c JOIN pg_class t "
                    "ON t.oid = c.reltoastrelid JOIN pg_namespace n ON n.oid = "
                    "c.relnamespace WHERE n.nspname = current_schema()"
                )
            )
            .scalars()
            .all()
        )
        for table in [*tables, *toast]:
            blocks = conn.execute(
                text(
                    "SELECT pg_relation_size(:t) / current_setting('block_size')::int"
                ),
                {"t": table},
            ).scalar_one()
            for block in range(int(blocks)):
                pages.append(
                    conn.execute(
                        text("SELECT get_raw_page(:t, :b)"), {"t": table, "b": block}
                    ).scalar_one()
                )
    return b"".join(pages)


def traces(db: Engine) -> list[str]:
    """Which of the erased values the database's bytes still hold (the
    surname also as the search index keeps its words: lower-case)."""
    raw = database_bytes(db)
    return [
        value
        for value in (CITIZEN, CITIZEN_MAIL, "Testesen", "testesen")
        if value.encode() in raw
    ]


def index_bytes(db: Engine) -> bytes:
    """The search index's own bytes: FTS5's segments on SQLite, the table
    and its GIN index's pages on PostgreSQL."""
    with db.begin() as conn:
        if db.dialect.name == "sqlite":
            blocks = conn.execute(text("SELECT block FROM case_search_data"))
            return b"".join(blocks.scalars())
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        pages = []
        for relation in ("case_search", "ix_case_search_document"):
            size = conn.execute(
                text(
                    "SELECT pg_relation_size(:t) / current_setting('block_size')::int"
                ),
                {"t": relation},
            ).scalar_one()
            pages += [
                conn.execute(
                    text("SELECT get_raw_page(:t, :b)"), {"t": relation, "b": block}
                ).scalar_one()
                for block in range(int(size))
            ]
        return b"".join(pages)


def test_erasing_removes_every_byte_and_the_record_still_verifies(
    engine: CaseEngine, clock: FakeClock, database: Engine
) -> None:
    number = closed_case(engine, clock)
    assert traces(database), "the values are there before"
    assert b"testesen" in index_bytes(database), "and in the search index's pages"
    assert [m.field for m in engine.search("Testesen", limit=5)] == ["party"]
    clock.set(at("2025-02-01T09:00"))

    done = engine.erase_case(number, actor="bra", reason="Anmodning efter GDPR art. 17")

    assert traces(database) == []
    assert engine.search("Karen Blixen Testesen", limit=5) == []
    assert engine.search("Borgerservice", limit=5) == []
    assert [m.field for m in engine.search("sagsbehandlingstid", limit=5)] == ["title"]
    assert verify_store(engine.store).ok
    view = engine.show(number)
    assert [p.name for p in view.case.parties] == [ERASED, ERASED]
    assert view.case.data["reason"] == ERASED
    assert view.case.erased is not None
    assert view.case.erased["by"] == "bra"
    assert view.case.erased["reason"] == "Anmodning efter GDPR art. 17"
    last = view.history[-1]
    assert (last.event, last.actor, last.to_state) == ("erase", "bra", "closed")
    assert "parties.citizen.name" in done.erased
    assert "data.reason" in done.erased
    opening = view.history[0].readable
    assert opening["parties"]["citizen"]["name"] == ERASED
    assert "rewritten" in done.storage


def test_a_retention_run_erases_what_is_due_and_nothing_else(
    engine: CaseEngine, clock: FakeClock, database: Engine
) -> None:
    number = closed_case(engine, clock)
    other = engine.open_case(
        INQUIRY,
        actor="jur",
        title="Stadig åben",
        parties=[Party(role="citizen", name="Åben Borger Person")],
    ).case.number
    clock.set(at("2029-11-19T12:00"))
    assert engine.due_erasures(clock.now().date()) == []

    clock.set(at("2029-11-20T12:00"))  # five years after it was closed
    erased, refused, storage = engine.run_retention(today=clock.now().date())

    assert [e.number for e in erased] == [number]
    assert refused == []
    assert "5 years" in erased[0].rule
    assert traces(database) == []
    assert b"Person" in database_bytes(database), "the open case keeps its data"
    assert engine.show(other).case.erased is None
    case = engine.show(number).case
    assert case.erased is not None
    assert case.erased["rule"] == erased[0].rule
    assert verify_store(engine.store).ok
    assert storage


def test_notifications_of_the_case_lose_the_erased_values(
    engine: CaseEngine, clock: FakeClock, database: Engine
) -> None:
    number = closed_case(engine, clock)
    case_id = engine.show_case(number).id
    with database.begin() as conn:
        conn.execute(
            OUTBOX.insert().values(
                idempotency_key="k1",
                case_id=case_id,
                case_number=number,
                channel="email",
                recipient=CITIZEN_MAIL,
                kind="notice",
                subject=f"Til {CITIZEN}",
                body=f"Kære {CITIZEN}, Karen Blixen Testesens sag",
                payload={"to": CITIZEN},
                status="sent",
                available_at=clock.now(),
                created_at=clock.now(),
            )
        )

    done = engine.erase_case(number, actor="bra", reason="Anmodning")

    assert done.notifications == 1
    with database.connect() as conn:
        row = conn.execute(select(OUTBOX)).mappings().one()
    assert row["recipient"] == ERASED
    assert row["subject"] == f"Til {ERASED}"
    # a whole-word match: a longer word that starts with a name is left alone
    assert row["body"] == f"Kære {ERASED}, Karen Blixen Testesens sag"
    assert row["payload"] == {"to": ERASED}


@pytest.mark.parametrize(
    ("actor", "prepare", "error", "message"),
    [
        pytest.param(
            "jur", "closed", RoleNotAllowedError, "caseworker", id="a-caseworker"
        ),
        pytest.param(
            "bra", "open", InvalidDataError, "erasing an open case", id="open-case"
        ),
        pytest.param(
            "bra", "erased", InvalidDataError, "was erased already", id="twice"
        ),
        pytest.param(
            "bra",
            "closed-blank-reason",
            InvalidDataError,
            "needs a reason",
            id="no-reason",
        ),
    ],
)
def test_a_refused_erasure_changes_nothing(
    engine: CaseEngine,
    clock: FakeClock,
    database: Engine,
    actor: str,
    prepare: str,
    error: type[Exception],
    message: str,
) -> None:
    if prepare == "open":
        number = engine.open_case(
            INQUIRY,
            actor="jur",
            title="Åben",
            parties=[Party(role="citizen", name=CITIZEN)],
        ).case.number
    else:
        number = closed_case(engine, clock)
    if prepare == "erased":
        engine.erase_case(number, actor="bra", reason="Første gang")
    with database.connect() as conn:
        before = conn.execute(select(CASES)).mappings().all()

    with pytest.raises(error, match=message) as caught:
        engine.erase_case(
            number,
            actor=actor,
            reason="  " if prepare.endswith("blank-reason") else "Anmodning",
        )

    assert CITIZEN not in str(caught.value)
    with database.connect() as conn:
        assert conn.execute(select(CASES)).mappings().all() == before


def test_an_erased_case_takes_no_further_step(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = closed_case(engine, clock)
    engine.erase_case(number, actor="bra", reason="Anmodning")
    with pytest.raises(InvalidDataError, match="takes no further steps"):
        engine.correct(
            number, 5, actor="bra", reason="Forkert udfald", changes={"outcome": "x"}
        )
