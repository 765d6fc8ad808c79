"""Run the demo office's year through the engine, day by day, on a fake clock.

Every morning at 07:00 (Copenhagen) the chaser sweeps, as `sagsflow serve`
would (it skips weekends and holidays by itself), and the dispatcher delivers
what the sweep queued; then the day's steps of every story happen in time
order, and the advisor records the lawyers' absences as the office learns of
them (demo/absences.py; before a story's step at the same moment). Each step
goes through the engine's real operations (`open_case`, `fire`,
`assign_case`, `set_away`, the chaser's `sweep`, the dispatcher's `dispatch`)
with the clock set to its moment, so the recorded time of every entry is
the moment it happened, as if sagsflow had been running all year:
deterministic for a seed and a start date, and the record verifies like any
other.

Nothing at or after `until` happens: a story whose next step lies there stays
where it is (its case is still open), and the chaser has not swept on
`until`'s day yet, so the first live sweep fires what fell due overnight.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from demo.absences import Away, Staffing
from demo.stories import play
from demo.story import (
    Assign,
    AwaitRung,
    Fire,
    Open,
    Play,
    RungFired,
    Step,
    Story,
    Timing,
)
from engine.cases.engine import CaseEngine
from engine.chasing.chaser import Chaser
from engine.chasing.dispatcher import Dispatcher
from engine.dates.calendars import COPENHAGEN
from engine.records import Case, Notification
from engine.testing import FakeClock

SWEEP_AT = time(7, 0)  # local: before office hours, after the 02:00-03:00 quiet hours


class Delivered:
    """A channel for the simulated past: every message was delivered."""

    def send(self, notification: Notification) -> None:
        return None


@dataclass(slots=True)
class _Running:
    """A story under way: its steps, and its case's number once opened."""

    steps: Play
    story: Story
    number: str = ""


@dataclass(slots=True)
class Outcome:
    """What the simulation did."""

    opened: int = 0
    finished: int = 0  # stories played to their end before `until`
    steps: int = 0
    sweeps: int = 0
    chased: int = 0
    delivered: int = 0
    waiting: dict[str, int] = field(default_factory=dict)  # rung -> stories awaiting


class Simulation:
    """Drives stories through the engine from a first day up to `until`."""

    def __init__(
        self,
        *,
        engine: CaseEngine,
        chaser: Chaser,
        dispatcher: Dispatcher,
        clock: FakeClock,
        until: datetime,
        staff: Staffing,
        on_finished: Callable[[str], None] | None = None,
    ) -> None:
        """`staff` says who is away when; `on_finished` hears the number of
        each case whose story has ended."""
        self.engine = engine
        self.staff = staff
        self.on_finished = on_finished
        self.chaser = chaser
        self.dispatcher = dispatcher
        self.clock = clock
        self.until = until
        self.timing = Timing(engine.calendar)
        self.outcome = Outcome()
        # Ordered by time, then by plan index: the order does not depend on how
        # the stories are shared out (demo.parallel relies on it).
        self._queue: list[tuple[datetime, int, _Running, Step]] = []
        self._awaiting: dict[str, tuple[_Running, str]] = {}
        self._absences: deque[Away] = deque(staff.absences)  # by booked_at

    def run(
        self,
        stories: Iterable[Story],
        *,
        first: date,
        on_day: Callable[[date], None] | None = None,
    ) -> Outcome:
        """Play `stories` (in opening order) from `first` until `until`."""
        pending = _Peekable(iter(stories))
        day = first
        last = self.until.astimezone(COPENHAGEN).date()
        while day <= last:
            morning = _at(day, SWEEP_AT)
            if morning < self.until:
                self._morning(morning)
            while (story := pending.peek()) is not None and story.opened_at < _at(
                day + timedelta(days=1), time(0)
            ):
                next(pending)
                self._start(story)
            self._run_until(min(_at(day + timedelta(days=1), SWEEP_AT), self.until))
            if on_day is not None:
                on_day(day)
            day += timedelta(days=1)
        for _, rung in self._awaiting.values():
            self.outcome.waiting[rung] = self.outcome.waiting.get(rung, 0) + 1
        return self.outcome

    # -- the chaser's morning --------------------------------------------------------
    def _morning(self, at: datetime) -> None:
        self.clock.set(at)
        result = self.chaser.sweep(at)
        if result.skipped is None:
            self.outcome.sweeps += 1
        self.outcome.chased += len(result.chased)
        self.outcome.delivered += self.dispatcher.dispatch(at).sent
        for chased in result.chased:
            awaited = self._awaiting.get(chased.number)
            if awaited is not None and awaited[1] == chased.rung:
                del self._awaiting[chased.number]
                fired = RungFired(rung=chased.rung, at=at, new_due=chased.new_due)
                self._advance(awaited[0], fired)

    # -- the stories -------------------------------------------------------------------
    def _start(self, story: Story) -> None:
        running = _Running(steps=play(story, self.timing, self.staff), story=story)
        self.outcome.opened += 1
        self._schedule(running, next(running.steps))

    def _run_until(self, end: datetime) -> None:
        while self._queue and self._queue[0][0] < end:
            self._record_absences(self._queue[0][0], inclusive=True)
            at, _, running, step = heapq.heappop(self._queue)
            self.clock.set(at)
            self.outcome.steps += 1
            if isinstance(step, Open):
                view = self.engine.open_case(
                    step.workflow,
                    actor=step.actor,
                    title=step.title,
                    parties=step.parties,
                    data=step.data,
                    document=step.document,
                    number=running.story.number,
                )
                running.number = view.case.number
            elif isinstance(step, Assign):
                view = self.engine.assign_case(
                    running.number, step.owner, actor=step.actor, reason=step.reason
                )
            else:
                assert isinstance(step, Fire)
                view = self.engine.fire(
                    running.number,
                    step.event,
                    actor=step.actor,
                    data=step.data,
                    document=step.document,
                )
            self._advance(running, view.case)
        self._record_absences(end, inclusive=False)

    def _record_absences(self, until: datetime, *, inclusive: bool) -> None:
        """Record the absences the office learns of before `until` (or at it,
        if `inclusive`). They are the office's, not a case's: no step."""
        absences = self._absences
        while absences and (
            absences[0].booked_at < until
            or (inclusive and absences[0].booked_at == until)
        ):
            away = absences.popleft()
            self.clock.set(away.booked_at)
            self.engine.set_away(
                away.user,
                starts=away.starts,
                ends=away.ends,
                deputy=away.deputy,
                actor=away.by,
            )

    def _advance(self, running: _Running, value: Case | RungFired) -> None:
        try:
            step = running.steps.send(value)
        except StopIteration:
            self.outcome.finished += 1
            if self.on_finished is not None:
                self.on_finished(running.number)
            return
        self._schedule(running, step)

    def _schedule(self, running: _Running, step: Step) -> None:
        if isinstance(step, AwaitRung):
            self._awaiting[running.number] = (running, step.rung)
            return
        if step.at < self.clock.now():
            raise AssertionError(
                f"story {running.story.index} ({running.story.kind}) planned "
                f"{type(step).__name__} at {step.at}, before now ({self.clock.now()})"
            )
        if step.at >= self.until:
            return  # the office's record ends before it: the case stays open
        heapq.heappush(self._queue, (step.at, running.story.index, running, step))


class _Peekable(Iterator[Story]):
    def __init__(self, items: Iterator[Story]) -> None:
        self._items = items
        self._next: Story | None = next(items, None)

    def peek(self) -> Story | None:
        return self._next

    def __next__(self) -> Story:
        if self._next is None:
            raise StopIteration
        item, self._next = self._next, next(self._items, None)
        return item


def _at(day: date, clock_time: time) -> datetime:
    return datetime.combine(day, clock_time, COPENHAGEN).astimezone(UTC)
