"""The demo office's absences: when each lawyer is away, and who deputises.

Pure, like the stories: a `random.Random` of its own, seeded from the office's
seed (the cases' plan draws nothing for it), plans for each of the six
lawyers

    a summer holiday of two or three weeks, from a Monday in ISO weeks 26 to
        31 (each lawyer starts in a week of their own),
    a week off in winter or autumn (ISO weeks 7 to 9 or 42 to 44, one lawyer
        a week),
    and two to five sick spells of one to three working days over the year,

never two at once for one lawyer and never more than `MAX_AWAY` lawyers on
the same day. A holiday has a deputy: a colleague away on the fewest of its
days (most often none); a sick spell has one about half the time (the advisor
does not always name one on the morning a lawyer calls in sick). A deputy
away on a day is stood in for like anyone (`Staffing.stand_in`).

The advisor records each (`CaseEngine.set_away`) when the office learns of
it: a holiday weeks ahead, a sick spell on its first morning, and what was
known before the office went live on its first working morning. The plan
holds what is recorded before the record ends: absences that overlap the
office's year, and holidays already booked for after it. `demo.simulation`
records them; `demo.owners` asks who is away on a day, and who stands in.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from demo.mix import OFFICE_MINUTES
from demo.people import ADVISOR, CASEWORKERS
from demo.story import local_moment
from engine.dates.calendars import BusinessCalendar, local_date

SUMMER, WEEK, SICK = "summer", "week", "sick"
SUMMER_WEEKS = range(26, 32)  # ISO weeks a summer holiday may start in
WEEKS_OFF = (7, 8, 9, 42, 43, 44)  # ISO weeks of the winter and autumn week off
SICK_SPELLS = (2, 5)  # (fewest, most) a lawyer a year
SICK_DAYS = {1: 60, 2: 25, 3: 15}  # working days a spell lasts -> share in percent
SICK_DEPUTY = 50  # percent of sick spells with a deputy named
BOOKED_AHEAD = {SUMMER: (42, 84), WEEK: (21, 42)}  # (fewest, most) days ahead
MAX_AWAY = 3  # lawyers away on one day, at most
TRIES = 20  # places tried for a sick spell before it is left out


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """A lawyer's days away, both included, before a deputy and a booking."""

    user: str
    starts: date
    ends: date
    kind: str  # SUMMER | WEEK | SICK

    def days(self) -> Iterator[date]:
        day = self.starts
        while day <= self.ends:
            yield day
            day += timedelta(days=1)

    def overlaps(self, other: Span) -> bool:
        return self.starts <= other.ends and other.starts <= self.ends


@dataclass(frozen=True, kw_only=True, slots=True)
class Away(Span):
    """A planned absence: who deputises, and when the advisor records it."""

    deputy: str | None
    booked_at: datetime  # UTC
    by: str = ADVISOR


class Staffing:
    """The office's absences, and who is away or stands in on a day."""

    def __init__(self, absences: Sequence[Away]) -> None:
        # in the order the advisor records them
        self.absences = tuple(
            sorted(absences, key=lambda a: (a.booked_at, a.user, a.starts))
        )
        self._away = {(a.user, day): a for a in self.absences for day in a.days()}

    def away(self, user: str, day: date) -> Away | None:
        """The absence of `user` on `day`, if any."""
        return self._away.get((user, day))

    def present(self, lawyer: str, day: date) -> str:
        """`lawyer`, or who stands in for them on `day`."""
        return lawyer if self.away(lawyer, day) is None else self.stand_in(lawyer, day)

    def stand_in(self, lawyer: str, day: date) -> str:
        """Who does `lawyer`'s work on `day`: their deputy if present, else
        the next lawyer present (in `CASEWORKERS`' order, round from them).

        Never more than `MAX_AWAY` of the six are away, so someone is present.
        """
        absence = self.away(lawyer, day)
        deputy = absence.deputy if absence is not None else None
        if deputy is not None and self.away(deputy, day) is None:
            return deputy
        at = CASEWORKERS.index(lawyer)
        n = len(CASEWORKERS)
        others = (CASEWORKERS[(at + k) % n] for k in range(1, n))
        return next(o for o in others if self.away(o, day) is None)


def plan_absences(
    *, seed: int, first: date, until: date, calendar: BusinessCalendar
) -> Staffing:
    """The absences the advisor records from `first` up to `until` (see above)."""
    rng = random.Random(f"sagsflow demo absences {seed}")
    summer = rng.sample(SUMMER_WEEKS, len(CASEWORKERS))
    weeks = [rng.choice((2, 3)) for _ in CASEWORKERS]
    week_off = rng.sample(WEEKS_OFF, len(CASEWORKERS))
    spans: list[Span] = []
    for year in range(first.year, until.year + 2):
        for lawyer, start_week, length, off in zip(
            CASEWORKERS, summer, weeks, week_off, strict=True
        ):
            spans.append(_holiday(lawyer, SUMMER, year, start_week, length))
            spans.append(_holiday(lawyer, WEEK, year, off, 1))
    spans = [s for s in spans if s.ends >= first]
    days = [
        first + timedelta(days=i)
        for i in range((until - first).days)
        if calendar.is_working_day(first + timedelta(days=i))
    ]
    for lawyer in CASEWORKERS:
        for _ in range(rng.randint(*SICK_SPELLS)):
            spell = _sick_spell(lawyer, spans, days, rng, calendar)
            if spell is not None:
                spans.append(spell)
    live = local_moment(_working_day(first, calendar), 0)
    planned = [
        Away(
            user=s.user,
            starts=s.starts,
            ends=s.ends,
            kind=s.kind,
            deputy=None
            if s.kind == SICK and rng.random() * 100 >= SICK_DEPUTY
            else _deputy(s, spans, rng),
            booked_at=max(live, _booking(s, rng, calendar)),
        )
        for s in sorted(spans, key=lambda s: (s.starts, s.user))
    ]
    return Staffing([a for a in planned if local_date(a.booked_at) < until])


def _holiday(lawyer: str, kind: str, year: int, week: int, weeks: int) -> Span:
    """From the Monday of ISO `week` to the Friday `weeks` weeks on."""
    starts = date.fromisocalendar(year, week, 1)
    ends = starts + timedelta(weeks=weeks, days=-3)
    return Span(user=lawyer, starts=starts, ends=ends, kind=kind)


def _sick_spell(
    lawyer: str,
    spans: list[Span],
    days: list[date],
    rng: random.Random,
    calendar: BusinessCalendar,
) -> Span | None:
    """A spell on working days of the year, clear of the lawyer's other
    absences and of days with `MAX_AWAY` away already; None if none fits."""
    length = rng.choices(list(SICK_DAYS), list(SICK_DAYS.values()))[0]
    for _ in range(TRIES):
        starts = rng.choice(days)
        ends = calendar.add_working_days(starts, length - 1) if length > 1 else starts
        spell = Span(user=lawyer, starts=starts, ends=ends, kind=SICK)
        if all(_fits(spell, day, spans) for day in spell.days()):
            return spell
    return None


def _fits(spell: Span, day: date, spans: list[Span]) -> bool:
    away = [s for s in spans if s.starts <= day <= s.ends]
    return len(away) < MAX_AWAY and all(s.user != spell.user for s in away)


def deputy_days_away(span: Span, spans: Sequence[Span]) -> dict[str, int]:
    """Each other lawyer: on how many of `span`'s days they are away too."""
    away = {lawyer: 0 for lawyer in CASEWORKERS if lawyer != span.user}
    for other in spans:
        if other.user in away and other.overlaps(span):
            days = max(other.starts, span.starts), min(other.ends, span.ends)
            away[other.user] += (days[1] - days[0]).days + 1
    return away


def _deputy(span: Span, spans: list[Span], rng: random.Random) -> str:
    """One of the colleagues away on the fewest of `span`'s days (mostly none)."""
    away = deputy_days_away(span, spans)
    fewest = min(away.values())
    return rng.choice([lawyer for lawyer, n in away.items() if n == fewest])


def _booking(span: Span, rng: random.Random, calendar: BusinessCalendar) -> datetime:
    """When the advisor learns of `span` (office hours on a working day)."""
    if span.kind == SICK:
        return local_moment(span.starts, rng.randint(0, 90))
    ahead = timedelta(days=rng.randint(*BOOKED_AHEAD[span.kind]))
    day = _working_day(span.starts - ahead, calendar)
    return local_moment(day, rng.randrange(OFFICE_MINUTES))


def _working_day(day: date, calendar: BusinessCalendar) -> date:
    """`day`, or the next working day after it."""
    return day if calendar.is_working_day(day) else calendar.add_working_days(day, 1)
