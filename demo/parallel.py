"""A large office from several processes: `generate_office(..., workers=K)`.

The parent has made the database and gone live (staff, the founding case).
Each of K worker processes plans the whole office, as one process would,
numbers every case as one process would (by opening order: ids follow the
plan, numbers count per year), and plays its share of the stories (plan index
modulo K) through the engine on a `demo.bulk.shards.ShardStore`. At the end
of each simulated day every worker hands its rows to the parent, whose
`ShardMerger` merges them in the order one process would have made them and
writes them. The database is the same as the single-process build's, row for
row (tests/demo/test_office.py).

What the workers share: nothing but the database as the parent left it
(read at their start) and the plan's seed. Stories do not depend on each
other: every case's steps are timed against its own deadlines, the chaser
chases each case on its own, and the staff are the same everywhere.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from multiprocessing.process import BaseProcess
from typing import Any, cast

from demo.bulk.shards import ShardBatch, ShardMerger, ShardStore
from demo.calendar import MemoCalendar
from demo.simulation import Outcome
from demo.stories import plan
from demo.story import Story
from demo.summary import Summary, combine, summarise
from demo.wiring import office_engine, simulation
from engine.dates.calendars import local_date
from engine.exceptions import StorageError
from engine.records import format_case_number
from service import app as composition
from service.settings import Settings
from storage import create_db_engine

POLL_S = 1.0  # how often the parent looks whether a silent worker still lives
QUEUE_DAYS = 8  # days a worker may run ahead of the parent's writing


@dataclass(frozen=True, kw_only=True, slots=True)
class Job:
    """What a worker needs to play its share."""

    url: str
    settings: Settings
    shard: int
    shards: int
    cases: int
    seed: int
    first: date
    start: date
    today: date


def build(
    jobs: list[Job],
    *,
    batch_rows: int,
    progress: Callable[[date], None] | None,
) -> tuple[Outcome, Summary]:
    """Run the workers and write what they make; returns what was made.

    Raises:
        StorageError: a worker failed (its traceback is in the message).
    """
    context = multiprocessing.get_context("spawn")  # nothing inherited
    channels = [context.Queue(maxsize=QUEUE_DAYS) for _ in jobs]
    workers = [
        context.Process(target=_work, args=(job, channel), daemon=True)
        for job, channel in zip(jobs, channels, strict=True)
    ]
    for worker in workers:
        worker.start()
    db = create_db_engine(jobs[0].url, create=False)
    try:
        merger = ShardMerger(db, batch_rows=batch_rows)
        day = jobs[0].first
        while True:
            batches = [_receive(c, w) for c, w in zip(channels, workers, strict=True)]
            merger.add([cast(ShardBatch, b) for b in batches])
            if all(cast(ShardBatch, b).final for b in batches):
                break
            if progress is not None:
                progress(day)
            day = date.fromordinal(day.toordinal() + 1)
        merger.write(complete=True)
        results = [_receive(c, w) for c, w in zip(channels, workers, strict=True)]
    finally:
        db.dispose()
        for worker in workers:
            worker.join(timeout=POLL_S)
            if worker.is_alive():
                worker.terminate()
                worker.join()
    outcomes = [cast(tuple[Outcome, Summary], r)[0] for r in results]
    summaries = [cast(tuple[Outcome, Summary], r)[1] for r in results]
    return _add_outcomes(outcomes), combine(summaries)


def _receive(channel: Any, worker: BaseProcess) -> object:
    """The worker's next message; raises if it failed or died."""
    while True:
        try:
            kind, body = channel.get(timeout=POLL_S)
        except queue.Empty:
            if not worker.is_alive():
                raise StorageError(
                    f"a worker making the office stopped (exit code {worker.exitcode})"
                ) from None
            continue
        if kind == "error":
            raise StorageError(f"a worker making the office failed:\n{body}")
        return body


def _work(job: Job, channel: Any) -> None:
    """A worker process: play every `shards`-th story, send each day's rows."""
    try:
        composition.setup_logging(job.settings)  # a process of its own
        gc.disable()  # see demo.office._without_cycle_collector
        outcome, summary = _play_share(job, lambda b: channel.put(("rows", b)))
        channel.put(("done", (outcome, summary)))
    except BaseException:
        channel.put(("error", traceback.format_exc()))
        raise


def _play_share(
    job: Job, send: Callable[[ShardBatch], None]
) -> tuple[Outcome, Summary]:
    settings = job.settings
    registry = composition.load_registry(settings)
    calendar = MemoCalendar.like(composition.load_calendar(settings))
    db = create_db_engine(job.url, create=False)
    try:
        ids: dict[str, int] = {}
        store = ShardStore(db, case_ids=ids.pop, emit=send)
        stories = _share(job, calendar, store, ids)
        engine, clock = office_engine(store, registry, calendar, first=job.first)
        year = simulation(
            engine,
            clock,
            settings,
            seed=job.seed,
            first=job.first,
            start=job.start,
            on_finished=store.release,
        )
        outcome = year.run(stories, first=job.first, on_day=lambda _: store.flush())
        store.finish()
        return outcome, summarise(
            store.state.cases.values(), registry=registry, today=job.today
        )
    finally:
        db.dispose()


def _share(
    job: Job, calendar: MemoCalendar, store: ShardStore, ids: dict[str, int]
) -> Iterator[Story]:
    """This worker's stories, each with the number and id one process gives it."""
    # as the parent left them (the founding case)
    counters = dict(store.state.sequences)
    first_id = store.state.next_ids["wf_case"]
    everything = plan(
        seed=job.seed,
        cases=job.cases,
        first=job.first,
        until=job.start,
        calendar=calendar,
    )
    for story in everything:
        year = local_date(story.opened_at).year
        counters[year] = counters.get(year, 0) + 1
        if story.index % job.shards == job.shard:
            number = format_case_number(year, counters[year])
            ids[number] = first_id + story.index
            yield replace(story, number=number)


def _add_outcomes(outcomes: list[Outcome]) -> Outcome:
    waiting: Counter[str] = Counter()
    for o in outcomes:
        waiting.update(o.waiting)
    first = outcomes[0]
    return Outcome(
        opened=sum(o.opened for o in outcomes),
        finished=sum(o.finished for o in outcomes),
        steps=sum(o.steps for o in outcomes),
        sweeps=first.sweeps,  # every worker swept the same mornings
        chased=sum(o.chased for o in outcomes),
        delivered=sum(o.delivered for o in outcomes),
        waiting=dict(waiting),
    )
