"""W2 sweep: find and chase the overdue cases among many, on SQLite (WAL, FULL).

The office: N cases on record, of which a fixed number are overdue (awaiting
a reply that was due 6 Nov 2024; the sweep runs on 25 Nov 2024); three in ten
of the rest are open with a reply due later, the others closed. The case rows
are written directly with sqlite3 (what a sweep reads is the case table and its
index); each run works on a fresh copy of the file.

Measured, interleaved per run:

* find: the overdue cases. sagsflow's listing (`overdue_cases`, the one the
  dashboard pages through: the few columns a listing shows, read through the
  index on `chase_due`), two floors through plain sqlite3 (the same SELECT of
  ids alone, which the index answers without reading a row, and of the
  listing's columns as raw tuples), and the naive way: load every open case
  through the ORM and keep those past their deadline in Python.
* chase: a full sweep, each overdue case given its first reminder: the rung
  step with its audit entry and hash, the chase key, the two e-mails in the
  outbox (authority and caseworker, rendered from the letter templates), in
  batches of 100 per transaction. sagsflow's `Chaser` (as `serve` builds it);
  the same claim-and-mark in raw SQL batches (the floor, no letters rendered);
  and the naive sweep: load the open cases into Python, filter, and write each
  chase through the ORM with a commit per case.

Sizes keep the overdue count fixed and grow the office, so the table shows
whether the cost follows the overdue cases or all of them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from bench.report import DASH, header, median_range, table
from bench.w1_lifecycle import quiet_logging
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.app import build_chaser
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from storage.tables import CaseRow
from workflows import bundled_paths

WORKFLOW = "ombudsman-inquiry"
# the bundled declaration's version, which the rows written by hand carry
WORKFLOW_VERSION = WorkflowRegistry.from_paths(bundled_paths()).get(WORKFLOW).version
NOW = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
TODAY = date(2024, 11, 25)
DUE = date(2024, 11, 6)
LATER = date(2024, 12, 20)  # the other open cases' replies are not due yet
NEXT_DUE = date(2024, 12, 9)  # ten working days on
OVERDUE = 10_000
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_OVERDUE = 20
QUICK_SIZES = (200, 2_000)
BATCH = 100


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


# -- the office ----------------------------------------------------------------------
def build_office(path: Path, total: int, overdue: int) -> None:
    """`total` case rows, the last `overdue` of them due 6 Nov and unanswered."""
    db = create_db_engine(f"sqlite:///{path}")
    upgrade_schema(db)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"], email="raadgiver@kk.example")
    engine.add_user("jur", ["caseworker"], email="jurist@kk.example")
    with engine.store.transaction() as tx:  # as opening the first case would
        engine.rules.record(tx, engine.registry.get(WORKFLOW))
    calendar = engine.calendar.id
    db.dispose()
    at = _iso(datetime(2024, 10, 9, 13, 0, tzinfo=UTC))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # set-up only
    conn.execute("BEGIN")
    first_open = total - overdue
    rows = (
        {
            "number": f"2024-{i + 1:07d}",
            "title": f"Henvendelse {i}",
            # the overdue ones last; three in ten of the others still open, their
            # replies due later (as in docs/libraries.md §2.5's claim-query setup)
            "open": i >= first_open or i % 10 < 3,
            "due": (DUE if i >= first_open else LATER).isoformat(),
            "parties": json.dumps(
                [
                    {
                        "role": "authority",
                        "name": f"Forv {i}",
                        "email": f"f{i}@kk.example",
                    }
                ]
            ),
            "calendar": calendar,
            "at": at,
            "head": hashlib.sha256(str(i).encode()).hexdigest(),
            "wv": WORKFLOW_VERSION,
        }
        for i in range(total)
    )
    conn.executemany(
        "INSERT INTO wf_case (number, workflow, workflow_version, title, state,"
        " version, parties, data, due, calendar, chase_position, chase_due,"
        " state_entry_seq, state_entered_at, opened_at, last_event_at, updated_at,"
        " documents_count, audit_head) VALUES (:number, 'ombudsman-inquiry', :wv,"
        " :title, CASE WHEN :open THEN 'awaiting_reply' ELSE 'closed' END,"
        " CASE WHEN :open THEN 3 ELSE 5 END, :parties, '{}',"
        " CASE WHEN :open THEN :due END, CASE WHEN :open THEN :calendar END, 0,"
        " CASE WHEN :open THEN :due END, 3, :at, :at, :at, :at, 1, :head)",
        rows,
    )
    conn.execute("COMMIT")
    conn.close()


# -- find ----------------------------------------------------------------------------
def find_sagsflow(path: Path) -> int:
    db = create_db_engine(f"sqlite:///{path}", create=False)
    store = SqlCaseStore(db)
    try:
        with store.transaction(write=False) as tx:
            return len(tx.overdue_cases(TODAY, limit=10**9))
    finally:
        db.dispose()


def _find_raw(path: Path, columns: str) -> int:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            f"SELECT {columns} FROM wf_case WHERE chase_due < ? ORDER BY chase_due, id",
            (TODAY.isoformat(),),
        ).fetchall()
        return len(rows)
    finally:
        conn.close()


def find_floor(path: Path) -> int:
    """The ids alone: answered from the `chase_due` index, no row read."""
    return _find_raw(path, "id")


def find_floor_listing(path: Path) -> int:
    """The columns sagsflow's listing returns, as raw tuples: each row is read."""
    return _find_raw(
        path,
        "id, number, workflow, workflow_version, state, title, due, chase_due,"
        " chase_position",
    )


def _open_rows(session: Session) -> list[CaseRow]:
    """The naive read: every case not closed, as ORM objects."""
    return list(session.exec(select(CaseRow).where(col(CaseRow.state) != "closed")))


def find_naive(path: Path) -> int:
    db = create_db_engine(f"sqlite:///{path}", create=False)
    try:
        with Session(db) as session:
            return sum(1 for r in _open_rows(session) if r.due and r.due < TODAY)
    finally:
        db.dispose()


# -- chase ---------------------------------------------------------------------------
def chase_sagsflow(path: Path) -> int:
    db = create_db_engine(f"sqlite:///{path}", create=False)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    chaser = build_chaser(Settings(sweep_closed_days=True, quiet_hours="none"), engine)
    try:
        return len(chaser.sweep().chased)
    finally:
        db.dispose()


def chase_floor(path: Path) -> int:
    """Claim and mark in raw SQL batches: what the chase writes, minus the letters."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=FULL")
    now = _iso(NOW)
    chased = 0
    try:
        while True:
            conn.execute("BEGIN IMMEDIATE")
            batch = conn.execute(
                "SELECT id, number, version, audit_head, state_entry_seq FROM wf_case"
                " WHERE chase_due < ? ORDER BY chase_due, id LIMIT ?",
                (TODAY.isoformat(), BATCH),
            ).fetchall()
            for case_id, number, version, head, entry_seq in batch:
                seq = version + 1
                data = json.dumps({"rung": "reminder_1", "due_missed": DUE.isoformat()})
                new_head = hashlib.sha256((head + data).encode()).hexdigest()
                conn.execute(
                    "UPDATE wf_case SET version = ?, chase_position = 1, chase_due = ?,"
                    " due = ?, updated_at = ?, audit_head = ? WHERE id = ?"
                    " AND version = ?",
                    (seq, NEXT_DUE.isoformat(), NEXT_DUE.isoformat(), now, new_head,
                     case_id, version),
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO audit_entry (case_id, case_number, seq, event,"
                    " from_state, to_state, actor, role, at, recorded_at, data,"
                    " due_before, due_after, workflow, workflow_version, prev_hash,"
                    " hash) VALUES (?, ?, ?, 'chase', 'awaiting_reply',"
                    " 'awaiting_reply', 'system', 'system', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (case_id, number, seq, now, now, data, DUE.isoformat(),
                     NEXT_DUE.isoformat(), WORKFLOW, WORKFLOW_VERSION, head,
                     new_head),
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO chase (case_id, entry_seq, rung, audit_seq,"
                    " due_missed, fired_at) VALUES (?, ?, 'reminder_1', ?, ?, ?)",
                    (case_id, entry_seq, seq, DUE.isoformat(), now),
                )
                for to in ("authority", "caseworker"):
                    conn.execute(
                        "INSERT INTO outbox (idempotency_key, case_id, case_number,"
                        " channel, recipient, kind, subject, body, payload, status,"
                        " attempts, available_at, created_at) VALUES (?, ?, ?,"
                        " 'email', ?, 'chase', 'Rykker', 'Rykker', '{}', 'pending', 0,"
                        " ?, ?)",
                        (f"chase:{case_id}:{entry_seq}:reminder_1:{to}", case_id,
                         number, f"{to}@kk.example", now, now),
                    )  # fmt: skip
            conn.execute("COMMIT")
            chased += len(batch)
            if len(batch) < BATCH:
                return chased
    finally:
        conn.close()


def chase_naive(path: Path) -> int:
    """Load the open cases, filter in Python, write each chase via the ORM."""
    from storage.tables import AuditRow, ChaseRow, OutboxRow

    db = create_db_engine(f"sqlite:///{path}", create=False)
    chased = 0
    try:
        with Session(db) as session:
            due = [r for r in _open_rows(session) if r.due and r.due < TODAY]
            for row in due:
                assert row.id is not None
                seq = row.version + 1
                data = {"rung": "reminder_1", "due_missed": DUE.isoformat()}
                head = hashlib.sha256((row.audit_head + json.dumps(data)).encode())
                session.add(
                    AuditRow(
                        case_id=row.id, case_number=row.number, seq=seq,
                        event="chase", from_state=row.state, to_state=row.state,
                        actor="system", role="system", at=NOW, recorded_at=NOW,
                        data=data, due_before=row.due, due_after=NEXT_DUE,
                        workflow=WORKFLOW, workflow_version=WORKFLOW_VERSION,
                        prev_hash=row.audit_head, hash=head.hexdigest(),
                    )
                )  # fmt: skip
                session.add(
                    ChaseRow(
                        case_id=row.id, entry_seq=row.state_entry_seq,
                        rung="reminder_1", audit_seq=seq, due_missed=DUE,
                        fired_at=NOW,
                    )
                )  # fmt: skip
                for to in ("authority", "caseworker"):
                    session.add(
                        OutboxRow(
                            idempotency_key=f"chase:{row.id}:{seq}:{to}",
                            case_id=row.id, case_number=row.number,
                            channel="email", recipient=f"{to}@kk.example",
                            kind="chase", subject="Rykker", body="Rykker",
                            payload={}, status="pending", available_at=NOW,
                            created_at=NOW,
                        )
                    )  # fmt: skip
                row.version, row.chase_position = seq, 1
                row.due = row.chase_due = NEXT_DUE
                row.audit_head, row.updated_at = head.hexdigest(), NOW
                session.commit()
                chased += 1
        return chased
    finally:
        db.dispose()


Runner = Callable[[Path], int]
FIND: tuple[tuple[str, Runner], ...] = (
    ("sagsflow", find_sagsflow),
    ("floor (sqlite3, ids)", find_floor),
    ("floor (sqlite3, same columns)", find_floor_listing),
    ("naive (load open, filter)", find_naive),
)
CHASE: tuple[tuple[str, Runner], ...] = (
    ("sagsflow", chase_sagsflow),
    ("floor (raw SQL batches)", chase_floor),
    ("naive (load open, ORM)", chase_naive),
)


def _timed(template: Path, runner: Runner, expected: int) -> float:
    with tempfile.TemporaryDirectory(prefix="sagsflow-w2-") as tmp:
        copy = Path(tmp) / "office.db"
        shutil.copyfile(template, copy)
        start = time.perf_counter()
        found = runner(copy)
        elapsed = time.perf_counter() - start
    if found != expected:
        raise RuntimeError(f"{runner.__name__} handled {found}, expected {expected}")
    return elapsed


def run(sizes: Sequence[int], overdue: int, runs: int, *, naive: bool = True) -> None:
    """Measure and print W2; `naive=False` leaves the naive competitors out."""
    quiet_logging()
    find, chase = (FIND, CHASE) if naive else (_clever(FIND), _clever(CHASE))
    print(header("W2 sweep"))
    print(
        f"settings: offices of {', '.join(f'{n:,}' for n in sizes)} cases, "
        f"{overdue:,} overdue in each; runs={runs}; SQLite WAL, synchronous=FULL; "
        f"chase batches of {BATCH}; competitors interleaved per run"
        + ("" if naive else "; the naive competitors left out")
    )
    results: dict[tuple[int, str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="sagsflow-w2-office-") as tmp:
        for total in sizes:
            template = Path(tmp) / f"office-{total}.db"
            started = time.perf_counter()
            build_office(template, total, overdue)
            print(
                f"  office of {total:,}: built in {time.perf_counter() - started:.1f} s"
            )
            for run_no in range(runs):
                for phase, competitors in (("find", find), ("chase", chase)):
                    for name, runner in competitors:
                        elapsed = _timed(template, runner, overdue)
                        results.setdefault((total, phase, name), []).append(elapsed)
                        print(
                            f"  run {run_no + 1}/{runs} N={total:,} {phase:<5} "
                            f"{name:<29} {elapsed * 1000:>10,.1f} ms",
                            flush=True,
                        )
            template.unlink()
    _report(results, sizes, overdue, runs, find, chase)


def _clever(
    competitors: tuple[tuple[str, Runner], ...],
) -> tuple[tuple[str, Runner], ...]:
    return tuple(c for c in competitors if not c[0].startswith("naive"))


def _report(
    results: dict[tuple[int, str, str], list[float]],
    sizes: Sequence[int],
    overdue: int,
    runs: int,
    find: tuple[tuple[str, Runner], ...],
    chase: tuple[tuple[str, Runner], ...],
) -> None:
    for phase, competitors in (("find", find), ("chase", chase)):
        unit = "ms" if phase == "find" else "cases chased/s"
        print(
            f"\nW2 {phase}: {overdue:,} overdue, {unit}, median (min{DASH}max) "
            f"over {runs} runs"
        )
        rows: list[list[str]] = []
        for total in sizes:
            for name, _ in competitors:
                times = results[total, phase, name]
                if phase == "find":
                    shown = median_range([t * 1000 for t in times], "{:,.1f}")
                else:
                    shown = median_range([overdue / t for t in times])
                rows.append([f"{total:,}", name, shown])
        print(table(["cases", "competitor", unit], rows))
        for total in sizes:
            ours = statistics.median(results[total, phase, "sagsflow"])
            for name, _ in competitors[1:]:
                theirs = statistics.median(results[total, phase, name])
                print(f"N={total:,}: sagsflow / {name}: {theirs / ours:.2f}x speed")
    small, large = min(sizes), max(sizes)
    for phase in ("find", "chase") if large > small else ():
        growth = statistics.median(
            results[large, phase, "sagsflow"]
        ) / statistics.median(results[small, phase, "sagsflow"])
        print(
            f"sagsflow {phase}: {large / small:.0f}x the cases, same overdue: "
            f"{growth:.2f}x the time"
        )


def settings(quick: bool) -> tuple[Sequence[int], int]:
    return (QUICK_SIZES, QUICK_OVERDUE) if quick else (DEFAULT_SIZES, OVERDUE)
