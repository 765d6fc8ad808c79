"""W4 PostgreSQL: the W1 lifecycle with 1, 2 and 4 worker processes on one server.

Each worker is its own process with its own `CaseEngine`, driving its share of
the N cases through open → send_inquiry → mark_dispatched → receive_reply →
close, each step its own committed transaction. The workers are released
together (a barrier) and the clock runs until the last one is done. Afterwards
the record is checked for duplicates: every case number once, every case with
exactly its five entries numbered 1..5 (the store's unique keys make anything
else impossible; the check proves it). Each worker count gets a fresh database.

Runs only where a PostgreSQL server is named: `SAGSFLOW_BENCH_POSTGRES_URL`,
else `SAGSFLOW_TEST_POSTGRES_URL` (an administrative URL; a database is made
and dropped per run).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import threading
import time
import uuid
from multiprocessing.synchronize import Barrier

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from bench.report import DASH, header, median_range, table
from bench.w1_lifecycle import NOW, STEPS_PER_CASE, drive_sagsflow, quiet_logging
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from workflows import bundled_paths

WORKERS = (1, 2, 4)
DEFAULT_SIZE = 4_000
QUICK_SIZE = 120  # --quick runs once: as many cases as its three runs of 40 had
ENV = ("SAGSFLOW_BENCH_POSTGRES_URL", "SAGSFLOW_TEST_POSTGRES_URL")
START_S = 120  # for every worker to connect and reach the start line


def server_url() -> URL | None:
    for name in ENV:
        value = os.environ.get(name, "").strip()
        if value:
            return make_url(value)
    return None


def _admin(url: URL, sql: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _new_database(server: URL) -> URL:
    name = f"sagsflow_bench_{uuid.uuid4().hex[:10]}"
    _admin(server, f"CREATE DATABASE {name}")
    url = server.set(database=name)
    db = create_db_engine(url.render_as_string(hide_password=False))
    try:
        upgrade_schema(db)
        engine = _engine(db)
        engine.add_user("bra", ["advisor"])
        engine.add_user("jur", ["caseworker"])
    finally:
        db.dispose()
    return url


def _engine(db: Engine) -> CaseEngine:
    return CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )


def _worker(url: str, cases: int, start: Barrier) -> None:
    quiet_logging()
    db = create_db_engine(url, pool_size=1)
    try:
        engine = _engine(db)
        with db.connect():
            pass  # connected before the start line
        start.wait()
        drive_sagsflow(engine, cases)
    finally:
        db.dispose()


def _duplicates(url: URL, cases: int) -> int:
    """Entries or numbers that are not exactly once where they should be."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            numbers = conn.execute(
                text("SELECT count(*), count(DISTINCT number) FROM wf_case")
            ).one()
            bad_cases = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT case_id FROM audit_entry "
                    "GROUP BY case_id HAVING count(*) <> :n OR count(DISTINCT seq) "
                    "<> :n OR min(seq) <> 1 OR max(seq) <> :n) AS odd"
                ),
                {"n": STEPS_PER_CASE},
            ).scalar_one()
    finally:
        engine.dispose()
    assert numbers[0] == cases, f"{numbers[0]} cases written, {cases} expected"
    return int(numbers[0] - numbers[1]) + int(bad_cases)


def run_once(server: URL, cases: int, workers: int) -> tuple[float, int]:
    """Transitions per second and duplicates for one worker count."""
    url = _new_database(server)
    context = mp.get_context("spawn")
    start = context.Barrier(workers + 1)
    share = [cases // workers + (i < cases % workers) for i in range(workers)]
    procs = [
        context.Process(
            target=_worker,
            args=(url.render_as_string(hide_password=False), n, start),
        )
        for n in share
    ]
    try:
        for proc in procs:
            proc.start()
        try:  # a worker that dies before the start line must not hang the bench
            start.wait(timeout=START_S)
        except threading.BrokenBarrierError:
            codes = [p.exitcode for p in procs]
            raise RuntimeError(
                f"the workers did not all reach the start in {START_S} s "
                f"(exit codes so far: {codes})"
            ) from None
        began = time.perf_counter()
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - began
        failed = [p.exitcode for p in procs if p.exitcode != 0]
        if failed:
            raise RuntimeError(f"a worker failed (exit codes {failed})")
        return cases * STEPS_PER_CASE / elapsed, _duplicates(url, cases)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
        _admin(server, f"DROP DATABASE IF EXISTS {url.database} WITH (FORCE)")


def run(cases: int, runs: int) -> None:
    print(header("W4 PostgreSQL (W1 lifecycle, several workers)"))
    server = server_url()
    if server is None:
        print(f"skipped: set {ENV[0]} (or {ENV[1]}) to a PostgreSQL server's URL")
        return
    print(
        f"settings: {cases:,} cases, {STEPS_PER_CASE} committed transactions each, "
        f"workers {', '.join(map(str, WORKERS))} (processes), runs={runs}, "
        f"server {server.host}:{server.port}, a fresh database per run"
    )
    rates: dict[int, list[float]] = {}
    dupes: dict[int, int] = {}
    for run_no in range(runs):
        for workers in WORKERS:
            rate, duplicates = run_once(server, cases, workers)
            rates.setdefault(workers, []).append(rate)
            dupes[workers] = dupes.get(workers, 0) + duplicates
            print(
                f"  run {run_no + 1}/{runs} workers={workers} {rate:>9,.0f} "
                f"transitions/s, duplicates {duplicates}",
                flush=True,
            )
    one = statistics.median(rates[1])
    rows = [
        [
            str(w),
            median_range(rates[w]),
            f"{statistics.median(rates[w]) / one:.2f}x",
            str(dupes[w]),
        ]
        for w in WORKERS
    ]
    print(f"\nW4 W1 on PostgreSQL: transitions/s, median (min{DASH}max) over {runs}")
    print(table(["workers", "transitions/s", "vs 1 worker", "duplicates"], rows))


def sizes(quick: bool) -> int:
    return QUICK_SIZE if quick else DEFAULT_SIZE
