"""W1 lifecycle: N cases driven open → send_inquiry → mark_dispatched →
receive_reply → close, each step its own committed transaction with its audit row.

Competitors, interleaved within each run (A, B, C, A, B, C, ...), each on a
fresh SQLite file in WAL mode, at `synchronous=FULL` (sagsflow's default) and
`NORMAL`:

* sagsflow: the real `CaseEngine` over `SqlCaseStore` (schema by Alembic).
* floor: the plain `sqlite3` module doing the same writes on the same schema
  (update the case row, insert the audit row, and insert the document row on
  the three steps whose letter the workflow journals; the opening also bumps
  the case sequence and inserts the case row), statements reused from
  sqlite3's cache, one `BEGIN IMMEDIATE ... COMMIT` per step, the same pragmas.
* naive: what the transitions README leads a developer to: a `Machine`
  subclass per case object (`model=self` style, auto transitions on), built
  when a request loads the case, plus a SQLModel ORM session commit per step.
  Its tables live in their own `MetaData`, apart from the application's.

Setup (schema, users) is outside the timed region; every step is inside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import MetaData, event
from sqlmodel import Field, Session, SQLModel
from transitions import Machine

from bench.report import DASH, header, median_range, table
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.logs import configure_logging
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from workflows import bundled_paths

WORKFLOW = "ombudsman-inquiry"
CPH = ZoneInfo("Europe/Copenhagen")
# The founding case's dates (tests/engine/cases/test_engine.py); the clock stands after.
NOW = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
OPENED_AT = datetime(2024, 10, 3, 10, 0, tzinfo=CPH)
INQUIRY_AT = datetime(2024, 10, 9, 9, 30, tzinfo=CPH)
DISPATCHED_AT = datetime(2024, 10, 9, 15, 0, tzinfo=CPH)
REPLY_AT = datetime(2024, 11, 10, 11, 0, tzinfo=CPH)
CLOSED_AT = datetime(2024, 11, 20, 14, 0, tzinfo=CPH)

# (event, actor, at, data) after the opening; the opening is by "bra".
STEPS: tuple[tuple[str, str, datetime, dict[str, object]], ...] = (
    ("send_inquiry", "jur", INQUIRY_AT, {}),
    ("mark_dispatched", "jur", DISPATCHED_AT, {}),
    ("receive_reply", "jur", REPLY_AT, {}),
    ("close", "bra", CLOSED_AT, {"outcome": "no_further_action"}),
)
STEPS_PER_CASE = 1 + len(STEPS)
# State after each step, for the floor (which has no engine to ask).
STATES = ("opened", "inquiry_sent", "awaiting_reply", "assessed", "closed")
# The letter the bundled workflow journals with each step after the opening
# (title, direction), for the floor: the same document rows sagsflow writes.
LETTERS: tuple[tuple[str, str] | None, ...] = (
    ("Inquiry letter", "outgoing"),
    None,
    ("Reply from the administration", "incoming"),
    ("Closing letter", "outgoing"),
)

DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (50,)
SYNC_MODES = ("FULL", "NORMAL")


def quiet_logging() -> None:
    """Route sagsflow's per-transition log lines (INFO, JSON) to /dev/null.

    The records are still built and rendered, as in production; only the
    output is discarded, so the bench prints nothing but its tables.
    """
    configure_logging(json=True, level="INFO", stream=open(os.devnull, "w"))  # noqa: SIM115


# -- sagsflow -----------------------------------------------------------------
def make_sagsflow(url: str, synchronous: str) -> tuple[CaseEngine, sa.Engine]:
    db = create_db_engine(url, synchronous=synchronous)
    upgrade_schema(db)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])  # the Borgerrådgiver
    engine.add_user("jur", ["caseworker"])  # the case's lawyer
    return engine, db


def drive_sagsflow(engine: CaseEngine, n: int) -> None:
    for i in range(n):
        view = engine.open_case(
            WORKFLOW, actor="bra", title=f"Inquiry {i}", at=OPENED_AT
        )
        number = view.case.number
        for name, actor, at, data in STEPS:
            engine.fire(number, name, actor=actor, at=at, data=data)


def run_sagsflow(workdir: Path, n: int, synchronous: str) -> float:
    engine, db = make_sagsflow(f"sqlite:///{workdir / 'sagsflow.db'}", synchronous)
    try:
        start = time.perf_counter()
        drive_sagsflow(engine, n)
        return time.perf_counter() - start
    finally:
        db.dispose()


# -- floor: plain sqlite3 -------------------------------------------------------
_OPEN_SEQ = "INSERT OR IGNORE INTO case_sequence (year, last) VALUES (?, 0)"
_NEXT_SEQ = "UPDATE case_sequence SET last = last + 1 WHERE year = ? RETURNING last"
_INSERT_CASE = (
    "INSERT INTO wf_case (number, workflow, workflow_version, title, state, version,"
    " parties, data, due, calendar, chase_position, state_entered_at, opened_at,"
    " last_event_at, updated_at, documents_count, chase_due, state_entry_seq,"
    " audit_head) VALUES (?, ?, 1, ?, ?, 1, '[]', '{}', NULL, NULL, 0, ?, ?, ?, ?,"
    " 0, NULL, 1, ?)"
)
_UPDATE_CASE = (
    "UPDATE wf_case SET state = ?, version = ?, data = ?, due = ?, calendar = ?,"
    " chase_position = 0, chase_due = ?, state_entry_seq = ?, state_entered_at = ?,"
    " last_event_at = ?, updated_at = ?, documents_count = ?, audit_head = ?"
    " WHERE id = ? AND version = ?"
)
_INSERT_DOCUMENT = (
    "INSERT INTO document (case_id, seq, number, title, direction, date,"
    " recorded_at, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_AUDIT = (
    "INSERT INTO audit_entry (case_id, case_number, seq, event, from_state,"
    " to_state, actor, role, at, recorded_at, data, due_before, due_after,"
    " calendar, workflow, workflow_version, document, prev_hash, hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, 1, ?, ?, ?)"
)


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC)
        .replace(tzinfo=None)
        .isoformat(sep=" ", timespec="microseconds")
    )


def _hash(prev: str, payload: str) -> str:
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def run_floor(workdir: Path, n: int, synchronous: str) -> float:
    db = create_db_engine(f"sqlite:///{workdir / 'floor.db'}")
    upgrade_schema(db)  # the same schema, indexes and triggers as sagsflow's
    db.dispose()
    conn = sqlite3.connect(workdir / "floor.db", isolation_level=None)
    for pragma in (
        "busy_timeout=30000",
        f"synchronous={synchronous}",
        "foreign_keys=ON",
    ):
        conn.execute(f"PRAGMA {pragma}")
    now = _iso(NOW)
    year = OPENED_AT.year
    opened = _iso(OPENED_AT)
    steps = [
        (
            name,
            actor,
            "advisor" if actor == "bra" else "caseworker",
            _iso(at),
            at.date().isoformat(),
            data,
            letter,
        )
        for (name, actor, at, data), letter in zip(STEPS, LETTERS, strict=True)
    ]
    try:
        start = time.perf_counter()
        for i in range(n):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_OPEN_SEQ, (year,))
            (last,) = conn.execute(_NEXT_SEQ, (year,)).fetchone()
            number = f"{year}-{last:07d}"
            head = _hash("", number)
            case_id = conn.execute(
                _INSERT_CASE,
                (
                    number,
                    WORKFLOW,
                    f"Inquiry {i}",
                    STATES[0],
                    opened,
                    opened,
                    opened,
                    now,
                    head,
                ),
            ).lastrowid
            conn.execute(
                _INSERT_AUDIT,
                (
                    case_id,
                    number,
                    1,
                    "open",
                    None,
                    STATES[0],
                    "bra",
                    "advisor",
                    opened,
                    now,
                    "{}",
                    WORKFLOW,
                    None,
                    "0" * 64,
                    head,
                ),
            )
            conn.execute("COMMIT")
            documents = 0
            for seq, (name, actor, role, at, day, data, letter) in enumerate(
                steps, start=2
            ):
                payload = json.dumps(data)
                prev, head = head, _hash(head, payload)
                conn.execute("BEGIN IMMEDIATE")
                document = None
                if letter is not None:
                    documents += 1
                    document = f"{number}-{documents}"
                    conn.execute(
                        _INSERT_DOCUMENT,
                        (case_id, documents, document, *letter, day, now, seq),
                    )
                conn.execute(
                    _UPDATE_CASE,
                    (
                        STATES[seq - 1],
                        seq,
                        payload,
                        None,
                        None,
                        None,
                        seq,
                        at,
                        at,
                        now,
                        documents,
                        head,
                        case_id,
                        seq - 1,
                    ),
                )
                conn.execute(
                    _INSERT_AUDIT,
                    (
                        case_id,
                        number,
                        seq,
                        name,
                        STATES[seq - 2],
                        STATES[seq - 1],
                        actor,
                        role,
                        at,
                        now,
                        payload,
                        WORKFLOW,
                        document,
                        prev,
                        head,
                    ),
                )
                conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


# -- naive: one transitions.Machine per case + SQLModel session per step --------
class NaiveBase(SQLModel):
    """Own metadata: nothing joins the application's `SQLModel.metadata`."""

    metadata = MetaData()


class NaiveCaseRow(NaiveBase, table=True):
    __tablename__ = "naive_case"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    title: str
    state: str
    version: int = 1
    outcome: str | None = None
    updated_at: datetime


class NaiveAuditRow(NaiveBase, table=True):
    __tablename__ = "naive_audit"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="naive_case.id", index=True)
    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    recorded_at: datetime
    data: str


def _naive_machine_config() -> dict[str, Any]:
    definition = WorkflowRegistry.from_paths(bundled_paths()).get(WORKFLOW)
    return {
        "states": [s.name for s in definition.states],
        "transitions": [
            {"trigger": t.event, "source": list(t.sources), "dest": t.dest}
            for t in definition.transitions
        ],
    }


class NaiveCase(Machine):
    """The README's `model=self` style: the case object IS the machine."""

    def __init__(self, row: NaiveCaseRow, config: dict[str, Any]) -> None:
        self.row = row
        Machine.__init__(self, initial=row.state, auto_transitions=True, **config)


def run_naive(workdir: Path, n: int, synchronous: str) -> float:
    db = sa.create_engine(f"sqlite:///{workdir / 'naive.db'}")

    @event.listens_for(db, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        for pragma in (
            "journal_mode=WAL",
            f"synchronous={synchronous}",
            "foreign_keys=ON",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    NaiveBase.metadata.create_all(db)
    config = _naive_machine_config()
    now = NOW
    try:
        start = time.perf_counter()
        for i in range(n):
            with Session(db) as session:
                row = NaiveCaseRow(
                    number=f"N-{i}",
                    title=f"Inquiry {i}",
                    state="opened",
                    updated_at=now,
                )
                NaiveCase(row, config)
                session.add(row)
                session.flush()
                assert row.id is not None
                session.add(
                    NaiveAuditRow(
                        case_id=row.id,
                        seq=1,
                        event="open",
                        from_state=None,
                        to_state="opened",
                        actor="bra",
                        at=OPENED_AT,
                        recorded_at=now,
                        data="{}",
                    )
                )
                session.commit()
                case_id = row.id
            for name, actor, at, data in STEPS:
                with Session(db) as session:
                    loaded = session.get(NaiveCaseRow, case_id)
                    assert loaded is not None
                    case = NaiveCase(loaded, config)
                    before = case.state
                    getattr(case, name)()
                    loaded.state = case.state
                    loaded.version += 1
                    loaded.updated_at = now
                    if "outcome" in data:
                        loaded.outcome = str(data["outcome"])
                    session.add(
                        NaiveAuditRow(
                            case_id=case_id,
                            seq=loaded.version,
                            event=name,
                            from_state=before,
                            to_state=case.state,
                            actor=actor,
                            at=at,
                            recorded_at=now,
                            data=json.dumps(data),
                        )
                    )
                    session.commit()
        return time.perf_counter() - start
    finally:
        db.dispose()


Runner = Callable[[Path, int, str], float]
COMPETITORS: tuple[tuple[str, Runner], ...] = (
    ("sagsflow", run_sagsflow),
    ("floor (sqlite3)", run_floor),
    ("naive (Machine/case + ORM)", run_naive),
)


def measure(sizes: Sequence[int], runs: int) -> dict[tuple[int, str, str], list[float]]:
    """Transitions per second per (size, synchronous, competitor), per run."""
    results: dict[tuple[int, str, str], list[float]] = {}
    for n in sizes:
        for run in range(runs):
            for synchronous in SYNC_MODES:
                for name, runner in COMPETITORS:
                    with tempfile.TemporaryDirectory(prefix="sagsflow-bench-") as tmp:
                        elapsed = runner(Path(tmp), n, synchronous)
                    rate = n * STEPS_PER_CASE / elapsed
                    results.setdefault((n, synchronous, name), []).append(rate)
                    print(
                        f"  run {run + 1}/{runs} N={n:,} {synchronous:<6} "
                        f"{name:<27} {rate:>9,.0f} transitions/s",
                        flush=True,
                    )
    return results


def run(sizes: Sequence[int], runs: int) -> None:
    quiet_logging()
    print(header("W1 lifecycle"))
    print(
        f"settings: sizes={', '.join(f'{n:,}' for n in sizes)} cases; "
        f"{STEPS_PER_CASE} committed transactions per case "
        f"(open, {', '.join(s[0] for s in STEPS)}); runs={runs}; "
        f"SQLite file in a temp dir, WAL; synchronous {' and '.join(SYNC_MODES)}; "
        "competitors interleaved per run; sagsflow logs at INFO (JSON) to /dev/null"
    )
    results = measure(sizes, runs)
    names = [name for name, _ in COMPETITORS]
    for n in sizes:
        for synchronous in SYNC_MODES:
            print(
                f"\nW1 N={n:,} cases, synchronous={synchronous}: transitions/s, "
                f"median (min{DASH}max) over {runs} runs"
            )
            rows = []
            for name in names:
                rates = results[n, synchronous, name]
                per = 1e6 / statistics.median(rates)
                rows.append([name, median_range(rates), f"{per:,.0f}"])
            print(table(["competitor", "transitions/s", "µs/transition"], rows))
            ours = statistics.median(results[n, synchronous, "sagsflow"])
            for name in names[1:]:
                theirs = statistics.median(results[n, synchronous, name])
                print(f"ratio sagsflow / {name}: {ours / theirs:.2f}x")
