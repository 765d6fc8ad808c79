"""`generate_office`: a synthetic office of any size, for the demo and benchmarks.

The office goes live on sagsflow one year before `start` (local midnight):
its staff are added and the founding case is imported (back-dated, recorded
then; or when it closed, for a `start` less than a year after that). Then
`Simulation` plays the year: `cases` synthetic cases open on working days up
to the day before `start`, and move as their stories say, chased by the real
chaser every working morning.

Recorded times: every synthetic step is recorded at the moment it happened
(the clock is a `FakeClock` the simulation moves), so a seed and a start date
give the same database, row for row, every time; only the `db_setting` rows
carry the real time the office was made.

Two ways to the same rows: `bulk=True` (the default) runs the engine on a
`demo.bulk.store.BulkCaseStore`, which writes in large batches; `bulk=False`
commits every step on the `SqlCaseStore` (or the store given), as `sagsflow
serve` and the command line do. With `workers=K` (bulk only) K processes
play the year and the parent writes (`demo.parallel`); a script that
asks for workers needs Python's `if __name__ == "__main__":` guard, as any
multiprocessing script does. tests/demo/test_office.py shows all of them
write the same database.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine

from demo import founding, parallel
from demo.bulk.store import DEFAULT_BATCH_ROWS, BulkCaseStore
from demo.calendar import MemoCalendar
from demo.simulation import Outcome
from demo.stories import plan
from demo.summary import Summary, combine, summarise
from demo.wiring import go_live, office_engine, simulation
from engine.clock import Clock, SystemClock
from engine.dates.calendars import BusinessCalendar, local_date
from engine.exceptions import InvalidInputError
from engine.ports import CaseStore
from engine.records import Case, CaseFilter
from engine.workflow.registry import WorkflowRegistry
from service import app as composition
from service.settings import Settings
from storage import SqlCaseStore, create_db_engine, upgrade_schema

T = TypeVar("T")
DEFAULT_CASES = 900  # one office-year of Copenhagen's Borgerrådgiver (docs/domain.md)
DEFAULT_SEED = 1
MAX_CASES = 10_000_000
EARLIEST_START = local_date(founding.CLOSED_AT) + timedelta(days=1)

# db_setting keys
KIND = "kind"
DEMO = "demo"
SEED = "demo.seed"
CASES = "demo.cases"
START = "demo.start"
FINISHED = "demo.finished"


@dataclass(frozen=True, kw_only=True, slots=True)
class Office:
    """What `generate_office` made."""

    cases: int  # synthetic cases, besides the founding case
    seed: int
    first: date  # the day the office went live
    start: date  # the record runs up to the end of the day before
    founding_case: str
    outcome: Outcome
    summary: Summary


def check_options(cases: int, start: date | None, *, today: date) -> date:
    """The start date to use; refuses what cannot be generated.

    Raises:
        InvalidInputError: a negative or absurd number of cases, a start in
            the future or before the founding case closed.
    """
    if not 0 <= cases <= MAX_CASES:
        raise InvalidInputError(
            f"--cases must be between 0 and {MAX_CASES:,}, not {cases}"
        )
    start = start or today
    if start > today:
        raise InvalidInputError(
            f"--start {start} lies in the future (today is {today}): the record "
            "holds what has happened"
        )
    if start < EARLIEST_START:
        raise InvalidInputError(
            f"--start must be {EARLIEST_START} or later: the demo office holds the "
            f"founding case, closed on {local_date(founding.CLOSED_AT)}"
        )
    return start


def generate_office(
    target: str | CaseStore,
    *,
    cases: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    start: date | None = None,
    clock: Clock | None = None,
    bulk: bool = True,
    settings: Settings | None = None,
    progress: Callable[[date], None] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    workers: int = 1,
) -> Office:
    """Make a synthetic office in `target`: a database URL, or a store.

    A URL names a new database (made and migrated here) or an empty one; a
    store must be empty. The database is marked `kind=demo` first and
    `demo.finished` last.

    Args:
        cases: synthetic cases besides the founding case.
        seed: the same seed, start and size give the same office.
        start: the record runs up to the day before (default: today in
            Copenhagen, by `clock`).
        clock: the real clock (what "today" is; the db_setting times).
        bulk: write through `BulkCaseStore` (a URL only), else step by step.
        settings: the office's calendar, workflows, letter language and name.
        progress: called after each simulated day.
        batch_rows: the bulk store writes when this many rows wait.
        workers: processes that play the year (`demo.parallel`); more
            than one needs a URL and the bulk path. The database is the same.

    Raises:
        InvalidInputError: see `check_options`.
        StorageError: the database cannot be made or written.
    """
    clock = clock or SystemClock()
    now = clock.now()
    start = check_options(cases, start, today=local_date(now))
    settings = settings or Settings()
    if workers > 1 and not (bulk and isinstance(target, str)):
        raise ValueError("several workers need a database URL and the bulk path")
    registry = composition.load_registry(settings)
    calendar = MemoCalendar.like(composition.load_calendar(settings))
    first = year_before(start)
    db: Engine | None = None
    if isinstance(target, str):
        db = create_db_engine(target, synchronous=settings.sqlite_synchronous)
        upgrade_schema(db)
        store: CaseStore = SqlCaseStore(db)
    else:
        store = target
    try:
        _refuse_cases(store)
        _mark(store, now, seed=seed, cases=cases, start=start)
        bulk_store = (
            BulkCaseStore(db, batch_rows=batch_rows)
            if bulk and db is not None
            else None
        )
        if bulk_store is not None:
            store = bulk_store
        if workers > 1:
            assert bulk_store is not None
            assert isinstance(target, str)
            outcome, summary = _without_cycle_collector(
                _build_in_parallel,
                bulk_store,
                registry,
                calendar,
                settings,
                jobs=[
                    parallel.Job(
                        url=target,
                        settings=settings,
                        shard=shard,
                        shards=workers,
                        cases=cases,
                        seed=seed,
                        first=first,
                        start=start,
                        today=local_date(now),
                    )
                    for shard in range(workers)
                ],
                batch_rows=batch_rows,
                progress=progress,
            )
            store = bulk_store.sql
        else:
            outcome, summary = _without_cycle_collector(
                _build,
                store,
                bulk_store,
                registry,
                calendar,
                settings,
                cases=cases,
                seed=seed,
                first=first,
                start=start,
                progress=progress,
                today=local_date(now),
            )
            if bulk_store is not None:
                store = bulk_store.sql
        with store.transaction() as tx:
            tx.set_setting(FINISHED, "yes", at=now)
    finally:
        if db is not None:
            db.dispose()
    return Office(
        cases=cases,
        seed=seed,
        first=first,
        start=start,
        founding_case=founding.NUMBER,
        outcome=outcome,
        summary=summary,
    )


def summary_of(store: CaseStore, registry: WorkflowRegistry, *, today: date) -> Summary:
    """The summary of the office in `store` (reads every case row)."""
    with store.transaction(write=False) as tx:
        cases: list[Case] = list(tx.list_cases(CaseFilter()))
    return summarise(cases, registry=registry, today=today)


def _refuse_cases(store: CaseStore) -> None:
    with store.transaction(write=False) as tx:
        if tx.list_cases(CaseFilter(limit=1)):
            raise InvalidInputError(
                "a synthetic office goes into a database without cases; "
                "this one holds cases already"
            )


def _mark(
    store: CaseStore, now: datetime, *, seed: int, cases: int, start: date
) -> None:
    with store.transaction() as tx:
        tx.set_setting(KIND, DEMO, at=now)
        tx.set_setting(SEED, str(seed), at=now)
        tx.set_setting(CASES, str(cases), at=now)
        tx.set_setting(START, start.isoformat(), at=now)


def _build(
    store: CaseStore,
    bulk_store: BulkCaseStore | None,
    registry: WorkflowRegistry,
    calendar: BusinessCalendar,
    settings: Settings,
    *,
    cases: int,
    seed: int,
    first: date,
    start: date,
    progress: Callable[[date], None] | None,
    today: date,
) -> tuple[Outcome, Summary]:
    """Play the office, write what waits, count what was made."""
    outcome = _play(
        store,
        registry,
        calendar,
        settings,
        cases=cases,
        seed=seed,
        first=first,
        start=start,
        progress=progress,
        on_finished=bulk_store.release if bulk_store is not None else None,
    )
    if bulk_store is None:
        return outcome, summary_of(store, registry, today=today)
    bulk_store.finish()
    return outcome, summarise(
        bulk_store.state.cases.values(), registry=registry, today=today
    )


def _build_in_parallel(
    prelude: BulkCaseStore,
    registry: WorkflowRegistry,
    calendar: BusinessCalendar,
    settings: Settings,
    *,
    jobs: list[parallel.Job],
    batch_rows: int,
    progress: Callable[[date], None] | None,
) -> tuple[Outcome, Summary]:
    """Go live here, then let the workers play the year (demo.parallel)."""
    first = jobs[0].first
    engine, clock = office_engine(prelude, registry, calendar, first=first)
    go_live(engine, clock, first=first)
    prelude.finish()
    day_one = summarise(
        prelude.state.cases.values(), registry=registry, today=jobs[0].today
    )
    outcome, summary = parallel.build(jobs, batch_rows=batch_rows, progress=progress)
    return outcome, combine([day_one, summary])


def _play(
    store: CaseStore,
    registry: WorkflowRegistry,
    calendar: BusinessCalendar,
    settings: Settings,
    *,
    cases: int,
    seed: int,
    first: date,
    start: date,
    progress: Callable[[date], None] | None,
    on_finished: Callable[[str], None] | None,
) -> Outcome:
    engine, clock = office_engine(store, registry, calendar, first=first)
    go_live(engine, clock, first=first)
    year = simulation(
        engine,
        clock,
        settings,
        seed=seed,
        first=first,
        start=start,
        on_finished=on_finished,
    )
    stories = plan(seed=seed, cases=cases, first=first, until=start, calendar=calendar)
    return year.run(stories, first=first, on_day=progress)


def _without_cycle_collector(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `work` with Python's cyclic garbage collector paused.

    Generation builds millions of long-lived objects and no reference cycles
    to speak of (peak memory is the same either way, measured at 30,000
    cases); the collector's full passes over that growing heap took a fifth
    to a third of the time. Reference counting still frees everything else.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return work(*args, **kwargs)
    finally:
        if was_enabled:
            gc.enable()


def year_before(day: date) -> date:
    """The same day a year earlier (1 March for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return date(day.year - 1, 3, 1)
