"""W5 search: find a case by a title word, a citizen's name, a number.

The office: a demo office of N cases on SQLite (`demo.generate_office`, the
bulk path), so titles and names are as an office has them: Danish titles
from the administrations' matters, citizens such as "Testperson K. Sørensen"
(twenty surnames, twenty-one initials). Searched, as the case box and
`case list --search` search (the best 20):

* a title word ("hjemmehjælp": about one case in twenty has it),
* a citizen's whole name (about one case in 420),
* a surname alone (one in twenty),
* a case number.

Competitors, interleaved, each on its own warm connection (a search is a
read on a running service): sagsflow's `CaseEngine.search` (the FTS5 index,
the rows of the cases found, what matched worked out); the floor, the same
MATCH through plain sqlite3, ids and ranks alone; and the naive way, LIKE
scans of the titles and the parties' JSON, unranked (the first 20 that
match; and it finds no name with æ, ø or å, which the JSON holds escaped).
Where a PostgreSQL server is named (as for W4), the office is copied there
(`storage.copy`, its triggers building the `tsvector` index) and sagsflow's
search is timed on it too. Each search is timed `REPEATS` times a run.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from bench.report import DASH, header, median_range, table
from bench.w1_lifecycle import quiet_logging
from bench.w4_postgres import server_url
from demo.office import generate_office
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.search import parse_search
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine
from storage.copy import copy_database
from storage.database import sqlite_path
from storage.sql.search import SQLITE_WEIGHTS, fts5_query
from workflows import bundled_paths

DEFAULT_SIZES = (100_000,)
QUICK_SIZES = (200,)
LIMIT = 20  # what the command line shows by default
REPEATS = 5  # timings of each search a run
START = date(2026, 3, 2)  # the office's record ends the day before: fixed, not today
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FOUNDING = "2024-0283489"
SEARCHES = (
    ("title word", "hjemmehjælp"),
    ("citizen's name", "Testperson K. Sørensen"),
    ("surname", "Sørensen"),
    ("case number", FOUNDING),
)
ON_POSTGRES = "sagsflow on PostgreSQL"

Search = Callable[[str], int]  # text -> cases found
Opened = tuple[Search, Callable[[], None]]  # the search, and how to close it
Results = dict[tuple[int, str, str], list[float]]  # (cases, search, who): seconds


def sagsflow(url: str) -> Opened:
    db = create_db_engine(url, create=False)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    return (lambda text: len(engine.search(text, limit=LIMIT))), db.dispose


def floor(url: str) -> Opened:
    """The FTS5 query alone: the best ids and their ranks, no row read."""
    conn = sqlite3.connect(str(sqlite_path(url)))
    sql = (
        f"SELECT rowid, bm25(case_search, {SQLITE_WEIGHTS}) AS score FROM case_search"
        " WHERE case_search MATCH ? ORDER BY score LIMIT ?"
    )

    def run(text: str) -> int:
        terms = parse_search(text)
        if terms.number is not None:
            found = conn.execute(
                "SELECT id FROM wf_case WHERE number = ?", (terms.number,)
            ).fetchall()
            return len(found)
        return len(conn.execute(sql, (fts5_query(terms.words), LIMIT)).fetchall())

    return run, conn.close


def naive(url: str) -> Opened:
    """LIKE over the titles, the parties' JSON and the numbers: every row read."""
    conn = sqlite3.connect(str(sqlite_path(url)))

    def run(text: str) -> int:
        words = text.lower().replace(".", " ").split()
        where = " AND ".join(
            "(lower(title) LIKE ? OR lower(parties) LIKE ? OR number LIKE ?)"
            for _ in words
        )
        values = [f"%{w}%" for w in words for _ in range(3)]
        sql = f"SELECT * FROM wf_case WHERE {where} LIMIT ?"
        return len(conn.execute(sql, (*values, LIMIT)).fetchall())

    return run, conn.close


COMPETITORS: tuple[tuple[str, Callable[[str], Opened]], ...] = (
    ("sagsflow", sagsflow),
    ("floor (sqlite3, FTS5 ids)", floor),
    ("naive (LIKE scans)", naive),
)


def run(sizes: Sequence[int], runs: int) -> None:
    quiet_logging()
    print(header("W5 search"))
    server = server_url()
    print(
        f"settings: demo offices of {', '.join(f'{n:,}' for n in sizes)} cases; "
        f"runs={runs}, each search {REPEATS} times a run; the best {LIMIT}; "
        "SQLite WAL; competitors interleaved; PostgreSQL: "
        + (f"{server.host}:{server.port}" if server else "none named (as for W4)")
    )
    results: Results = {}
    found: dict[tuple[int, str, str], int] = {}
    names = [name for name, _ in COMPETITORS] + ([ON_POSTGRES] if server else [])
    with tempfile.TemporaryDirectory(prefix="sagsflow-w5-") as tmp:
        for total in sizes:
            url = f"sqlite:///{Path(tmp) / f'office-{total}.db'}"
            started = time.perf_counter()
            generate_office(
                url,
                cases=total,
                start=START,
                clock=FakeClock(NOW),
                settings=Settings(sqlite_synchronous="NORMAL"),
            )
            took = time.perf_counter() - started
            print(f"  office of {total:,}: built in {took:.1f} s")
            with _copied(url, server) as pg_url:
                makers = [(name, make, url) for name, make in COMPETITORS]
                if pg_url is not None:
                    makers.append((ON_POSTGRES, sagsflow, pg_url))
                for run_no in range(runs):
                    for name, make, where in makers:
                        for label, times, count in _timed(make(where)):
                            results.setdefault((total, label, name), []).extend(times)
                            found[total, label, name] = count
                            ms = statistics.median(times) * 1000
                            print(
                                f"  run {run_no + 1}/{runs} N={total:,} {label:<15} "
                                f"{name:<26} {ms:>9,.2f} ms",
                                flush=True,
                            )
    _report(results, found, sizes, runs, names)


@contextmanager
def _copied(url: str, server: URL | None) -> Iterator[str | None]:
    """The office copied to a new database on `server` (None: no server)."""
    if server is None:
        yield None
        return
    name = f"sagsflow_bench_{uuid.uuid4().hex[:10]}"
    _admin(server, f"CREATE DATABASE {name}")
    target = server.set(database=name).render_as_string(hide_password=False)
    try:
        source, copy = create_db_engine(url, create=False), create_db_engine(target)
        try:
            started = time.perf_counter()
            copy_database(source, copy)
            took = time.perf_counter() - started
            print(f"  copied to PostgreSQL in {took:.1f} s")
        finally:
            source.dispose()
            copy.dispose()
        yield target
    finally:
        _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _admin(server: URL, sql: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _timed(opened: Opened) -> list[tuple[str, list[float], int]]:
    """(search, its times, cases found) of each search, on a warm connection."""
    search, close = opened
    out = []
    try:
        search(SEARCHES[0][1])  # warm: the connection, the caches
        for label, text in SEARCHES:
            times = []
            for _ in range(REPEATS):
                began = time.perf_counter()
                count = search(text)
                times.append(time.perf_counter() - began)
            out.append((label, times, count))
    finally:
        close()
    return out


def _report(
    results: Results,
    found: dict[tuple[int, str, str], int],
    sizes: Sequence[int],
    runs: int,
    names: Sequence[str],
) -> None:
    print(
        f"\nW5 search: ms, median (min{DASH}max) over {runs} runs of {REPEATS}; "
        "cases found in brackets"
    )
    rows = []
    for total in sizes:
        for label, _ in SEARCHES:
            for name in names:
                times = [t * 1000 for t in results[total, label, name]]
                count = found[total, label, name]
                shown = f"{median_range(times, '{:,.2f}')} [{count}]"
                rows.append([f"{total:,}", label, name, shown])
    print(table(["cases", "search", "competitor", "ms [found]"], rows))
    floor_name, naive_name = COMPETITORS[1][0], COMPETITORS[2][0]
    for total in sizes:
        for label, _ in SEARCHES:
            ours = statistics.median(results[total, label, "sagsflow"])
            floor_time = statistics.median(results[total, label, floor_name])
            naive_time = statistics.median(results[total, label, naive_name])
            print(
                f"N={total:,} {label}: sagsflow {ours * 1000:,.2f} ms; "
                f"{floor_time / ours:.2f}x the floor's speed, "
                f"{naive_time / ours:.2f}x the naive way's"
            )
