"""W6 migrate: N open cases moved to a newer workflow version in one command.

The law changed: the administration's reply is now due within 15 working days,
not 20. Version 4 of the bundled `ombudsman-inquiry` (version 3) says so (the
file's text with those two words changed, written to a temp folder that
`SAGSFLOW_WORKFLOWS` names; the bundled files are always loaded, so the folder
holds that one file, and version 3 stays readable as the record holds it).

The office: a demo office (`demo.generate_office`, the bulk path) on a SQLite
file. A demo office ends its year with about a quarter of its cases open
ombudsman cases (the rest closed, or access-to-documents cases), so it is made
with N / `OPEN_SHARE` cases, and the open ombudsman cases beyond N are
withdrawn through `CaseEngine` (evenly spread, so every open state keeps its
share); should it hold fewer than N, the rest are opened through `CaseEngine`.
Either way it holds exactly N open cases on version 3, in the states, with the
deadlines, reminders sent and extended replies a year of the demo left them,
among about three times as many closed ones.

Competitors, interleaved, each run on a fresh copy of the office (sqlite3's
backup API; the copy is not timed), SQLite WAL, `synchronous=FULL` (sagsflow's
default):

* sagsflow: ONE command, `sagsflow workflow migrate ombudsman-inquiry --to 4
  --actor bra --reason ...`, as a subprocess: the wall clock from process start
  to exit (start-up included: `sagsflow --help` is timed beside it, to
  subtract). Each case in its own transaction: worked out again under its
  lock, its deadline recomputed, a sealed `migrate` entry (the reason in clear, as
  `grounds`). Also its dry run (`--dry-run --json`).
* floor: the same per-case work through plain sqlite3 in one process: the open
  cases' ids, then for each case in its own `BEGIN IMMEDIATE`: SELECT the row,
  UPDATE its version, deadline, chase deadline and audit head, INSERT an
  `audit_entry` (its data and a seal of the case as canonical JSON, hashed
  with SHA-256). Comparable I/O, not a verifiable record; the deadline
  counted with sagsflow's calendar.
* naive: one `UPDATE wf_case SET workflow_version = 4 WHERE ...`: no entry,
  no deadline recomputed; the least that "changing the version" costs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from bench.report import DASH, header, median_range, table
from bench.w1_lifecycle import quiet_logging
from demo.office import generate_office
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar, local_date
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine
from workflows import bundled_paths

DEFAULT_SIZES = (10_000,)
QUICK_SIZES = (200,)
WORKFLOW = "ombudsman-inquiry"
FILE = "ombudsman_inquiry.yaml"
FROM_VERSION, TO_VERSION = 3, 4
OLD_DAYS, NEW_DAYS = 20, 15  # the reply deadline, in working days
ADVISOR = "bra"  # the demo office's advisor (demo.people)
REASON = "Lov om ændring af ombudsmandsloven: svarfrist 15 arbejdsdage"
OPEN_SHARE = 0.23  # a demo office's open ombudsman cases: about 0.25 of its cases
START = date(2026, 3, 2)  # the office's record ends the day before: fixed, not today
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SAGSFLOW = Path(sys.executable).with_name("sagsflow")  # the console script

MIGRATE = "sagsflow (one command)"
DRY_RUN = "sagsflow --dry-run --json"
FLOOR = "floor (sqlite3, a transaction a case)"
NAIVE = "naive (one UPDATE, no entry)"
STARTUP = "start-up (sagsflow --help)"
NAMES = (MIGRATE, DRY_RUN, FLOOR, NAIVE, STARTUP)

Results = dict[tuple[int, str], list[float]]  # (cases, who): seconds


def version_4(folder: Path) -> Path:
    """The bundled file as version 4: the reply due within 15 working days."""
    [bundled] = [p for p in bundled_paths() if p.name == FILE]
    text = bundled.read_text(encoding="utf-8")
    changed, found = re.subn(
        f"^version: {FROM_VERSION}$", f"version: {TO_VERSION}", text, flags=re.M
    )
    changed = changed.replace(
        f"within: {OLD_DAYS} working days}}", f"within: {NEW_DAYS} working days}}"
    )
    if found != 1 or changed.count(f"within: {NEW_DAYS} working days") != 1:
        raise RuntimeError(f"{FILE} no longer reads as W6 expects")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    path.write_text(changed, encoding="utf-8")
    return path


# -- the office ----------------------------------------------------------------------
def _open_numbers(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT number FROM wf_case WHERE workflow = ? AND workflow_version = ?"
            " AND state != 'closed' ORDER BY number",
            (WORKFLOW, FROM_VERSION),
        ).fetchall()
        return [number for (number,) in rows]
    finally:
        conn.close()


def build_office(path: Path, cases: int) -> int:
    """A demo office holding exactly `cases` open ombudsman cases; its size."""
    url = f"sqlite:///{path}"
    total = max(10, math.ceil(cases / OPEN_SHARE))
    generate_office(
        url,
        cases=total,
        start=START,
        clock=FakeClock(NOW),
        settings=Settings(sqlite_synchronous="NORMAL"),
    )
    numbers = _open_numbers(path)
    db = create_db_engine(url, create=False, synchronous="NORMAL")
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    try:
        surplus = len(numbers) - cases
        for i in range(max(0, surplus)):  # evenly spread over the open cases
            engine.fire(numbers[i * len(numbers) // surplus], "withdraw", actor=ADVISOR)
        for i in range(max(0, -surplus)):
            engine.open_case(WORKFLOW, actor=ADVISOR, title=f"Henvendelse W6 {i}")
    finally:
        db.dispose()
    if len(_open_numbers(path)) != cases:
        raise RuntimeError(f"the office does not hold {cases} open cases")
    return total + 1 + max(0, -surplus)  # the founding case besides


def _copy(template: Path, target: Path) -> None:
    """A fresh copy of the office through sqlite3's backup API (not timed)."""
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _moved(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        (count,) = conn.execute(
            "SELECT count(*) FROM wf_case WHERE workflow = ? AND workflow_version = ?",
            (WORKFLOW, TO_VERSION),
        ).fetchone()
        return int(count)
    finally:
        conn.close()


# -- sagsflow: the command ------------------------------------------------------------
def _environ(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    env["SAGSFLOW_WORKFLOWS"] = str(folder)
    return env


def _command(path: Path, *extra: str) -> list[str]:
    return [
        str(SAGSFLOW),
        "--db",
        f"sqlite:///{path}",
        "workflow",
        "migrate",
        WORKFLOW,
        "--to",
        str(TO_VERSION),
        "--actor",
        ADVISOR,
        "--reason",
        REASON,
        *extra,
    ]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, int, str, str]:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - began, done.returncode, done.stdout, done.stderr


def run_migrate(path: Path, folder: Path, cases: int) -> tuple[float, str]:
    """The command; what moved is counted in the database afterwards (what the
    command prints is in the office's language, and not read here)."""
    took, code, _, err = _run(_command(path), _environ(folder))
    moved = _moved(path)
    refused = cases - moved
    if code not in (0, 1) or (code == 1) != (refused > 0):
        raise RuntimeError(f"sagsflow workflow migrate exited {code}: {err[-2000:]}")
    return took, f"{moved:,} on v{TO_VERSION}" + (
        f", {refused:,} not moved (exit {code})" if refused else ""
    )


def run_dry(path: Path, folder: Path, cases: int) -> tuple[float, str]:
    took, code, out, err = _run(_command(path, "--dry-run", "--json"), _environ(folder))
    if code not in (0, 1):
        raise RuntimeError(f"the dry run exited {code}: {err[-2000:]}")
    said = json.loads(out)
    would, refused = said["would_move"], said["not_moved"]
    if would + refused != cases or _moved(path) != 0:
        raise RuntimeError(f"the dry run: {would} would move, {refused} not")
    return took, f"{would:,} would move" + (f", {refused:,} not" if refused else "")


def run_startup(path: Path, folder: Path, cases: int) -> tuple[float, str]:
    took, code, _, err = _run([str(SAGSFLOW), "--help"], _environ(folder))
    if code != 0:
        raise RuntimeError(f"sagsflow --help exited {code}: {err[-2000:]}")
    return took, "-"


# -- the floor and the naive way ------------------------------------------------------
def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.row_factory = sqlite3.Row
    return conn


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _canonical(fields: dict[str, object]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def run_floor(path: Path, folder: Path, cases: int) -> tuple[float, str]:
    began = time.perf_counter()
    calendar = BusinessCalendar()
    conn = _connect(path)
    moved = 0
    try:
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM wf_case WHERE workflow = ? AND workflow_version < ?"
                " AND state != 'closed' ORDER BY number",
                (WORKFLOW, TO_VERSION),
            )
        ]
        for case_id in ids:
            conn.execute("BEGIN IMMEDIATE")
            case = conn.execute("SELECT * FROM wf_case WHERE id = ?", (case_id,))
            row = case.fetchone()
            data = json.loads(row["data"])
            due = row["due"]
            if (
                row["state"] == "awaiting_reply"
                and row["chase_position"] == 0
                and not data.get("reply_by")
            ):
                entered = local_date(_utc(row["state_entered_at"]))
                due = calendar.add_working_days(entered, NEW_DAYS).isoformat()
            chase = due if row["chase_due"] else None
            now = _iso(datetime.now(UTC))
            seq = row["version"] + 1
            said = {
                "from_version": row["workflow_version"],
                "to_version": TO_VERSION,
                "mapping": {},
                "due_before": row["due"],
                "due_after": due,
                "grounds": REASON,
            }
            sealed = {
                "documents": [],
                "case": {
                    key: row[key]
                    for key in ("title", "state", "state_entry_seq", "owner")
                }
                | {
                    "documents": row["documents_count"],
                    "parties": json.loads(row["parties"]),
                    "data": data,
                    "due": due,
                    "chase_due": chase,
                    "version": seq,
                },
            }
            via = {"channel": "cli", "login": "bench"}
            entry = {
                "case": row["number"], "seq": seq, "event": "migrate",
                "from": row["state"], "to": row["state"], "actor": ADVISOR,
                "role": "advisor", "at": now, "recorded_at": now, "data": said,
                "due_before": row["due"], "due_after": due,
                "workflow": WORKFLOW, "workflow_version": TO_VERSION,
                "sealed": sealed, "via": via, "v": 4,
            }  # fmt: skip
            head = hashlib.sha256(
                f"{row['audit_head']}\n{_canonical(entry)}".encode()
            ).hexdigest()
            conn.execute(
                "UPDATE wf_case SET workflow_version = ?, due = ?, chase_due = ?,"
                " version = ?, audit_head = ?, last_event_at = ?, updated_at = ?"
                " WHERE id = ? AND version = ?",
                (TO_VERSION, due, chase, seq, head, now, now, case_id,
                 row["version"]),
            )  # fmt: skip
            conn.execute(
                "INSERT INTO audit_entry (case_id, case_number, seq, event,"
                " from_state, to_state, actor, role, at, recorded_at, data,"
                " due_before, due_after, calendar, workflow, workflow_version,"
                " prev_hash, hash, chain_version, sealed, via) VALUES (?, ?, ?,"
                " 'migrate', ?, ?, ?, 'advisor', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 4,"
                " ?, ?)",
                (case_id, row["number"], seq, row["state"], row["state"], ADVISOR,
                 now, now, json.dumps(said), row["due"], due, row["calendar"],
                 WORKFLOW, TO_VERSION, row["audit_head"], head, json.dumps(sealed),
                 json.dumps(via)),
            )  # fmt: skip
            conn.execute("COMMIT")
            moved += 1
    finally:
        conn.close()
    took = time.perf_counter() - began
    if moved != cases or _moved(path) != cases:
        raise RuntimeError(f"the floor moved {moved} of {cases}")
    return took, f"{moved:,} on v{TO_VERSION}"


def run_naive(path: Path, folder: Path, cases: int) -> tuple[float, str]:
    began = time.perf_counter()
    conn = _connect(path)
    try:
        changed = conn.execute(
            "UPDATE wf_case SET workflow_version = ? WHERE workflow = ?"
            " AND workflow_version < ? AND state != 'closed'",
            (TO_VERSION, WORKFLOW, TO_VERSION),
        ).rowcount
    finally:
        conn.close()
    took = time.perf_counter() - began
    if changed != cases or _moved(path) != cases:
        raise RuntimeError(f"the naive UPDATE changed {changed} of {cases}")
    return took, f"{changed:,} on v{TO_VERSION}"


Runner = Callable[[Path, Path, int], tuple[float, str]]
COMPETITORS: tuple[tuple[str, Runner], ...] = (
    (MIGRATE, run_migrate),
    (DRY_RUN, run_dry),
    (FLOOR, run_floor),
    (NAIVE, run_naive),
    (STARTUP, run_startup),
)


def run(sizes: Sequence[int], runs: int) -> None:
    quiet_logging()
    print(header("W6 migrate"))
    print(
        f"settings: {', '.join(f'{n:,}' for n in sizes)} open cases of {WORKFLOW} "
        f"v{FROM_VERSION} in a demo office, moved to v{TO_VERSION} (the reply due "
        f"within {NEW_DAYS} working days, not {OLD_DAYS}); runs={runs}; a fresh copy "
        "of the office each; SQLite WAL, synchronous=FULL; competitors interleaved; "
        "sagsflow timed as a process, start-up included"
    )
    results: Results = {}
    said: dict[tuple[int, str], str] = {}
    with tempfile.TemporaryDirectory(prefix="sagsflow-w6-") as tmp:
        folder = Path(tmp) / "workflows"
        version_4(folder)
        for cases in sizes:
            template = Path(tmp) / f"office-{cases}.db"
            started = time.perf_counter()
            total = build_office(template, cases)
            took = time.perf_counter() - started
            print(f"  office of {total:,} cases, {cases:,} open: built in {took:.1f} s")
            for run_no in range(runs):
                for name, runner in COMPETITORS:
                    copy = Path(tmp) / f"run-{cases}.db"
                    _copy(template, copy)
                    elapsed, what = runner(copy, folder, cases)
                    for leftover in Path(tmp).glob(f"{copy.name}*"):
                        leftover.unlink()
                    results.setdefault((cases, name), []).append(elapsed)
                    said[cases, name] = what
                    print(
                        f"  run {run_no + 1}/{runs} N={cases:,} {name:<38} "
                        f"{elapsed * 1000:>10,.1f} ms  {what}",
                        flush=True,
                    )
            template.unlink()
    _report(results, said, sizes, runs)


def _report(
    results: Results, said: dict[tuple[int, str], str], sizes: Sequence[int], runs: int
) -> None:
    print(f"\nW6 migrate: median (min{DASH}max) over {runs} runs")
    rows = []
    for cases in sizes:
        for name in NAMES:
            times = results[cases, name]
            rate = "-" if name == STARTUP else median_range([cases / t for t in times])
            shown = median_range([t * 1000 for t in times], "{:,.1f}")
            rows.append([f"{cases:,}", name, shown, rate, said[cases, name]])
    print(table(["cases", "competitor", "ms", "cases/s", "result"], rows))
    for cases in sizes:
        ours = statistics.median(results[cases, MIGRATE])
        start = statistics.median(results[cases, STARTUP])
        floor = statistics.median(results[cases, FLOOR])
        naive = statistics.median(results[cases, NAIVE])
        print(
            f"N={cases:,}: sagsflow {ours:,.2f} s ({cases / ours:,.0f} cases/s; "
            f"{cases / max(ours - start, 1e-9):,.0f} /s less the start-up of "
            f"{start * 1000:,.0f} ms); sagsflow / floor: {ours / floor:.2f}x the "
            f"time ({(ours - start) / floor:.2f}x less the start-up); "
            f"sagsflow / naive: {ours / naive:,.0f}x the time"
        )
