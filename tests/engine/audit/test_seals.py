"""Chain version 3: the case sealed packed, next to versions 1 and 2.

A version 3 entry leaves out of its seal what its own fields imply; what it
commits to must be exactly what version 2 committed to. Chains that began
under version 2 go on verifying, a later entry cannot fall back to version 2
unnoticed, and a version this code does not know is refused (in a dossier:
tests/service/test_dossier_anchor.py).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, update

import engine.cases.recorder as recorder
from engine.audit.chain import CHAIN_VERSION, chain_fields, link_hash
from engine.audit.rows import case_fields
from engine.audit.seals import (
    PACKED_FROM,
    defaults,
    entry_defaults,
    pack_case,
    unpack_case,
)
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import AuditEntry
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore
from storage.tables import AUDIT, CASES
from tests.engine.audit.test_rows import (
    Attack,
    at,
    found,
    founding_office,
    tamper,
    verify,
)

IMPLIED = ("state", "version", "due", "calendar", "workflow", "workflow_version")


def entries_of(db: Engine, number: str) -> list[AuditEntry]:
    store = SqlCaseStore(db)
    with store.transaction() as tx:
        case = tx.get_case(number)
        assert case.id is not None
        return list(tx.history(case.id))


def test_new_entries_are_packed_and_leave_out_what_they_imply(
    database: Engine, registry: WorkflowRegistry
) -> None:
    """Version 3's packing, and version 4's (which adds `via`: test_via.py)."""
    number, _ = founding_office(database, registry)
    entries = entries_of(database, number)

    assert CHAIN_VERSION >= PACKED_FROM
    assert {e.chain_version for e in entries} == {CHAIN_VERSION}
    for entry in entries:
        assert entry.sealed is not None
        assert not set(IMPLIED) & set(entry.sealed["case"]), entry.sealed["case"]
        assert "workflow_digest" in entry.sealed["case"]


def test_the_last_entry_unpacks_to_the_case_row(
    database: Engine, registry: WorkflowRegistry
) -> None:
    number, _ = founding_office(database, registry)
    store = SqlCaseStore(database)
    with store.transaction() as tx:
        case = tx.get_case(number)
        assert case.id is not None
        last = list(tx.history(case.id))[-1]
    said = unpack_case(last)
    plain = {k: v for k, v in said.items() if k not in ("parties", "data")}
    assert plain == case_fields(case) | {"workflow_digest": said["workflow_digest"]}
    assert [p["role"] for p in said["parties"]] == [p.role for p in case.parties]


_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3))
_DAY = st.one_of(st.none(), st.dates().map(date.isoformat))


@given(
    case=st.fixed_dictionaries(
        dict.fromkeys(("state", "version", "due", "calendar", "title"), _VALUE)
        | {
            "workflow": st.text(max_size=3),
            "workflow_version": st.integers(0, 3),
            "chase_position": _VALUE,
            "chase_due": _DAY,
            "state_entry_seq": _VALUE,
            "erased": _VALUE,
            "owner": st.one_of(st.none(), st.text(max_size=3)),
            "parties": st.lists(st.fixed_dictionaries({"role": st.text(max_size=2)})),
            "data": st.dictionaries(st.text(max_size=2), _VALUE, max_size=2),
        }
    ),
    seq=st.integers(1, 3),
    to_state=st.text(max_size=2),
    due=st.one_of(st.none(), st.dates()),
)
def test_packing_then_unpacking_gives_back_the_whole_case(
    case: dict[str, object], seq: int, to_state: str, due: date | None
) -> None:
    """Whatever the case says, even values of another type that compare equal
    to the implied ones (1 and True, 0 and False), comes back exactly."""
    entry = AuditEntry(
        case_id=1,
        case_number="2024-0000001",
        seq=seq,
        event="e",
        from_state=None,
        to_state=to_state,
        actor="a",
        role="r",
        at=datetime(2024, 1, 1, tzinfo=UTC),
        recorded_at=datetime(2024, 1, 1, tzinfo=UTC),
        due_after=due,
        calendar="c",
        workflow="w",
        workflow_version=1,
        chain_version=3,
    )
    packed = pack_case(case, entry_defaults(entry))
    back = unpack_case(replace(entry, sealed={"documents": [], "case": packed}))
    assert json.dumps(back, sort_keys=True) == json.dumps(case, sort_keys=True)
    assert back == case


def test_defaults_are_the_entry_fields() -> None:
    implied = defaults(
        seq=4,
        to_state="assessed",
        due="2024-11-22",
        calendar="dk",
        workflow="w",
        workflow_version=2,
    )
    assert {k: implied[k] for k in IMPLIED} == {
        "state": "assessed",
        "version": 4,
        "due": "2024-11-22",
        "calendar": "dk",
        "workflow": "w",
        "workflow_version": 2,
    }


def test_a_chain_begun_under_version_2_goes_on_under_3_and_verifies(
    database: Engine, registry: WorkflowRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An office that upgrades mid-case: version 2 entries, then version 3."""
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 2)
    number, other = founding_office(database, registry)
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 3)
    _engine(database, registry).fire(other, "mark_dispatched", actor="jur")

    entries = entries_of(database, other)
    assert [e.chain_version for e in entries] == [2, 2, 3]
    sealed = [e.sealed["case"] for e in entries if e.sealed is not None]
    assert [("state" in case) for case in sealed] == [True, True, False]
    assert all(e.chain_version == 2 for e in entries_of(database, number))
    report = verify(database)
    assert report.ok, report.problems

    # and the row is still checked against the version 3 seal's implied fields
    tamper(database, _set_case(chase_position=2), other)
    assert any(
        k == "case_changed" and "chase_position is 2" in d
        for _, k, d in found(verify(database))
    )


def test_a_version_2_entry_after_a_version_3_one_is_named(
    database: Engine, registry: WorkflowRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, other = founding_office(database, registry)
    monkeypatch.setattr(recorder, "CHAIN_VERSION", 2)
    _engine(database, registry).fire(other, "mark_dispatched", actor="jur")

    report = verify(database)

    assert [(c, k) for c, k, _ in found(report)] == [(other, "downgraded")]


def test_a_chain_version_this_code_does_not_know_is_named(
    database: Engine, registry: WorkflowRegistry
) -> None:
    """A forger who re-hashes under a made-up version 9 gains nothing."""
    number, _ = founding_office(database, registry)
    last = entries_of(database, number)[-1]
    forged = replace(last, chain_version=9)
    with pytest.raises(ValueError, match="chain version 9"):
        link_hash(last.prev_hash, chain_fields(forged))

    def attack(conn: Connection, case: str) -> None:
        conn.execute(
            update(AUDIT)
            .where(AUDIT.c.case_number == case, AUDIT.c.seq == last.seq)
            .values(chain_version=9)
        )

    tamper(database, attack, number)
    problems = found(verify(database))
    assert [(c, k) for c, k, _ in problems] == [(number, "altered")]
    assert "chain version 9" in problems[0][2]


def _set_case(**values: object) -> Attack:
    def attack(conn: Connection, case: str) -> None:
        conn.execute(update(CASES).where(CASES.c.number == case).values(**values))

    return attack


def _engine(db: Engine, registry: WorkflowRegistry) -> CaseEngine:
    return CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=FakeClock(at("2024-11-21T10:00")),
        calendar=BusinessCalendar(),
    )
