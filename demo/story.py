"""What a story is: a case's plan, the steps it asks for, its randomness and timing.

A story is played by a generator that yields the steps to take: `Open`,
`Fire` (an event at a moment), `Assign` (the case given to a lawyer at a
moment: demo/owners.py) or `AwaitRung` (wait until the chaser has fired that
rung of the case's ladder). The simulation (`demo.simulation`) carries
the steps out through the engine and sends back the case as the engine left
it, or the rung that fired (`step_open`, `step_fire` and `step_await` take
the answer).

A story's own randomness is a small SplitMix64 generator seeded from the plan
(`StoryRandom`): it is cheap to keep for hundreds of thousands of open cases,
and its draws do not depend on the order in which the simulation interleaves
the stories.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from demo.mix import OFFICE_MINUTES, OFFICE_OPENS
from engine.dates.calendars import COPENHAGEN, BusinessCalendar, local_date
from engine.records import Case, JsonDict, Party

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class Open:
    at: datetime
    workflow: str
    actor: str
    title: str
    parties: tuple[Party, ...]
    data: JsonDict
    document: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Fire:
    at: datetime
    event: str
    actor: str
    data: JsonDict = field(default_factory=dict)
    document: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Assign:
    at: datetime
    actor: str
    owner: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AwaitRung:
    """Wait until the chaser fires `rung` on the case (in its current stay)."""

    rung: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RungFired:
    """What the simulation sends back when an awaited rung fired."""

    rung: str
    at: datetime
    new_due: date | None


Step = Open | Fire | Assign | AwaitRung
Play = Generator[Step, Case | RungFired, None]


# -- randomness ------------------------------------------------------------------------
_MASK = (1 << 64) - 1


class StoryRandom:
    """SplitMix64: one int of state, the same draws on every platform."""

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    def _next(self) -> int:
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1)."""
        return (self._next() >> 11) / (1 << 53)

    def randint(self, low: int, high: int) -> int:
        """An int in [low, high]."""
        return low + int(self.random() * (high - low + 1))

    def chance(self, percent: float) -> bool:
        return self.random() * 100 < percent

    def choice(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def weighted(self, shares: dict[str, int]) -> str:
        return _weighted(self.random(), shares)


def _weighted(u: float, shares: dict[str, int]) -> str:
    point = u * sum(shares.values())
    for name, share in shares.items():
        point -= share
        if point < 0:
            return name
    return next(reversed(shares))


@dataclass(frozen=True, kw_only=True, slots=True)
class Story:
    """One case's plan: what kind of case it is and how its parties behave."""

    index: int
    seed: int  # for the story's own StoryRandom
    workflow: str
    kind: str
    opened_at: datetime  # UTC
    caseworker: str
    administration: int  # index into people.ADMINISTRATIONS
    reply: str = "on_time"
    extensions: int = 0
    dispatch_late: bool = False
    assessment_late: bool = False
    reopen: bool = False
    own_initiative: bool = False
    number: str | None = None  # the case number, when decided in advance


# -- playing a story -------------------------------------------------------------------
class Timing:
    """Moments in office hours, counted in the office's working days.

    The calendar's answers are cached: a large office asks the same few
    thousand questions millions of times.
    """

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self._add = functools.lru_cache(maxsize=None)(calendar.add_working_days)
        self._between = functools.lru_cache(maxsize=None)(calendar.working_days_between)

    def working_day(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` itself for 0)."""
        return self._add(start, n) if n > 0 else start

    def on(self, day: date, r: StoryRandom, *, after: datetime) -> datetime:
        """A moment in office hours on `day`, later than `after`."""
        at = local_moment(day, r.randint(0, OFFICE_MINUTES - 1))
        if at <= after:
            at = after + timedelta(minutes=r.randint(5, 90))
        return at

    def later(self, after: datetime, working_days: int, r: StoryRandom) -> datetime:
        """Office hours `working_days` working days after `after` (0: that day)."""
        day = self.working_day(local_date(after), working_days)
        return self.on(day, r, after=after)

    def by(
        self, after: datetime, last_day: date, r: StoryRandom, *, lean: float = 1.0
    ) -> datetime:
        """Office hours on a working day from `after`'s day up to `last_day`.

        `lean` above 1 favours the later days (replies come near the deadline).
        """
        first = local_date(after)
        span = self._between(first, last_day)
        pick = int((r.random() ** (1 / lean)) * (span + 1))
        return self.on(self.working_day(first, min(pick, span)), r, after=after)


def step_open(step: Open) -> Generator[Step, Case | RungFired, Case]:
    case = yield step
    assert isinstance(case, Case)
    return case


def step_fire(step: Fire) -> Generator[Step, Case | RungFired, Case]:
    case = yield step
    assert isinstance(case, Case)
    return case


def step_await(rung: str) -> Generator[Step, Case | RungFired, RungFired]:
    fired = yield AwaitRung(rung=rung)
    assert isinstance(fired, RungFired)
    return fired


def local_moment(day: date, minute: int) -> datetime:
    opens = datetime.combine(day, OFFICE_OPENS, COPENHAGEN)
    return (opens + timedelta(minutes=minute)).astimezone(UTC)
