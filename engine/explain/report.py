"""Management figures over cases: throughput, outcomes, handling time, backlog.

Pure: the caller passes the cases with their history, the workflow definitions
and `now`; nothing here reads a store or a clock. Every figure comes from the
audit history as it stood at `now` (later entries are ignored), on the
effective time `at`, so a report as of a past moment is reproducible.

Two populations, on purpose:

- The cohort: cases OPENED in [since, until) (local dates, Copenhagen): from
  `since` to `last_day`, both included, as people give and read a period; no
  later than `now`. Following the cases that came in during a period is how
  handling-time targets are judged, and keeps every period figure about the
  same cases. Only what happened before `until` (and by `now`) counts: "closed"
  is in a final state at the end of the period, a chase counts if fired in it,
  time in states runs to the end of the period or `now`, whichever is earlier.
- "Open now": every case given, in a non-final state at `now`; "overdue now"
  when the deadline in force (the last entry's `due_after`) is before the local
  date of `now`. A reminder sets a new deadline, so a case chased in time is
  not overdue again until that one passes.

The figures:

- Handling time: calendar days from the local date of `opened_at` to that of
  the closing entry (the last one from a non-final into a final state, so a
  note on a closed case is none); a reopened case's includes the days it lay
  closed. Median: the usual one (mean of the middle two for an even count);
  90th percentile: nearest rank, the ceil(0.9 n)-th smallest, an observed value.
- Within 6 / 12 months: handling time <= 183 / <= 365 days. Fixed counts, not
  calendar months (6 of which are 181 to 184 days), so the target does not
  depend on the month a case was opened in. Shares are of the cohort's closed
  cases, rejected and withdrawn ones included: the record does not say which
  cases were "investigated" in the ombudsman's sense.
- Outcome: `outcome` (ombudsman-inquiry) or `decision` (access-to-documents)
  as in force at the closing, replayed with each event's `resets`; else "none".
- Waiting vs in-house: per stay in a state, the local midnights it spans,
  summed over the cohort: `waiting` states are waiting on an outside party,
  other non-final states in-house, final states neither. For a closed case the
  two add up to its handling time, less any days it lay closed.
- Chases: `chase` entries by rung; a rung named `escalation` is an escalation,
  any other a reminder.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine.cases.view import CaseView
from engine.dates.calendars import COPENHAGEN, is_overdue, local_date
from engine.exceptions import InvalidInputError, InvalidTimeError
from engine.records import AuditEntry
from engine.workflow.definition import (
    CHASE_EVENT,
    ENGINE_EVENTS,
    StateKind,
    WorkflowDefinition,
)

SIX_MONTHS_DAYS = 183
TWELVE_MONTHS_DAYS = 365
OUTCOME_FIELDS = ("outcome", "decision")
NO_OUTCOME = "none"
ESCALATION_RUNG = "escalation"
P90 = 90

DefinitionLookup = Callable[[str, int], WorkflowDefinition]
Definitions = Mapping[tuple[str, int], WorkflowDefinition] | DefinitionLookup


@dataclass(frozen=True, kw_only=True, slots=True)
class Report:
    """The figures for one period; see the module docstring for definitions."""

    since: date
    until: date  # the day after the period; `last_day` is the last one in it
    now: datetime
    opened: int
    closed: int
    closed_by_outcome: Mapping[str, int]
    open_now: Mapping[str, Mapping[str, int]]  # workflow -> state -> cases
    overdue_now: int
    chases_by_rung: Mapping[str, int]
    handling_days: tuple[int, ...]  # of the closed cases, ascending
    waiting_days: int
    in_house_days: int

    @property
    def last_day(self) -> date:
        """The period's last day: `since` to `last_day`, both included."""
        return self.until - timedelta(days=1)

    @property
    def open_now_total(self) -> int:
        return sum(n for states in self.open_now.values() for n in states.values())

    @property
    def escalations(self) -> int:
        return self.chases_by_rung.get(ESCALATION_RUNG, 0)

    @property
    def reminders(self) -> int:
        return sum(self.chases_by_rung.values()) - self.escalations

    @property
    def median_days(self) -> float | None:
        days, n = self.handling_days, len(self.handling_days)
        if not n:
            return None
        return (days[(n - 1) // 2] + days[n // 2]) / 2

    @property
    def p90_days(self) -> int | None:
        return nearest_rank(self.handling_days, P90)

    def closed_within(self, days: int) -> int:
        """How many closed cases took at most `days` calendar days."""
        return sum(1 for d in self.handling_days if d <= days)

    def share_within(self, days: int) -> float | None:
        """`closed_within(days)` as a share of the closed cases (None if none)."""
        if not self.handling_days:
            return None
        return round(self.closed_within(days) / len(self.handling_days), 4)

    def to_mapping(self) -> dict[str, object]:
        """Every figure as JSON-ready data (dates as ISO strings)."""
        return {
            "since": self.since.isoformat(),
            "until": self.last_day.isoformat(),  # included, as `since` is
            "now": self.now.isoformat(),
            "cases_opened": self.opened,
            "cases_closed": self.closed,
            "closed_by_outcome": dict(self.closed_by_outcome),
            "open_now": {
                "total": self.open_now_total,
                "by_workflow": {w: dict(s) for w, s in self.open_now.items()},
            },
            "overdue_now": self.overdue_now,
            "chases": {
                "reminders": self.reminders,
                "escalations": self.escalations,
                "by_rung": dict(self.chases_by_rung),
            },
            "handling_days": {
                "closed": len(self.handling_days),
                "median": self.median_days,
                "p90": self.p90_days,
                "within_6_months": self.closed_within(SIX_MONTHS_DAYS),
                "within_12_months": self.closed_within(TWELVE_MONTHS_DAYS),
                "share_within_6_months": self.share_within(SIX_MONTHS_DAYS),
                "share_within_12_months": self.share_within(TWELVE_MONTHS_DAYS),
            },
            "time_in_states_days": {
                "waiting": self.waiting_days,
                "in_house": self.in_house_days,
            },
        }


def report_period(
    since: date | None, until: date | None, today: date
) -> tuple[date, date]:
    """[first, end) of a report: by default the 12 months up to and including today.

    `since` and `until` are the first and the last day, both included (one day
    when equal); `end` is the day after `until`; `since` defaults to a year
    before `end`.

    Raises:
        InvalidInputError: the period starts after it ends.
        InvalidTimeError: a year before `until` falls outside the calendar.
    """
    try:
        end = (until if until is not None else today) + timedelta(days=1)
        if since is not None:
            first = since
        elif end.month == 2 and end.day == 29:  # a year back has no 29 February
            first = date(end.year - 1, 3, 1)
        else:
            first = end.replace(year=end.year - 1)
    except (ValueError, OverflowError):
        raise InvalidTimeError(
            f"the period {since or '...'} to {until or '...'} lies out of range"
        ) from None
    if first >= end:
        raise InvalidInputError(
            f"the period must not start after it ends: since {first} is after "
            f"until {end - timedelta(days=1)} (both days are included)"
        )
    return first, end


def nearest_rank(ascending: Sequence[int], percent: int) -> int | None:
    """The `percent`-th percentile by nearest rank: the ceil(p/100 * n)-th value."""
    if not ascending:
        return None
    rank = max(1, -(-percent * len(ascending) // 100))
    return ascending[rank - 1]


class _Kinds:
    """State kinds per (workflow, version), looked up once each."""

    def __init__(self, definitions: Definitions) -> None:
        if isinstance(definitions, Mapping):
            table = definitions
            self._lookup: DefinitionLookup = lambda name, version: table[name, version]
        else:
            self._lookup = definitions
        self._cache: dict[tuple[str, int], WorkflowDefinition] = {}

    def definition(self, entry: AuditEntry) -> WorkflowDefinition:
        key = (entry.workflow, entry.workflow_version)
        if key not in self._cache:
            self._cache[key] = self._lookup(*key)
        return self._cache[key]

    def kind(self, entry: AuditEntry, state: str) -> StateKind:
        return self.definition(entry).state(state).kind

    def final(self, entry: AuditEntry, state: str) -> bool:
        return self.kind(entry, state) is StateKind.FINAL


def build_report(
    views: Iterable[CaseView],
    *,
    definitions: Definitions,
    now: datetime,
    since: date,
    until: date,
) -> Report:
    """Compute the figures for cases opened in [since, until), as of `now`.

    Args:
        views: The cases with their full history (any order, any opening date).
        definitions: Each case's workflow by (name, version), or a callable
            `(name, version) -> WorkflowDefinition`.
        now: The moment the report is as of (aware).
        since: First local date of the period.
        until: The local date after the period (`report_period` makes it from
            the last day people give, which is included).

    Raises:
        ValueError: `since` is not before `until`, or `now` is naive.
    """
    if since >= until:
        raise ValueError(f"since ({since}) must be before until ({until})")
    local_date(now)  # refuses a naive `now`
    kinds = _Kinds(definitions)
    period_end = datetime.combine(until, time(0), COPENHAGEN).astimezone(UTC)
    horizon = min(now, period_end)
    opened = closed = waiting = in_house = overdue = 0
    outcomes: Counter[str] = Counter()
    rungs: Counter[str] = Counter()
    open_now: defaultdict[str, Counter[str]] = defaultdict(Counter)
    handling: list[int] = []
    for view in views:
        history = sorted(view.history, key=lambda e: e.seq)
        upto_now = [e for e in history if e.at <= now]
        if upto_now and not kinds.final(upto_now[-1], upto_now[-1].to_state):
            last = upto_now[-1]
            open_now[last.workflow][last.to_state] += 1
            overdue += is_overdue(last.due_after, now)
        opened_at = view.case.opened_at
        if not (since <= local_date(opened_at) < until and opened_at <= now):
            continue
        opened += 1
        entries = [e for e in upto_now if e.at < period_end]
        rungs.update(
            str(e.data.get("rung", "")) for e in entries if e.event == CHASE_EVENT
        )
        stay_waiting, stay_in_house = _stays(entries, kinds, horizon)
        waiting += stay_waiting
        in_house += stay_in_house
        if kinds.final(entries[-1], entries[-1].to_state):
            closing = max(
                i
                for i, e in enumerate(entries)
                if kinds.final(e, e.to_state)
                and not (e.from_state and kinds.final(e, e.from_state))
            )
            closed += 1
            outcomes[_outcome(entries[: closing + 1], kinds)] += 1
            handling.append(
                (local_date(entries[closing].at) - local_date(opened_at)).days
            )
    return Report(
        since=since,
        until=until,
        now=now,
        opened=opened,
        closed=closed,
        closed_by_outcome=dict(sorted(outcomes.items())),
        open_now={w: dict(sorted(open_now[w].items())) for w in sorted(open_now)},
        overdue_now=overdue,
        chases_by_rung=dict(sorted(rungs.items())),
        handling_days=tuple(sorted(handling)),
        waiting_days=waiting,
        in_house_days=in_house,
    )


def _stays(
    entries: Sequence[AuditEntry], kinds: _Kinds, horizon: datetime
) -> tuple[int, int]:
    """(waiting, in-house) calendar days over a case's stays, open ones to `horizon`."""
    waiting = in_house = 0
    for entry, following in _with_next(entries):
        kind = kinds.kind(entry, entry.to_state)
        if kind is StateKind.FINAL:
            continue
        end = following.at if following is not None else horizon
        days = (local_date(end) - local_date(entry.at)).days
        if kind is StateKind.WAITING:
            waiting += days
        else:
            in_house += days
    return waiting, in_house


def _with_next(
    entries: Sequence[AuditEntry],
) -> Iterator[tuple[AuditEntry, AuditEntry | None]]:
    """Each entry with the one after it (None after the last)."""
    return zip(entries, [*entries[1:], None], strict=True)


def _outcome(entries: Sequence[AuditEntry], kinds: _Kinds) -> str:
    """The outcome field in force after `entries`, replaying each event's resets."""
    values: dict[str, object] = {}
    for entry in entries:
        if entry.event in ENGINE_EVENTS:
            continue  # chases and corrections keep the case data as it was
        if entry.from_state is not None:
            transition = kinds.definition(entry).transition(
                entry.event, entry.from_state
            )
            for name in transition.resets if transition else ():
                values.pop(name, None)
        values.update((k, entry.data[k]) for k in OUTCOME_FIELDS if k in entry.data)
    found = (values.get(k) for k in OUTCOME_FIELDS)
    return next((str(v) for v in found if v not in (None, "")), NO_OUTCOME)


def overdue_series(
    views: Iterable[CaseView],
    definitions: Definitions,
    start: date,
    end: date,
    step_days: int = 1,
) -> list[tuple[date, int]]:
    """How many cases were overdue at the end of each day in [start, end).

    A case counts on day d when, after every entry of that local day, it was
    open (not in a final state) and its deadline then in force (`due_after` of
    its last entry so far) was before d. Days are `step_days` apart.

    Raises:
        ValueError: `step_days` is below 1.
    """
    if step_days < 1:
        raise ValueError(f"step_days must be at least 1, not {step_days}")
    kinds = _Kinds(definitions)
    deltas: Counter[date] = Counter()  # +1 where an overdue stretch starts, -1 after
    for view in views:
        history = sorted(view.history, key=lambda e: e.seq)
        for entry, following in _with_next(history):
            if entry.due_after is None or kinds.final(entry, entry.to_state):
                continue
            first = max(local_date(entry.at), entry.due_after + timedelta(days=1))
            stop = local_date(following.at) if following is not None else None
            if stop is None or first < stop:
                deltas[first] += 1
                if stop is not None:
                    deltas[stop] -= 1
    changes = sorted(deltas.items())
    series: list[tuple[date, int]] = []
    running, i, day = 0, 0, start
    while day < end:
        while i < len(changes) and changes[i][0] <= day:
            running += changes[i][1]
            i += 1
        series.append((day, running))
        day += timedelta(days=step_days)
    return series
