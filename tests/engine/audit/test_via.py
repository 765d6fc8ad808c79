"""Chain version 4: every entry seals how it came in (`via`), next to versions 1-3.

An entry of version 4 records the way in the recorder found (`engine.via`):
the command line and its login, the API and its token's public id, the
scheduler; `{"channel": "engine"}` for library use with none. Its hash covers
`via`, so an edited one is named; a chain begun under version 3 goes on under
4 and verifies; a later entry cannot fall back to version 3; a `via` put
beside an entry sealed before version 4 is named. Logged reads record theirs
too. On the memory store, SQLite and PostgreSQL where the store matters.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, Engine, update

import engine.cases.recorder as recorder
from engine import via
from engine.audit.chain import (
    CHAIN_VERSION,
    GENESIS,
    SEALS_VIA,
    chain_fields,
    link_hash,
)
from engine.audit.review import verify_store
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import AuditEntry, Party
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore
from storage.tables import AUDIT
from tests.engine.audit.test_rows import (
    Attack,
    at,
    found,
    founding_office,
    tamper,
    verify,
)

TOKEN_ID = "3f9a0c1b2d4e5f60"
JDOE = {"channel": "cli", "login": "jdoe"}


def _history(engine: CaseEngine, number: str) -> list[AuditEntry]:
    return list(engine.show(number).history)


def _open(engine: CaseEngine) -> str:
    return engine.open_case(
        "ombudsman-inquiry",
        actor="jur",
        title="Klage over sagsbehandlingstid",
        parties=[Party(role="authority", name="Borgerservice", email="bs@kk.dk")],
    ).case.number


# -- what a new entry records ------------------------------------------------------
def test_new_entries_are_version_4_and_record_how_each_came_in(
    engine: CaseEngine,
) -> None:
    with via.entering(via.cli("jdoe")):
        number = _open(engine)
    with via.entering(via.api(TOKEN_ID)):
        engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")  # no way in: a library call

    history = _history(engine, number)

    assert CHAIN_VERSION == SEALS_VIA == 4
    assert [e.chain_version for e in history] == [4, 4, 4]
    assert [e.via for e in history] == [
        JDOE,
        {"channel": "api", "token": TOKEN_ID},
        {"channel": "engine"},
    ]
    assert [chain_fields(e)["via"] for e in history] == [e.via for e in history]
    report = verify_store(engine.store)
    assert report.ok, report.problems


def test_the_scheduler_s_steps_are_system_s_whatever_surrounds_them(
    engine: CaseEngine, clock: FakeClock
) -> None:
    """`sagsflow sweep` runs in a CLI process: its chases are still `system`'s."""
    clock.set(at("2024-10-09T10:00"))
    number = _open(engine)
    engine.fire(number, "send_inquiry", actor="jur")
    engine.fire(number, "mark_dispatched", actor="jur")
    clock.set(at("2024-11-07T09:00"))

    with via.entering(via.cli("jdoe")):
        chased = chaser_for(engine).sweep().chased

    assert [c.number for c in chased] == [number]
    last = _history(engine, number)[-1]
    assert (last.actor, last.via) == ("system", {"channel": "system"})


def test_every_logged_read_records_how_it_came_in(engine: CaseEngine) -> None:
    number = _open(engine)
    with via.entering(via.api(TOKEN_ID)):
        engine.record_read(actor="rev", action="case_show", number=number)
    with via.entering(via.cli("jdoe")):
        engine.record_reads(actor="jur", action="case_list", numbers=[number])
    engine.record_read(actor="system", action="case_show", number=number)

    reads = [(r.actor, r.via) for r in engine.reads(number=number)]

    assert reads == [
        ("rev", {"channel": "api", "token": TOKEN_ID}),
        ("jur", JDOE),
        ("system", {"channel": "system"}),
    ]


def test_entering_is_undone_when_the_block_ends() -> None:
    before = via.current("jur")
    with via.entering(via.pages("s1")):
        assert via.current("jur") == {"channel": "pages", "session": "s1"}
        assert via.current("system") == {"channel": "system"}
    assert via.current("jur") == before


# -- the canonical forms -----------------------------------------------------------
ENTRY = AuditEntry(
    case_id=1,
    case_number="2024-0283489",
    seq=2,
    event="send_inquiry",
    from_state="opened",
    to_state="inquiry_sent",
    actor="jur",
    role="caseworker",
    at=datetime(2024, 10, 9, 7, 30, tzinfo=UTC),
    recorded_at=datetime(2024, 10, 9, 7, 30, 1, tzinfo=UTC),
    data={"note": "x"},
    due_before=date(2024, 10, 17),
    due_after=date(2024, 10, 11),
    calendar="dk:abc",
    workflow="ombudsman-inquiry",
    workflow_version=3,
    document="2024-0283489-1",
    sealed={"documents": [], "case": {"title": "T"}},
    via=JDOE,
)
# Computed under the code before version 4 existed (1-3), and when it came (4).
PINNED = {
    1: "ee4221b3a768d5a2e6da57d09ba2dba1811026619479cc909b5c75e33209feae",
    2: "a1e9551716239d12668915b7b834439b0c78c3dfdefb08a0f8e02d00f4b79c2f",
    3: "98be5ae635b8e304d9a05949ddcd623e34791496290e1cceb39c042f5e1786a7",
    4: "c52a41b73016a5f09e0e32c9ea72791562489b5618084fa71fb03a8bcf824e2c",
}


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_each_version_s_form_is_what_it_was(version: int) -> None:
    entry = replace(ENTRY, chain_version=version)
    assert link_hash(GENESIS, chain_fields(entry)) == PINNED[version]


def test_only_version_4_covers_via() -> None:
    other = {"channel": "cli", "login": "bra"}
    for version in (1, 2, 3):
        entry = replace(ENTRY, chain_version=version)
        assert "via" not in chain_fields(entry)
        moved = link_hash(GENESIS, chain_fields(replace(entry, via=other)))
        assert moved == PINNED[version]
    forged = replace(ENTRY, chain_version=4, via=other)
    assert link_hash(GENESIS, chain_fields(forged)) != PINNED[4]


# -- against the database ----------------------------------------------------------
def _set_via(seq: int, value: object) -> Attack:
    def attack(conn: Connection, case: str) -> None:
        conn.execute(
            update(AUDIT)
            .where(AUDIT.c.case_number == case, AUDIT.c.seq == seq)
            .values(via=value)
        )

    return attack


def _engine(db: Engine, registry: WorkflowRegistry) -> CaseEngine:
    return CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=FakeClock(at("2024-11-21T10:00")),
        calendar=BusinessCalendar(),
    )


def test_an_edited_via_is_named(database: Engine, registry: WorkflowRegistry) -> None:
    """Someone who makes a step look as if it came in by another way (or another
    login) changes a sealed field: the entry no longer gives its hash."""
    with via.entering(via.cli("jdoe")):
        number, other = founding_office(database, registry)
    assert verify(database).ok

    tamper(database, _set_via(2, {"channel": "cli", "login": "bra"}), number)
    tamper(database, _set_via(1, None), other)

    problems = found(verify(database))
    assert sorted((c, k) for c, k, _ in problems) == sorted(
        [(number, "altered"), (other, "altered")]
    )
    assert all("no longer gives its hash" in d for _, _, d in problems)


def test_a_chain_begun_under_version_3_goes_on_under_4_and_verifies(
    database: Engine, registry: WorkflowRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office that upgrades mid-case: version 3 entries (no via), then 4."""
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 3)
    with via.entering(via.cli("jdoe")):
        _, other = founding_office(database, registry)
        monkeypatch.setattr(recorder, "CHAIN_VERSION", 4)
        _engine(database, registry).fire(other, "mark_dispatched", actor="jur")

    entries = _history(_engine(database, registry), other)
    assert [(e.chain_version, e.via) for e in entries] == [
        (3, None),
        (3, None),
        (4, JDOE),
    ]
    report = verify(database)
    assert report.ok, report.problems


def test_a_version_3_entry_after_a_version_4_one_is_named(
    database: Engine, registry: WorkflowRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, other = founding_office(database, registry)
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 3)
    _engine(database, registry).fire(other, "mark_dispatched", actor="jur")

    problems = found(verify(database))

    assert [(c, k) for c, k, _ in problems] == [(other, "downgraded")]
    assert "version 3 after an entry of version 4" in problems[0][2]


def test_a_via_beside_an_entry_sealed_before_version_4_is_named(
    database: Engine, registry: WorkflowRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version 3 entry seals no via: one written beside it later is a claim
    nothing vouches for, and verification says so instead of showing it."""
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 3)
    number, _ = founding_office(database, registry)
    assert verify(database).ok

    tamper(database, _set_via(2, {"channel": "cli", "login": "jur"}), number)

    problems = found(verify(database))
    assert [(c, k) for c, k, _ in problems] == [(number, "via_unsealed")]
    assert "entry 2 shows how it came in" in problems[0][2]
