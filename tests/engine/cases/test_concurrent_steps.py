"""A step that names no effective time takes the clock's time under the case's lock.

The default effective time is read after the case is read for update, so a
step that waited for another writer is never dated before the step that writer
committed: concurrent notes on one case are never refused as out of order. An
`at` the caller gave is still refused when it lies before the case's last step.

The interleaving tests make the other writer commit between the moment the
operation starts and the moment its transaction begins; the thread tests run
many writers at once on a clock that moves on with every reading (a stand-in
for the real one, read by no test). Nothing sleeps and nothing is timed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import EngineError, InvalidTimeError
from engine.ports import CaseStore
from engine.records import AuditFilter
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine

WORKFLOW = "ombudsman-inquiry"
OUT_OF_ORDER = "lies before the case's last step"
THREADS = 8
EACH = 25
JOIN_S = 120.0  # the most the writers may take before the test fails


class _CommitsFirst:
    """A store on which another writer commits once, just before the next
    transaction begins (after the operation has started, before its lock)."""

    def __init__(self, store: CaseStore, other: Callable[[], object]) -> None:
        self.store = store
        self.other: Callable[[], object] | None = other

    @contextmanager
    def _transaction(self, write: bool) -> Iterator[Any]:
        other, self.other = self.other, None
        if other is not None:
            other()
        with self.store.transaction(write=write) as tx:
            yield tx

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Any]:
        return self._transaction(write)


def _waiting_engine(
    engine: CaseEngine, other: Callable[[], object]
) -> tuple[CaseEngine, _CommitsFirst]:
    store = _CommitsFirst(engine.store, other)
    waiting = CaseEngine(
        store=cast(CaseStore, store),
        registry=engine.registry,
        clock=engine.clock,
        calendar=engine.calendar,
    )
    return waiting, store


def _other_note(
    engine: CaseEngine, clock: FakeClock, number: str
) -> Callable[[], None]:
    """Another caseworker journals a phone call a millisecond later."""

    def note() -> None:
        clock.advance(timedelta(milliseconds=1))
        engine.fire(number, "note", actor="jur2", document="Phone call")

    return note


def _opened(engine: CaseEngine) -> str:
    return engine.open_case(WORKFLOW, actor="bra", title="Busy").case.number


def test_a_note_without_a_time_is_dated_after_a_note_committed_meanwhile(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = _opened(engine)
    started = clock.now()
    waiting, store = _waiting_engine(engine, _other_note(engine, clock, number))

    view = waiting.fire(number, "note", actor="jur", document="Letter")

    assert store.other is None  # the other note was committed in between
    assert [(e.event, e.actor, e.at) for e in view.history] == [
        ("open", "bra", started),
        ("note", "jur2", started + timedelta(milliseconds=1)),
        ("note", "jur", started + timedelta(milliseconds=1)),
    ]
    assert view.case.last_event_at == clock.now()


def test_a_correction_without_a_time_is_dated_after_a_note_committed_meanwhile(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = _opened(engine)
    waiting, _ = _waiting_engine(engine, _other_note(engine, clock, number))

    view = waiting.correct(
        number, 1, actor="jur", reason="Typo in the title", changes={"title": "Bust"}
    )

    assert [e.event for e in view.history] == ["open", "note", "correction"]
    assert view.history[-1].at == view.history[-2].at == clock.now()


def test_a_given_time_before_a_note_committed_meanwhile_is_still_refused(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = _opened(engine)
    given = clock.now()
    waiting, _ = _waiting_engine(engine, _other_note(engine, clock, number))

    with pytest.raises(InvalidTimeError, match=OUT_OF_ORDER):
        waiting.fire(number, "note", actor="jur", document="Letter", at=given)

    assert [(e.event, e.actor) for e in engine.show(number).history] == [
        ("open", "bra"),
        ("note", "jur2"),
    ]


# -- many writers at once ------------------------------------------------------


class _TickingClock:
    """Moves on a microsecond every time it is read, from any thread: later
    readings are later, as on a real clock."""

    def __init__(self, start: datetime) -> None:
        self._next = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._next += timedelta(microseconds=1)
            return self._next


@pytest.mark.slow
def test_concurrent_notes_without_a_time_are_never_out_of_order(
    database_url: str, registry: WorkflowRegistry
) -> None:
    """8 threads x 25 notes on one case, each thread with its own connections."""
    clock = _TickingClock(datetime(2024, 11, 25, 9, 0, tzinfo=UTC))
    databases = [create_db_engine(database_url, create=False) for _ in range(THREADS)]
    engines = [
        CaseEngine(
            store=SqlCaseStore(db),
            registry=registry,
            clock=clock,
            calendar=BusinessCalendar(),
        )
        for db in databases
    ]
    try:
        engines[0].add_user("jur", ["caseworker"])
        number = engines[0].open_case(WORKFLOW, actor="jur", title="Busy").case.number
        for each in engines:
            each.show(number)  # connected and loaded before the start
        start = threading.Barrier(THREADS, timeout=JOIN_S)
        refused: list[str] = []

        def write(worker: int, engine: CaseEngine) -> None:
            start.wait()
            for i in range(EACH):
                try:
                    engine.fire(number, "note", actor="jur", document=f"{worker}/{i}")
                except EngineError as exc:
                    refused.append(f"{type(exc).__name__}: {exc}")

        threads = [
            threading.Thread(target=write, args=(i, e)) for i, e in enumerate(engines)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(JOIN_S)
        assert not any(t.is_alive() for t in threads), "the writers did not finish"

        assert refused == []
        view = engines[0].show(number)
        assert view.case.version == 1 + THREADS * EACH
        entries = list(engines[0].audit_log(AuditFilter(case_number=number)))
        times = [e.at for e in entries]
        assert times == sorted(times)
    finally:
        for db in databases:
            db.dispose()
