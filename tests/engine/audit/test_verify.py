"""Tamper detection: the hash chain and signed checkpoints against an attacker.

The record is written the way sagsflow writes it: a real SQLite file migrated by
Alembic, cases of both bundled workflows driven through `CaseEngine` on a fake
clock, chases fired by `engine.chasing.chaser.Chaser`. Then an attacker who holds the
file changes it with the plain `sqlite3` module, dropping the append-only
triggers first, and `verify_store` (once through `sagsflow audit verify`) must
name exactly the broken case, with the kind of damage and the first bad entry.

What a chain alone cannot catch (docs/libraries.md §5.2): a case re-chained from the
edit onwards, a tail cut off together with the case row, a whole case removed.
Those need a checkpoint taken before the attack, and the tests show both sides.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.audit.anchor import CheckpointError, Signer, anchored_heads, read_checkpoint
from engine.audit.chain import GENESIS, chain_fields, link_hash
from engine.audit.review import checkpoint, verify_store
from engine.audit.seals import unpack_case
from engine.audit.verify import Report
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.ports import CaseStore
from engine.records import AuditEntry
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from service.cli.main import main
from storage import InMemoryCaseStore, SqlCaseStore, create_db_engine, upgrade_schema

REPO_ROOT = Path(__file__).resolve().parents[3]
INQUIRY = "ombudsman-inquiry"
ACCESS = "access-to-documents"
HMAC_KEY = b"the auditor's key"
# The case most attacks aim at: inquiry-2, seven entries (see `build_cases`).
TARGET = "inquiry-2"
TARGET_VERSION = 7
VERSIONS = {
    "inquiry-1": 5,
    "inquiry-2": 7,
    "inquiry-3": 2,
    "access-1": 5,
    "access-2": 4,
    "access-3": 4,
}
AUDIT_COLUMNS = (
    "case_id",
    "case_number",
    "seq",
    "event",
    "from_state",
    "to_state",
    "actor",
    "role",
    "at",
    "recorded_at",
    "data",
    "due_before",
    "due_after",
    "calendar",
    "workflow",
    "workflow_version",
    "document",
    "prev_hash",
    "hash",
    "chain_version",
    "sealed",
    "via",
)


def at(text: str) -> datetime:
    """A Copenhagen local time as a UTC instant."""
    return parse_instant(text)


# -- the record under attack -----------------------------------------------------------
def build_cases(store: CaseStore, registry: WorkflowRegistry) -> dict[str, str]:
    """Six cases of both workflows, chased on 7 and 22 Nov 2024; label -> number."""
    clock = FakeClock(at("2024-10-11T12:00"))
    engine = make_engine(store, registry, clock)
    for user, role in (("bra", "advisor"), ("jur", "caseworker"), ("ind", "intake")):
        engine.add_user(user, [role])
    numbers: dict[str, str] = {}

    def inquiry(label: str) -> str:
        number = engine.open_case(
            INQUIRY,
            actor="bra",
            title=f"Inquiry {label}",
            data={"own_initiative": True},
            at=at("2024-10-03T10:00"),
        ).case.number
        numbers[label] = number
        return number

    def access(label: str) -> str:
        number = engine.open_case(
            ACCESS,
            actor="ind",
            title=f"Aktindsigt {label}",
            data={"received_on": "2024-10-07"},
            at=at("2024-10-09T10:00"),
        ).case.number
        numbers[label] = number
        return number

    def dispatched(number: str) -> None:
        engine.fire(number, "send_inquiry", actor="jur", at=at("2024-10-09T09:30"))
        engine.fire(number, "mark_dispatched", actor="jur", at=at("2024-10-09T15:00"))

    dispatched(inquiry("inquiry-1"))
    target = inquiry("inquiry-2")
    dispatched(target)
    engine.fire(
        target,
        "note",
        actor="jur",
        document="Telefonnotat: forvaltningen bekræfter modtagelsen",
        at=at("2024-10-10T11:00"),
    )
    engine.fire(
        inquiry("inquiry-3"),
        "reject",
        actor="bra",
        data={"reason": "Uden for ombudsmandens kompetence"},
        at=at("2024-10-04T10:00"),
    )
    first = access("access-1")
    engine.fire(first, "start_processing", actor="jur", at=at("2024-10-10T10:00"))
    engine.fire(
        first,
        "notify_delay",
        actor="jur",
        data={"answer_by": "2024-11-20", "reason": "Mange dokumenter"},
        at=at("2024-10-11T10:00"),
    )
    access("access-2")
    third = access("access-3")
    engine.fire(third, "start_processing", actor="jur", at=at("2024-10-10T10:00"))

    chaser = chaser_for(engine)
    clock.set(at("2024-11-07T09:00"))
    assert len(chaser.sweep().chased) == 4  # all but inquiry-3 and access-1

    clock.set(at("2024-11-08T10:00"))
    engine.fire(target, "receive_reply", actor="jur")
    engine.fire(target, "close", actor="bra", data={"outcome": "no_further_action"})
    engine.fire(
        third,
        "decide",
        actor="jur",
        data={"decision": "refused", "reason": "Interne dokumenter"},
    )
    engine.fire(first, "decide", actor="jur", data={"decision": "granted"})
    engine.fire(first, "close", actor="jur")

    clock.set(at("2024-11-22T09:00"))
    assert len(chaser.sweep().chased) == 2  # inquiry-1 and access-2, once more

    clock.set(at("2024-11-25T10:00"))
    engine.fire(numbers["access-2"], "withdraw", actor="jur")
    for label, version in VERSIONS.items():
        assert engine.show(numbers[label]).case.version == version, label
    return numbers


def make_engine(
    store: CaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> CaseEngine:
    return CaseEngine(
        store=store, registry=registry, clock=clock, calendar=BusinessCalendar()
    )


@dataclass(frozen=True, slots=True)
class Case:
    number: str
    id: int
    version: int


@dataclass(frozen=True, slots=True)
class Template:
    path: Path
    cases: Mapping[str, Case]  # by label
    entries: int


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, registry: WorkflowRegistry
) -> Template:
    """The record, built once; each test attacks its own copy."""
    path = tmp_path_factory.mktemp("template") / "sagsflow.db"
    db = create_db_engine(f"sqlite:///{path}")
    try:
        upgrade_schema(db)
        numbers = build_cases(SqlCaseStore(db), registry)
    finally:
        db.dispose()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = {
            n: (i, v)
            for i, n, v in conn.execute("SELECT id, number, version FROM wf_case")
        }
        (entries,) = conn.execute("SELECT count(*) FROM audit_entry").fetchone()
    cases = {label: Case(n, *rows[n]) for label, n in numbers.items()}
    assert entries == sum(VERSIONS.values())
    return Template(path=path, cases=cases, entries=entries)


@pytest.fixture
def db_path(template: Template, tmp_path: Path) -> Path:
    """A copy of the record (the backup API: WAL included)."""
    target = tmp_path / "sagsflow.db"
    with (
        contextlib.closing(sqlite3.connect(template.path)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    return target


@pytest.fixture
def target(template: Template) -> Case:
    return template.cases[TARGET]


def verify_file(
    path: Path, anchored: Mapping[str, tuple[int, str]] | None = None
) -> Report:
    db = create_db_engine(f"sqlite:///{path}", create=False)
    try:
        return verify_store(SqlCaseStore(db), anchored=anchored)
    finally:
        db.dispose()


def problems(report: Report) -> list[tuple[str, str, int | None]]:
    return [(p.case, p.kind, p.seq) for p in report.problems]


def history(path: Path, case: Case) -> list[AuditEntry]:
    """The case's entries as the application reads them."""
    db = create_db_engine(f"sqlite:///{path}", create=False)
    try:
        with SqlCaseStore(db).transaction(write=False) as tx:
            return list(tx.history(case.id))
    finally:
        db.dispose()


@contextlib.contextmanager
def tampering(path: Path) -> Iterator[sqlite3.Connection]:
    """The file opened with plain sqlite3, append-only triggers dropped; commits."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TRIGGER audit_entry_no_update")
        conn.execute("DROP TRIGGER audit_entry_no_delete")
        yield conn
        conn.commit()


def sql_time(moment: datetime) -> str:
    """A datetime as the UTC datetime columns store it on SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sql_date(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def audit_row(entry: AuditEntry) -> dict[str, object]:
    """The audit_entry columns for `entry`, as SQLite stores them."""
    return {
        "case_id": entry.case_id,
        "case_number": entry.case_number,
        "seq": entry.seq,
        "event": entry.event,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "actor": entry.actor,
        "role": entry.role,
        "at": sql_time(entry.at),
        "recorded_at": sql_time(entry.recorded_at),
        "data": json.dumps(dict(entry.data), ensure_ascii=False),
        "due_before": sql_date(entry.due_before),
        "due_after": sql_date(entry.due_after),
        "calendar": entry.calendar,
        "workflow": entry.workflow,
        "workflow_version": entry.workflow_version,
        "document": entry.document,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "chain_version": entry.chain_version,
        "sealed": json.dumps(entry.sealed, ensure_ascii=False)
        if entry.sealed is not None
        else None,
        "via": json.dumps(entry.via) if entry.via is not None else None,
    }


INSERT_AUDIT = (
    f"INSERT INTO audit_entry ({', '.join(AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in AUDIT_COLUMNS)})"
)
UPDATE_AUDIT = (
    "UPDATE audit_entry SET "
    + ", ".join(f"{c} = :{c}" for c in AUDIT_COLUMNS if c not in ("case_id", "seq"))
    + " WHERE case_id = :case_id AND seq = :seq"
)


def rechain(
    conn: sqlite3.Connection, entries: Sequence[AuditEntry], seq: int, **changes: Any
) -> None:
    """Change entry `seq` and re-seal it and every later entry; move the head."""
    prev = entries[seq - 2].hash if seq > 1 else GENESIS
    for entry in entries[seq - 1 :]:
        if entry.seq == seq:
            entry = replace(entry, **changes)
        entry = replace(
            entry, prev_hash=prev, hash=link_hash(prev, chain_fields(entry))
        )
        conn.execute(UPDATE_AUDIT, audit_row(entry))
        prev = entry.hash
    conn.execute(
        "UPDATE wf_case SET audit_head = ? WHERE id = ?", (prev, entries[0].case_id)
    )


def restore_case_row(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    """Set the case row and journal back to what `entry` left (drop later documents).

    What an attacker with the file can do: the seal's plain fields are copied,
    its commitments resolved from the kept personal values.
    """
    assert entry.sealed is not None
    said = unpack_case(entry)
    kept = {
        c: json.loads(v)
        for c, v in conn.execute(
            "SELECT commitment, value FROM personal_value WHERE case_id = ?",
            (entry.case_id,),
        )
    }

    def plain(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"personal"}:
            return kept[value["personal"]]
        return value

    conn.execute("DROP TRIGGER IF EXISTS document_no_delete")
    conn.execute(
        "DELETE FROM document WHERE case_id = ? AND event_seq > ?",
        (entry.case_id, entry.seq),
    )
    conn.execute(
        "UPDATE wf_case SET state = ?, title = ?, due = ?, calendar = ?, "
        "chase_position = ?, chase_due = ?, state_entry_seq = ?, "
        "documents_count = ?, data = ?, parties = ? WHERE id = ?",
        (
            said["state"],
            said["title"],
            said["due"],
            said["calendar"],
            said["chase_position"],
            said["chase_due"],
            said["state_entry_seq"],
            said["documents"],
            json.dumps({k: plain(v) for k, v in said["data"].items()}),
            json.dumps(
                [{k: plain(v) for k, v in party.items()} for party in said["parties"]]
            ),
            entry.case_id,
        ),
    )


def anchor_file(path: Path, out: Path, signer: Signer | None = None) -> Path:
    """Take a checkpoint of the record at `path`, written to `out` as the CLI does."""
    db = create_db_engine(f"sqlite:///{path}", create=False)
    try:
        body = checkpoint(
            SqlCaseStore(db),
            now=datetime(2024, 11, 25, 12, tzinfo=UTC),
            signer=signer or Signer(hmac_key=HMAC_KEY),
        )
    finally:
        db.dispose()
    out.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def anchored_from(
    *files: Path, signer: Signer | None = None
) -> dict[str, tuple[int, str]]:
    signer = signer or Signer(hmac_key=HMAC_KEY)
    return anchored_heads(read_checkpoint(f, signer) for f in files)


# -- the untouched record --------------------------------------------------------------
def test_the_untouched_record_verifies(db_path: Path, template: Template) -> None:
    report = verify_file(db_path)
    assert (report.ok, report.cases, report.entries) == (True, 6, template.entries)


def test_the_untouched_record_verifies_against_its_checkpoint(
    db_path: Path, template: Template, tmp_path: Path
) -> None:
    full = anchored_from(anchor_file(db_path, tmp_path / "cp.json"))
    anchored = dict(full)
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        heads = conn.execute("SELECT number, version, audit_head FROM wf_case")
        users = conn.execute(
            "SELECT seq, hash FROM user_change ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        assert anchored == {number: (v, head) for number, v, head in heads} | {
            "users": tuple(users)
        }
    del anchored["users"]  # the users' chain, as its own leaf
    assert {n: v for n, (v, _) in anchored.items()} == {
        c.number: c.version for c in template.cases.values()
    }
    report = verify_file(db_path, full)
    assert (report.ok, report.anchored_cases, report.entries) == (
        True,
        6,
        template.entries,
    )


def test_the_memory_store_verifies(registry: WorkflowRegistry) -> None:
    store = InMemoryCaseStore()
    numbers = build_cases(store, registry)
    body = checkpoint(
        store,
        now=datetime(2024, 11, 25, 12, tzinfo=UTC),
        signer=Signer(hmac_key=HMAC_KEY),
    )
    report = verify_store(store, anchored=anchored_heads([body]))
    assert (report.ok, report.cases, report.entries, report.anchored_cases) == (
        True,
        len(numbers),
        sum(VERSIONS.values()),
        len(numbers),
    )


def test_a_rewrite_that_changes_no_value_is_not_reported(db_path: Path) -> None:
    """JSON re-serialised (keys reversed, spaced out), times without microseconds:
    the canonical form is what is hashed, not the stored text."""
    with tampering(db_path) as conn:
        rows = conn.execute("SELECT id, data FROM audit_entry").fetchall()
        for row_id, text in rows:
            data = json.loads(text)
            spaced = json.dumps(dict(reversed(list(data.items()))), indent=2)
            conn.execute(
                "UPDATE audit_entry SET data = ? WHERE id = ?", (spaced, row_id)
            )
        changed = conn.execute(
            "UPDATE audit_entry SET at = substr(at, 1, 19) WHERE at LIKE '%.000000'"
        ).rowcount
    assert changed > 0
    assert problems(verify_file(db_path)) == []


# -- 1. an entry edited ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "seq", "kind"),
    [
        pytest.param("actor = 'mallory'", 3, "altered", id="actor"),
        pytest.param("role = 'advisor'", 3, "altered", id="role"),
        pytest.param("event = 'receive_reply'", 3, "altered", id="event"),
        pytest.param("from_state = 'opened'", 3, "altered", id="from_state"),
        pytest.param("to_state = 'closed'", 3, "altered", id="to_state"),
        pytest.param(
            "at = '2024-11-07 07:00:00.000000'", 5, "altered", id="at-an-hour-earlier"
        ),
        pytest.param(
            "at = '2024-11-07 08:00:00.000001'", 5, "altered", id="at-a-microsecond"
        ),
        pytest.param(
            "recorded_at = '2024-11-08 08:00:00.000000'", 5, "altered", id="recorded_at"
        ),
        pytest.param(
            "data = json_set(data, '$.rung', 'escalation')", 5, "altered", id="data"
        ),
        pytest.param(
            "data = json_set(data, '$.outcome', 'criticism')",
            7,
            "altered",
            id="data-of-the-last-entry",
        ),
        pytest.param("data = '{}'", 1, "altered", id="data-of-the-first-entry"),
        pytest.param(
            "due_after = date(due_after, '+14 days')", 3, "altered", id="due_after"
        ),
        pytest.param("due_before = NULL", 5, "altered", id="due_before"),
        pytest.param("calendar = 'dk-lenient'", 3, "altered", id="calendar"),
        pytest.param("workflow = 'access-to-documents'", 3, "altered", id="workflow"),
        pytest.param(
            "workflow_version = workflow_version + 1",
            3,
            "altered",
            id="workflow_version",
        ),
        pytest.param("document = NULL", 2, "altered", id="document"),
        pytest.param("case_number = '2024-0000001'", 3, "altered", id="case_number"),
        pytest.param("hash = lower(hex(randomblob(32)))", 4, "altered", id="hash"),
        pytest.param(
            "prev_hash = lower(hex(randomblob(32)))", 4, "broken_link", id="prev_hash"
        ),
        pytest.param(
            "hash = prev_hash, prev_hash = hash", 4, "broken_link", id="hashes-swapped"
        ),
    ],
)
def test_an_edited_entry_is_named(
    db_path: Path, target: Case, change: str, seq: int, kind: str
) -> None:
    statement = f"UPDATE audit_entry SET {change} WHERE case_id = ? AND seq = ?"
    with (  # the application's guard holds until the trigger is dropped
        contextlib.closing(sqlite3.connect(db_path)) as conn,
        pytest.raises(sqlite3.DatabaseError, match="append-only"),
    ):
        conn.execute(statement, (target.id, seq))
    with tampering(db_path) as conn:
        assert conn.execute(statement, (target.id, seq)).rowcount == 1

    report = verify_file(db_path)
    assert problems(report) == [(target.number, kind, seq)]
    assert report.entries == sum(VERSIONS.values())  # every entry still counted


@pytest.mark.parametrize(
    ("change", "seq"),
    [
        pytest.param("audit_head = lower(hex(randomblob(32)))", 7, id="head"),
        pytest.param("audit_head = '" + GENESIS + "'", 7, id="head-genesis"),
        pytest.param("version = version + 1", 8, id="version-up"),
        pytest.param("version = version - 1", 7, id="version-down"),
    ],
)
def test_an_edited_case_row_is_named(
    db_path: Path, target: Case, change: str, seq: int
) -> None:
    with tampering(db_path) as conn:
        conn.execute(f"UPDATE wf_case SET {change} WHERE id = ?", (target.id,))
    assert problems(verify_file(db_path)) == [(target.number, "truncated", seq)]


# -- 2. entries deleted ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("seqs", "kind", "named"),
    [
        pytest.param([4], "deleted", 4, id="middle"),
        pytest.param([1], "deleted", 1, id="first"),
        pytest.param([3, 4, 5], "deleted", 3, id="middle-run"),
        pytest.param([2, 5], "deleted", 2, id="two-gaps"),
        pytest.param([7], "truncated", 7, id="last"),
        pytest.param([6, 7], "truncated", 6, id="last-two"),
        pytest.param([1, 2, 3, 4, 5, 6, 7], "chain_gone", 1, id="all"),
    ],
)
def test_a_deleted_entry_is_named(
    db_path: Path, target: Case, seqs: list[int], kind: str, named: int
) -> None:
    with tampering(db_path) as conn:
        conn.executemany(
            "DELETE FROM audit_entry WHERE case_id = ? AND seq = ?",
            [(target.id, s) for s in seqs],
        )
    report = verify_file(db_path)
    assert problems(report) == [(target.number, kind, named)]
    assert report.entries == sum(VERSIONS.values()) - len(seqs)


# -- 3. a forged entry inserted --------------------------------------------------------
def _forged(last: AuditEntry) -> AuditEntry:
    """A plausible eighth entry: a reopening nobody did."""
    return replace(
        last,
        seq=last.seq + 1,
        event="reopen",
        from_state="closed",
        to_state="opened",
        actor="mallory",
        at=last.at + timedelta(days=1),
        recorded_at=last.recorded_at + timedelta(days=1),
        data={"reason": "efter aftale"},
        document=None,
    )


@pytest.mark.parametrize(
    ("seal", "kind"),
    [
        pytest.param("made-up-hash", "altered", id="made-up-hash"),
        pytest.param("made-up-link", "broken_link", id="made-up-prev-hash"),
        pytest.param("link_hash", "truncated", id="correct-hash-case-row-untouched"),
    ],
)
def test_a_forged_entry_at_the_end_is_named(
    db_path: Path, target: Case, seal: str, kind: str
) -> None:
    """The case row still says version 7, so even a well-sealed eighth entry shows."""
    entries = history(db_path, target)
    forged = _forged(entries[-1])
    if seal == "made-up-hash":
        forged = replace(forged, prev_hash=entries[-1].hash, hash="f" * 64)
    elif seal == "made-up-link":
        forged = replace(forged, prev_hash="e" * 64, hash="f" * 64)
    else:
        forged = replace(
            forged,
            prev_hash=entries[-1].hash,
            hash=link_hash(entries[-1].hash, chain_fields(forged)),
        )
    with tampering(db_path) as conn:
        conn.execute(INSERT_AUDIT, audit_row(forged))
    report = verify_file(db_path)
    assert problems(report) == [(target.number, kind, TARGET_VERSION + 1)]
    assert report.entries == sum(VERSIONS.values()) + 1


def test_an_entry_appended_with_its_case_row_is_a_step_like_any_other(
    db_path: Path, target: Case, tmp_path: Path
) -> None:
    """What neither catches: a well-sealed entry after the last checkpoint, with
    the case row moved on, is what a real step looks like. Only the next
    checkpoint pins it (and then it is part of the record it vouches for)."""
    anchored = anchored_from(anchor_file(db_path, tmp_path / "cp.json"))
    entries = history(db_path, target)
    forged = _forged(entries[-1])
    assert forged.sealed is not None
    # the case as the last entry left it, moved on; every field said in full
    left = {**unpack_case(entries[-1]), "state": "opened", "version": forged.seq}
    forged = replace(forged, sealed={"documents": [], "case": left})
    forged = replace(
        forged,
        prev_hash=entries[-1].hash,
        hash=link_hash(entries[-1].hash, chain_fields(forged)),
    )
    with tampering(db_path) as conn:
        conn.execute(INSERT_AUDIT, audit_row(forged))
        conn.execute(
            "UPDATE wf_case SET version = ?, audit_head = ?, state = 'opened' "
            "WHERE id = ?",
            (forged.seq, forged.hash, target.id),
        )
    assert verify_file(db_path).ok
    assert verify_file(db_path, anchored).ok


# -- 4. entries swapped ----------------------------------------------------------------
def test_entries_swapped_by_seq_are_named(db_path: Path, target: Case) -> None:
    with tampering(db_path) as conn:
        for old, new in ((3, -1), (5, 3), (-1, 5)):
            conn.execute(
                "UPDATE audit_entry SET seq = ? WHERE case_id = ? AND seq = ?",
                (new, target.id, old),
            )
    assert problems(verify_file(db_path)) == [(target.number, "broken_link", 3)]


def test_entries_with_swapped_contents_are_named(db_path: Path, target: Case) -> None:
    """Contents swapped, each row keeping its seq and hashes."""
    entries = history(db_path, target)
    third, fifth = entries[2], entries[4]
    with tampering(db_path) as conn:
        for source, place in ((fifth, third), (third, fifth)):
            moved = replace(
                source, seq=place.seq, prev_hash=place.prev_hash, hash=place.hash
            )
            conn.execute(UPDATE_AUDIT, audit_row(moved))
    assert problems(verify_file(db_path)) == [(target.number, "altered", 3)]


# -- 5. what only a checkpoint shows ---------------------------------------------------
@pytest.mark.parametrize(
    ("seq", "changes"),
    [
        pytest.param(3, {"actor": "mallory"}, id="from-the-middle"),
        pytest.param(1, {"at": at("2024-10-01T10:00")}, id="from-the-first"),
        pytest.param(
            7, {"data": {"outcome": "criticism", "severity": "serious"}}, id="the-last"
        ),
    ],
)
def test_a_rechained_case_shows_only_against_a_checkpoint(
    db_path: Path,
    template: Template,
    target: Case,
    tmp_path: Path,
    seq: int,
    changes: dict[str, Any],
) -> None:
    """docs/libraries.md §5.2: re-chained from the edit on, row checks find nothing.

    The checkpoint holds each case's head only, so the entry it can prove
    different is the one it recorded (the seventh), whichever entry the edit
    began at; the edit itself lies at or before it.
    """
    anchored = anchored_from(anchor_file(db_path, tmp_path / "cp.json"))
    entries = history(db_path, target)
    with tampering(db_path) as conn:
        rechain(conn, entries, seq, **changes)
    rewritten = history(db_path, target)
    assert [e.seq for e in rewritten if e != entries[e.seq - 1]] == list(
        range(seq, TARGET_VERSION + 1)
    )

    assert verify_file(db_path).ok  # the chain alone: nothing
    report = verify_file(db_path, anchored)
    assert problems(report) == [(target.number, "rechained", TARGET_VERSION)]
    assert (report.entries, report.anchored_cases) == (template.entries, 6)


def test_a_case_rechained_after_it_moved_on_is_named_at_the_checkpoint(
    db_path: Path, target: Case, registry: WorkflowRegistry, tmp_path: Path
) -> None:
    """Steps after the checkpoint are fine; the re-write before it is not."""
    anchored = anchored_from(anchor_file(db_path, tmp_path / "cp.json"))
    db = create_db_engine(f"sqlite:///{db_path}", create=False)
    try:
        engine = make_engine(
            SqlCaseStore(db), registry, FakeClock(at("2024-11-26T10:00"))
        )
        engine.fire(target.number, "note", actor="jur", document="Efterfølgende notat")
    finally:
        db.dispose()
    assert verify_file(db_path, anchored).ok

    entries = history(db_path, target)
    with tampering(db_path) as conn:
        rechain(conn, entries, 6, actor="mallory")
    assert verify_file(db_path).ok
    assert problems(verify_file(db_path, anchored)) == [
        (target.number, "rechained", TARGET_VERSION)
    ]


@pytest.mark.parametrize("cut", [1, 2, 6], ids=["last", "last-two", "all-but-one"])
def test_a_tail_cut_with_its_case_row_shows_only_against_a_checkpoint(
    db_path: Path, target: Case, tmp_path: Path, cut: int
) -> None:
    anchored = anchored_from(anchor_file(db_path, tmp_path / "cp.json"))
    entries = history(db_path, target)
    keep = TARGET_VERSION - cut
    with tampering(db_path) as conn:
        conn.execute(
            "DELETE FROM audit_entry WHERE case_id = ? AND seq > ?", (target.id, keep)
        )
        conn.execute(
            "UPDATE wf_case SET version = ?, audit_head = ? WHERE id = ?",
            (keep, entries[keep - 1].hash, target.id),
        )
    # The row and journal still show the cut steps: named without a checkpoint.
    assert {k for _, k, _ in problems(verify_file(db_path))} <= {
        "case_changed",
        "document_inserted",
    }
    assert not verify_file(db_path).ok
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        restore_case_row(conn, entries[keep - 1])  # a careful attacker does
        conn.commit()
    assert verify_file(db_path).ok
    assert problems(verify_file(db_path, anchored)) == [
        (target.number, "truncated", keep + 1)
    ]


@pytest.mark.parametrize("label", ["inquiry-2", "inquiry-1", "access-2", "access-3"])
def test_a_removed_case_shows_only_against_a_checkpoint(
    db_path: Path, template: Template, tmp_path: Path, label: str
) -> None:
    """Every row of the case gone: audit, documents, chases, outbox, the case."""
    anchored = anchored_from(anchor_file(db_path, tmp_path / "cp.json"))
    case = template.cases[label]
    with tampering(db_path) as conn:
        conn.execute("DROP TRIGGER document_no_delete")
        for table in ("audit_entry", "document", "chase", "outbox", "personal_value"):
            conn.execute(f"DELETE FROM {table} WHERE case_id = ?", (case.id,))
        assert (
            conn.execute("DELETE FROM wf_case WHERE id = ?", (case.id,)).rowcount == 1
        )
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    report = verify_file(db_path)
    assert (report.ok, report.cases, report.entries) == (
        True,
        5,
        template.entries - case.version,
    )
    report = verify_file(db_path, anchored)
    assert problems(report) == [(case.number, "removed", None)]
    assert report.anchored_cases == 5


def test_a_case_row_removed_under_its_entries_is_named(
    db_path: Path, target: Case
) -> None:
    with tampering(db_path) as conn:
        conn.execute("DELETE FROM wf_case WHERE id = ?", (target.id,))
    report = verify_file(db_path)
    assert problems(report) == [(target.number, "removed", 1)]
    assert report.cases == 5


def test_every_case_row_removed_under_its_entries_is_named(
    db_path: Path, template: Template
) -> None:
    removed = [template.cases["inquiry-1"], template.cases["access-3"]]
    with tampering(db_path) as conn:
        for case in removed:
            conn.execute("DELETE FROM wf_case WHERE id = ?", (case.id,))
    assert sorted(problems(verify_file(db_path))) == sorted(
        (c.number, "removed", 1) for c in removed
    )


def test_records_moved_between_cases_are_named(
    db_path: Path, template: Template
) -> None:
    first, second = template.cases["inquiry-1"], template.cases["access-1"]
    assert first.version == second.version  # nothing to give it away but the number
    with tampering(db_path) as conn:
        for old, new in ((first.id, -1), (second.id, first.id), (-1, second.id)):
            conn.execute(
                "UPDATE audit_entry SET case_id = ? WHERE case_id = ?", (new, old)
            )
        heads = dict(
            conn.execute(
                "SELECT id, audit_head FROM wf_case WHERE id IN (?, ?)",
                (first.id, second.id),
            ).fetchall()
        )
        for case, other in ((first, second), (second, first)):
            conn.execute(
                "UPDATE wf_case SET audit_head = ? WHERE id = ?",
                (heads[other.id], case.id),
            )
    moved = history(db_path, first)
    assert {e.case_number for e in moved} == {second.number}  # what a reader sees
    report = verify_file(db_path)
    assert {(p.case, p.seq) for p in report.problems} == {
        (first.number, 1),
        (second.number, 1),
    }


@pytest.mark.parametrize(
    "change",
    [
        pytest.param("at = 'yesterday'", id="at-not-a-time"),
        pytest.param("data = 'not json'", id="data-not-json"),
        pytest.param("due_after = '6. november'", id="due_after-not-a-date"),
    ],
)
def test_an_entry_that_no_longer_parses_is_named(
    db_path: Path, target: Case, change: str
) -> None:
    with tampering(db_path) as conn:
        conn.execute(
            f"UPDATE audit_entry SET {change} WHERE case_id = ? AND seq = 3",
            (target.id,),
        )
    assert problems(verify_file(db_path)) == [(target.number, "altered", 3)]


# -- 6. several attacks at once --------------------------------------------------------
def test_each_broken_case_is_named_once_and_no_other(
    db_path: Path, template: Template
) -> None:
    cases = template.cases
    with tampering(db_path) as conn:
        conn.execute(
            "UPDATE audit_entry SET actor = 'mallory' WHERE case_id = ? AND seq = 2",
            (cases["inquiry-1"].id,),
        )
        conn.execute(  # and a later entry of the same case: still named once
            "DELETE FROM audit_entry WHERE case_id = ? AND seq = 4",
            (cases["inquiry-1"].id,),
        )
        conn.execute(
            "DELETE FROM audit_entry WHERE case_id = ? AND seq = 4",
            (cases["access-2"].id,),
        )
        conn.execute(
            "UPDATE audit_entry SET data = '{}' WHERE case_id = ? AND seq = 3",
            (cases["access-3"].id,),
        )
    assert problems(verify_file(db_path)) == [
        (cases["inquiry-1"].number, "altered", 2),
        (cases["access-2"].number, "truncated", 4),
        (cases["access-3"].number, "altered", 3),
    ]


# -- checkpoints -----------------------------------------------------------------------
def _index_of_head(text: str, body: dict[str, Any]) -> int:
    return text.index(body["heads"][1][2])


def _index_of_seq(text: str, body: dict[str, Any]) -> int:
    match = re.search(re.escape(f'"{body["heads"][1][0]}",') + r"\s+(\d+)", text)
    assert match is not None
    return match.start(1)


def _index_of_number(text: str, body: dict[str, Any]) -> int:
    return text.index(f'"{body["heads"][1][0]}"') + len(body["heads"][1][0])


def _index_of_created_at(text: str, body: dict[str, Any]) -> int:
    return text.index(body["created_at"]) + 3  # the year's last digit


def _index_of_entries(text: str, body: dict[str, Any]) -> int:
    return text.index(f'"entries": {body["entries"]}') + len('"entries": ')


def _index_of_signature(text: str, body: dict[str, Any]) -> int:
    return text.index(body["signature"]["value"]) + 10


def _other(char: str) -> str:
    """Another character of the same kind, so the file stays valid JSON."""
    if char.isdigit():
        return str((int(char) + 1) % 10)
    return "a" if char != "a" else "b"


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(_index_of_head, id="a-head-hash"),
        pytest.param(_index_of_seq, id="a-seq"),
        pytest.param(_index_of_number, id="a-case-number"),
        pytest.param(_index_of_created_at, id="created_at"),
        pytest.param(_index_of_entries, id="entries-count"),
        pytest.param(_index_of_signature, id="the-signature"),
    ],
)
def test_a_checkpoint_edited_by_one_byte_is_refused(
    db_path: Path, tmp_path: Path, where: Callable[[str, dict[str, Any]], int]
) -> None:
    path = anchor_file(db_path, tmp_path / "cp.json")
    signer = Signer(hmac_key=HMAC_KEY)
    body = read_checkpoint(path, signer)
    text = path.read_text(encoding="utf-8")
    i = where(text, body)
    path.write_text(text[:i] + _other(text[i]) + text[i + 1 :], encoding="utf-8")
    assert len(path.read_bytes()) == len(text.encode())
    json.loads(path.read_text(encoding="utf-8"))  # still JSON: only the signature
    with pytest.raises(CheckpointError, match="signature does not verify"):
        read_checkpoint(path, signer)


def test_a_checkpoint_is_refused_under_another_hmac_key(
    db_path: Path, tmp_path: Path
) -> None:
    path = anchor_file(db_path, tmp_path / "cp.json")
    with pytest.raises(CheckpointError, match="signature does not verify"):
        read_checkpoint(path, Signer(hmac_key=b"another key"))
    with pytest.raises(CheckpointError, match="set SAGSFLOW_AUDIT_KEY"):
        read_checkpoint(path, Signer())


def _key_pair(folder: Path) -> tuple[Path, Path]:
    """A fresh Ed25519 pair as PEM files: (private, public)."""
    folder.mkdir()
    key = Ed25519PrivateKey.generate()
    private = folder / "private.pem"
    public = folder / "public.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    return private, public


def test_an_ed25519_checkpoint_verifies_with_the_public_key_alone(
    db_path: Path, target: Case, tmp_path: Path
) -> None:
    private, public = _key_pair(tmp_path / "keys")
    _, stranger = _key_pair(tmp_path / "other")
    path = anchor_file(
        db_path, tmp_path / "cp.json", Signer(private_key_pem=private.read_bytes())
    )
    auditor = Signer(public_key_pem=public.read_bytes())
    assert read_checkpoint(path, auditor)["signature"]["alg"] == "ed25519"
    anchored = anchored_from(path, signer=auditor)
    assert verify_file(db_path, anchored).ok

    with pytest.raises(CheckpointError, match="signature does not verify"):
        read_checkpoint(path, Signer(public_key_pem=stranger.read_bytes()))
    with pytest.raises(CheckpointError, match="give the public key"):
        read_checkpoint(path, Signer(hmac_key=HMAC_KEY))
    text = path.read_text(encoding="utf-8")
    i = _index_of_head(text, json.loads(text))
    path.write_text(text[:i] + _other(text[i]) + text[i + 1 :], encoding="utf-8")
    with pytest.raises(CheckpointError, match="signature does not verify"):
        read_checkpoint(path, auditor)


# -- the command line ------------------------------------------------------------------
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cli]:
    """`sagsflow --db <the copy> ...` in-process -> (code, out, err).

    No SAGSFLOW_* variable from outside reaches it; `env=` sets some.
    """
    for name in list(os.environ):
        if name.startswith("SAGSFLOW_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def run(*argv: str, env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        with pytest.MonkeyPatch.context() as mp:
            for name, value in (env or {}).items():
                mp.setenv(name, value)
            with pytest.raises(SystemExit) as exited:
                main(["--db", f"sqlite:///{db_path}", *argv])
        captured = capsys.readouterr()
        code = exited.value.code
        assert isinstance(code, int)
        return code, captured.out, captured.err

    yield run
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


KEY_ENV = {"SAGSFLOW_AUDIT_KEY": HMAC_KEY.decode()}


def test_cli_verify_passes_on_the_untouched_record(
    cli: Cli, template: Template
) -> None:
    code, out, err = cli("audit", "verify", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "ok": True,
        "cases": 6,
        "entries": template.entries,
        "anchored_cases": 0,
        "user_changes": 3,
        "problems": [],
    }


def test_cli_verify_names_an_edited_entry(
    cli: Cli, db_path: Path, target: Case, template: Template
) -> None:
    with tampering(db_path) as conn:
        conn.execute(
            "UPDATE audit_entry SET actor = 'mallory' WHERE case_id = ? AND seq = 3",
            (target.id,),
        )
    code, out, err = cli("audit", "verify", "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert (report["ok"], report["cases"], report["entries"]) == (
        False,
        6,
        template.entries,
    )
    assert [(p["case"], p["kind"], p["seq"]) for p in report["problems"]] == [
        (target.number, "altered", 3)
    ]


def test_cli_anchor_then_verify_names_a_rechained_case(
    cli: Cli, db_path: Path, target: Case, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    code, out, err = cli("audit", "anchor", "--out", str(anchors), env=KEY_ENV)
    assert (code, err) == (0, "")
    assert out.endswith(
        ": 6 cases, 27 entries and the users' chain (3 changes), signed hmac-sha256\n"
    )
    with tampering(db_path) as conn:
        rechain(conn, history(db_path, target), 2, actor="mallory")

    assert cli("audit", "verify", "--json")[0] == 0  # the chain alone
    code, out, err = cli(
        "audit", "verify", "--anchor", str(anchors), "--json", env=KEY_ENV
    )
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["anchored_cases"] == 6
    assert [(p["case"], p["kind"], p["seq"]) for p in report["problems"]] == [
        (target.number, "rechained", TARGET_VERSION)
    ]
    code, out, err = cli("audit", "verify", "--anchor", str(anchors), env=KEY_ENV)
    assert (code, err) == (1, "")
    assert (
        out.splitlines()[-1] == "1 broken: 6 cases, 27 entries, 3 changes to users, "
        "6 held against checkpoints"
    )


def test_cli_anchor_writes_a_new_file_each_time_and_never_overwrites(
    cli: Cli, tmp_path: Path
) -> None:
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    for _ in range(2):
        code, _, err = cli("audit", "anchor", "--out", str(anchors), env=KEY_ENV)
        assert (code, err) == (0, "")
    files = sorted(anchors.iterdir())
    assert len(files) == 2
    assert all(re.fullmatch(r"checkpoint-\d{8}T\d{12}Z\.json", f.name) for f in files)
    signer = Signer(hmac_key=HMAC_KEY)
    # the cases' 27 entries and the users' chain's 3
    assert [read_checkpoint(f, signer)["entries"] for f in files] == [30, 30]

    before = files[0].read_bytes()
    code, out, err = cli("audit", "anchor", "--out", str(files[0]), env=KEY_ENV)
    assert (code, out) == (1, "")
    assert err == (
        f"sagsflow: error: {files[0]} exists: a checkpoint is never overwritten\n"
    )
    assert files[0].read_bytes() == before
    assert sorted(anchors.iterdir()) == files


def test_cli_ed25519_anchor_verifies_with_the_public_key(
    cli: Cli, tmp_path: Path
) -> None:
    private, public = _key_pair(tmp_path / "keys")
    _, stranger = _key_pair(tmp_path / "other")
    out_file = tmp_path / "cp.json"
    code, out, err = cli(
        "audit", "anchor", "--out", str(out_file), "--key-file", str(private)
    )
    assert (code, err) == (0, "")
    assert out.endswith("signed ed25519\n")

    code, out, err = cli(
        "audit", "verify", "--anchor", str(out_file), "--public-key", str(public)
    )
    assert (code, err) == (0, "")
    assert out == (
        "verified: 6 cases, 27 entries, 3 changes to users, "
        "6 held against checkpoints\n"
    )
    code, out, err = cli(
        "audit", "verify", "--anchor", str(out_file), "--public-key", str(stranger)
    )
    assert (code, out) == (1, "")
    assert err == (
        f"sagsflow: error: {out_file}: the checkpoint's signature does not verify "
        "(another key, or the checkpoint was changed)\n"
    )


@pytest.mark.parametrize("wrong", ["garbage", "private"])
def test_cli_verify_with_a_key_file_that_is_no_public_key_is_one_line(
    cli: Cli, tmp_path: Path, wrong: str
) -> None:
    private, _ = _key_pair(tmp_path / "keys")
    out_file = tmp_path / "cp.json"
    assert (
        cli("audit", "anchor", "--out", str(out_file), "--key-file", str(private))[0]
        == 0
    )
    bad = private
    if wrong == "garbage":
        bad = tmp_path / "garbage.pem"
        bad.write_text("not a key\n", encoding="utf-8")
    code, out, err = cli(
        "audit", "verify", "--anchor", str(out_file), "--public-key", str(bad)
    )
    assert (code, out) == (1, "")
    assert err.startswith("sagsflow: error: ")
    assert err.count("\n") == 1
    assert "internal error" not in err


def test_cli_verify_with_a_missing_checkpoint_is_one_line(
    cli: Cli, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-checkpoint.json"
    code, out, err = cli("audit", "verify", "--anchor", str(missing), env=KEY_ENV)
    assert (code, out) == (1, "")
    assert err == f"sagsflow: error: {missing}: no such checkpoint file or folder\n"


# -- memory stays flat -----------------------------------------------------------------
_VERIFY_CHILD = textwrap.dedent(
    """
    import json
    import resource
    import sys

    from engine.audit.review import verify_store
    from engine.records import AuditFilter
    from storage import SqlCaseStore, create_db_engine

    url, hold = sys.argv[1], sys.argv[2] == "hold"
    db = create_db_engine(url, create=False)
    store = SqlCaseStore(db)
    held = []
    if hold:  # the control: a verifier that keeps every entry it reads
        with store.transaction(write=False) as tx:
            held = list(tx.audit_entries(AuditFilter()))
    report = verify_store(store)
    db.dispose()
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            hwm = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except OSError:
        hwm = None
    print(json.dumps({
        "ok": report.ok,
        "cases": report.cases,
        "entries": report.entries,
        "held": len(held),
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "hwm_kib": hwm,
    }))
    """
)


def _flat_entries(cases: int, per_case: int) -> Iterator[AuditEntry]:
    """Sealed entries of `cases` cases, `per_case` each, in order."""
    opened = datetime(2024, 10, 1, 8, tzinfo=UTC)
    for case_id in range(1, cases + 1):
        number = f"2024-{case_id:07d}"
        prev = GENESIS
        for seq in range(1, per_case + 1):
            moment = opened + timedelta(minutes=case_id + seq)
            entry = AuditEntry(
                case_id=case_id,
                case_number=number,
                seq=seq,
                event="open" if seq == 1 else "note",
                from_state=None if seq == 1 else "opened",
                to_state="opened",
                actor="jur",
                role="caseworker",
                at=moment,
                recorded_at=moment,
                data={"direction": "note", "title": f"Notat {seq} på sag {number}"},
                workflow=INQUIRY,
                workflow_version=1,
                document=f"{number}-{seq}",
            )
            entry = replace(
                entry, prev_hash=prev, hash=link_hash(prev, chain_fields(entry))
            )
            prev = entry.hash
            yield entry


def build_flat_record(path: Path, *, cases: int, per_case: int) -> None:
    """A migrated SQLite file with `cases` x `per_case` sealed entries, written
    straight through sqlite3 in one transaction (streamed: the rows are never
    all in memory)."""
    db = create_db_engine(f"sqlite:///{path}")
    try:
        upgrade_schema(db)
    finally:
        db.dispose()
    stamp = sql_time(datetime(2024, 10, 1, 8, tzinfo=UTC))
    heads: dict[int, str] = {}

    def rows() -> Iterator[dict[str, object]]:
        for entry in _flat_entries(cases, per_case):
            heads[entry.case_id] = entry.hash
            yield audit_row(entry)

    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.executemany(INSERT_AUDIT, rows())
        conn.executemany(
            "INSERT INTO wf_case (id, number, workflow, workflow_version, title, "
            "state, version, parties, data, chase_position, state_entered_at, "
            "opened_at, last_event_at, updated_at, documents_count, audit_head) "
            "VALUES (?, ?, ?, 1, ?, 'opened', ?, '[]', '{}', 0, ?, ?, ?, ?, 0, ?)",
            (
                (i, f"2024-{i:07d}", INQUIRY, f"Sag {i}", per_case)
                + (stamp,) * 4
                + (head,)
                for i, head in heads.items()
            ),
        )


def _verify_in_child(path: Path, *, hold: bool = False) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _VERIFY_CHILD,
            f"sqlite:///{path}",
            "hold" if hold else "stream",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_verify_memory_stays_flat_from_5k_to_50k_entries(tmp_path: Path) -> None:
    """Peak RSS verifying 50,000 entries is within 8 MB of verifying 5,000.

    `verify` streams: case heads and entries come through `yield_per` cursors
    and are merged one case at a time, so what it holds is a batch of rows, one
    case, and SQLite's page cache, none of which grows with the record (both
    files are larger than the 2 MB page cache). Holding the record instead costs
    about 1.6 KB an entry (a slotted AuditEntry, its data dict, two
    64-character hashes, two datetimes): measured, the control child below
    that keeps the entries grows by about 75 MB from 5k to 50k, while
    streaming grows by less than 1 MB (and by less than 1 MB from 20k to
    200k). 8 MB leaves room for allocator noise and still catches a leak of
    190 bytes an entry.

    Each run is its own process, so that the peaks are not shared, and both
    import the same code, so the baseline cancels out. The peak is the child's
    VmHWM: `ru_maxrss` survives fork and exec on Linux (the kernel keeps the
    old address space's high-water mark), so a child's `ru_maxrss` is never
    below the pytest process's own peak and would hide the difference; it is
    printed for information only.
    """
    small, large = tmp_path / "5k.db", tmp_path / "50k.db"
    build_flat_record(small, cases=500, per_case=10)
    build_flat_record(large, cases=5_000, per_case=10)

    few, many = _verify_in_child(small), _verify_in_child(large)
    assert (few["ok"], few["cases"], few["entries"]) == (True, 500, 5_000)
    assert (many["ok"], many["cases"], many["entries"]) == (True, 5_000, 50_000)
    if few["hwm_kib"] is None:
        pytest.skip("no /proc/self/status: a child's own peak cannot be read")
    growth_mib = (many["hwm_kib"] - few["hwm_kib"]) / 1024
    assert growth_mib <= 8, (few, many)

    # The instrument sees a verifier that holds the record.
    held = _verify_in_child(large, hold=True)
    assert (held["ok"], held["held"]) == (True, 50_000)
    assert (held["hwm_kib"] - few["hwm_kib"]) / 1024 > 40, (few, held)
