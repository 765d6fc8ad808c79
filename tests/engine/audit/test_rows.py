"""The chain against the rows a reviewer reads: case rows, documents, personal values.

An attacker with write access changes the database the way a reviewer would
not notice: the append-only triggers disabled, a document's title, direction
or date changed, a document deleted or inserted, the case row's state, title,
owner, parties or deadline changed, a case's whole chain deleted, a kept personal
value swapped. `verify_store` must fail and name each: the case, the entry or
document, the field. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from engine.audit.review import verify_store
from engine.audit.verify import Report
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.records import Party
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore
from storage.tables import AUDIT, CASES, DOCUMENTS, PERSONAL

INQUIRY = "ombudsman-inquiry"
CITIZEN = "Karen Blixen Testesen"


def at(moment: str) -> datetime:
    return parse_instant(moment)


def founding_office(db: Engine, registry: WorkflowRegistry) -> tuple[str, str]:
    """The founding case closed, and a second case left waiting; their numbers."""
    clock = FakeClock(at("2024-10-03T10:00"))
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])
    engine.add_user("jur", ["caseworker"])
    parties = [
        Party(role="citizen", name=CITIZEN, email="karen@example.dk"),
        Party(role="authority", name="Borgerservice", email="bs@kk.dk"),
    ]
    number = engine.open_case(
        INQUIRY, actor="jur", title="Klage over sagsbehandlingstid", parties=parties
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
        data={"outcome": "no_further_action", "reason": f"{CITIZEN} fik svar"},
    )
    other = engine.open_case(
        INQUIRY, actor="jur", title="Anden klage", parties=parties[1:]
    ).case.number
    engine.fire(other, "send_inquiry", actor="jur")
    return number, other


def verify(db: Engine) -> Report:
    return verify_store(SqlCaseStore(db))


@pytest.fixture
def office(database: Engine, registry: WorkflowRegistry) -> tuple[Engine, str, str]:
    number, other = founding_office(database, registry)
    report = verify(database)
    assert report.ok, report.problems
    return database, number, other


Attack = Callable[[Connection, str], None]


def tamper(db: Engine, attack: Attack, number: str) -> None:
    """Run `attack` on case `number` with the append-only triggers out of the way."""
    with db.begin() as conn:
        if db.dialect.name == "postgresql":
            for table in ("audit_entry", "document"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
        else:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
            for name in list(names):
                conn.execute(text(f"DROP TRIGGER {name}"))
        attack(conn, number)


def found(report: Report) -> list[tuple[str, str, str]]:
    return [(p.case, p.kind, p.detail) for p in report.problems]


def _case_id(conn: Connection, number: str) -> int:
    return int(
        conn.execute(select(CASES.c.id).where(CASES.c.number == number)).scalar_one()
    )


def _document(number: str, **values: object) -> Attack:
    def attack(conn: Connection, case: str) -> None:
        conn.execute(
            update(DOCUMENTS)
            .where(DOCUMENTS.c.number == f"{case}-{number}")
            .values(**values)
        )

    return attack


def _case(**values: object) -> Attack:
    def attack(conn: Connection, case: str) -> None:
        conn.execute(update(CASES).where(CASES.c.number == case).values(**values))

    return attack


def _delete_document(conn: Connection, case: str) -> None:
    conn.execute(delete(DOCUMENTS).where(DOCUMENTS.c.number == f"{case}-2"))


def _insert_document(conn: Connection, case: str) -> None:
    row = (
        conn.execute(select(DOCUMENTS).where(DOCUMENTS.c.number == f"{case}-1"))
        .mappings()
        .one()
    )
    conn.execute(
        insert(DOCUMENTS).values(
            {
                **{k: v for k, v in row.items() if k != "id"},
                "seq": 9,
                "number": f"{case}-9",
                "title": "Indsat",
                "event_seq": 4,
            }
        )
    )


def _delete_chain(conn: Connection, case: str) -> None:
    conn.execute(delete(AUDIT).where(AUDIT.c.case_id == _case_id(conn, case)))


def _swap_party(conn: Connection, case: str) -> None:
    parties = conn.execute(
        select(CASES.c.parties).where(CASES.c.number == case)
    ).scalar_one()
    parties[0]["name"] = "Someone Else"
    conn.execute(update(CASES).where(CASES.c.number == case).values(parties=parties))


def _swap_personal_value(conn: Connection, case: str) -> None:
    case_id = _case_id(conn, case)
    rows = conn.execute(
        select(PERSONAL.c.commitment, PERSONAL.c.value).where(
            PERSONAL.c.case_id == case_id
        )
    ).all()
    (commitment,) = [c for c, v in rows if v == CITIZEN]
    conn.execute(
        update(PERSONAL)
        .where(PERSONAL.c.case_id == case_id)
        .where(PERSONAL.c.commitment == commitment)
        .values(value="Someone Else")
    )


ATTACKS: list[tuple[str, Attack, str, str]] = [
    (
        "document-title",
        _document("3", title="Intet"),
        "document_changed",
        "document {n}-3's title is 'Intet'",
    ),
    (
        "document-direction",
        _document("2", direction="note"),
        "document_changed",
        "document {n}-2's direction is 'note'",
    ),
    (
        "document-date",
        _document("3", date=date(2024, 11, 1)),
        "document_changed",
        "document {n}-3's date is '2024-11-01'",
    ),
    (
        "document-deleted",
        _delete_document,
        "document_deleted",
        "document {n}-2, journalised by entry 4, is gone",
    ),
    (
        "document-inserted",
        _insert_document,
        "document_inserted",
        "document {n}-9 is in the journal, but no entry journalised it",
    ),
    (
        "case-state",
        _case(state="opened"),
        "case_changed",
        "the case row's state is 'opened', but entry 5 left it 'closed'",
    ),
    (
        "case-title",
        _case(title="Noget andet"),
        "case_changed",
        "the case row's title is 'Noget andet'",
    ),
    (
        "case-due",
        _case(due=date(2025, 1, 1)),
        "case_changed",
        "the case row's due is '2025-01-01', but entry 5 left it None",
    ),
    (  # fields a version 3 seal leaves out, implied by its entry, still count
        "case-chase-position",
        _case(chase_position=2),
        "case_changed",
        "the case row's chase_position is 2, but entry 5 left it 0",
    ),
    (
        "case-state-entered",
        _case(state_entry_seq=1),
        "case_changed",
        "the case row's state_entry_seq is 1, but entry 5 left it 5",
    ),
    (
        "case-owner",
        _case(owner="bra"),
        "case_changed",
        "the case row's owner is 'bra', but entry 5 left it 'jur'",
    ),
    (
        "case-parties",
        _swap_party,
        "case_changed",
        "the case row's party 'citizen' name is not the one entry 5 committed to",
    ),
    (
        "chain-gone",
        _delete_chain,
        "chain_gone",
        "the case is at version 5 but its whole chain is gone",
    ),
    (
        "personal-value",
        _swap_personal_value,
        "personal_changed",
        "a kept personal value is not the one its commitment was made to",
    ),
]


@pytest.mark.parametrize(
    ("attack", "kind", "detail"),
    [pytest.param(a, k, d, id=name) for name, a, k, d in ATTACKS],
)
def test_each_change_to_a_row_the_chain_covers_is_named(
    office: tuple[Engine, str, str], attack: Attack, kind: str, detail: str
) -> None:
    db, number, _ = office
    tamper(db, attack, number)

    report = verify(db)

    assert not report.ok
    assert any(
        c == number and k == kind and detail.format(n=number) in d
        for c, k, d in found(report)
    ), found(report)
    assert {c for c, _, _ in found(report)} == {number}, "only the attacked case"


def test_the_untouched_office_verifies_with_its_personal_values_kept(
    office: tuple[Engine, str, str],
) -> None:
    db, _, _ = office
    with db.connect() as conn:
        kept = conn.execute(select(PERSONAL.c.value)).scalars().all()
        entries = conn.execute(select(AUDIT.c.data, AUDIT.c.sealed)).all()
    assert CITIZEN in kept
    assert f"{CITIZEN} fik svar" in kept
    # the chain itself holds commitments only: no name is in any entry
    assert all(CITIZEN not in str(data) + str(sealed) for data, sealed in entries)
