"""Validated, immutable workflow definitions.

A `WorkflowDefinition` is what a workflow file declares, after
`engine.workflow.file.parse_workflow` has checked it: states (initial, waiting,
final), transitions with their roles, data fields (some of them personal data)
and named guards, deadlines, chase ladders, when a case waiting without a
deadline is stale, and the retention of personal data.
Nothing here does I/O; the values are frozen so one definition can
be shared by every case and thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from engine.workflow.labels import Labels

ROLES: tuple[str, ...] = ("intake", "caseworker", "advisor", "auditor", "system")
"""Every role sagsflow knows. `auditor` only reads; `system` is the scheduler."""

READ_ONLY_ROLE = "auditor"

SYSTEM_ACTOR = "system"
"""The built-in user the scheduler acts as; it holds the `system` role only."""

OPEN_EVENT = "open"
CHASE_EVENT = "chase"  # a chase ladder rung fired by the system
CORRECTION_EVENT = "correction"  # a new entry that corrects an earlier one
ERASE_EVENT = "erase"  # a closed case's personal data erased
ASSIGN_EVENT = "assign"  # the case given to another owner (engine.cases.owners)
RENDER_EVENT = "render"  # a journalised letter rendered (engine.cases.renditions)
MIGRATE_EVENT = "migrate"  # the case moved to a newer version (engine.cases.migrating)
ENGINE_EVENTS = (
    CHASE_EVENT,
    CORRECTION_EVENT,
    ERASE_EVENT,
    ASSIGN_EVENT,
    RENDER_EVENT,
    MIGRATE_EVENT,
)
"""Events the engine writes itself, in every workflow; they keep the state,
except a migration's mapping of an old state to a new one."""
OWNER_TARGET = "owner"  # a rung's notice to the case's owner (or their stand-in)


class StateKind(StrEnum):
    INITIAL = "initial"
    WAITING = "waiting"  # waiting on someone outside the office; needs a deadline
    NORMAL = "normal"
    FINAL = "final"


class FieldType(StrEnum):
    TEXT = "text"
    BOOL = "bool"
    INT = "int"
    DATE = "date"
    CHOICE = "choice"


class Direction(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    NOTE = "note"


class Unit(StrEnum):
    WORKING_DAYS = "working days"
    CALENDAR_DAYS = "calendar days"
    WEEKS = "weeks"
    MONTHS = "months"  # forældelsesloven § 27: the same day number, or the last
    YEARS = "years"


_DURATION = re.compile(
    r"^\s*(?P<n>\d{1,4})\s+"
    r"(?P<unit>working\s+days?|calendar\s+days?|weeks?|months?|years?)\s*$"
)
_UNITS = {
    "working": Unit.WORKING_DAYS,
    "calendar": Unit.CALENDAR_DAYS,
    "week": Unit.WEEKS,
    "month": Unit.MONTHS,
    "year": Unit.YEARS,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class Duration:
    """A span counted on the office calendar: `20 working days`, `4 weeks`,
    `3 months`, `1 year`."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse `N working days`, `N calendar days`, `N weeks`, `N months` or
        `N years` (N >= 1).

        Raises:
            ValueError: for anything else, including a bare `N days`, which
                would leave open which kind of day is meant.
        """
        match = _DURATION.match(text)
        if match is None:
            raise ValueError(
                f"{text!r} is not a duration; write 'N working days', "
                "'N calendar days', 'N weeks', 'N months' or 'N years'"
            )
        amount = int(match["n"])
        if amount < 1:
            raise ValueError(f"{text!r}: a duration must be at least 1")
        word = match["unit"].split()[0].rstrip("s")
        return cls(amount=amount, unit=_UNITS[word])

    def __str__(self) -> str:
        unit = self.unit.value
        return f"{self.amount} {unit if self.amount != 1 else unit.rstrip('s')}"


class PeriodUnit(StrEnum):
    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"


_PERIOD = re.compile(r"^\s*(?P<n>\d{1,4})\s+(?P<unit>days?|months?|years?)\s*$")
PERIOD_HINT = "write 'N days', 'N months' or 'N years', e.g. '5 years'"
MAX_PERIOD = 999


@dataclass(frozen=True, kw_only=True, slots=True)
class Period:
    """A span of the plain calendar, for retention: `30 days`, `5 years`.

    Unlike a `Duration` it knows no working days: personal data is kept for a
    time the law states in calendar terms (`engine.dates.periods.add_period`).
    """

    amount: int
    unit: PeriodUnit

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `N days`, `N months` or `N years` (1 <= N <= 999).

        Raises:
            ValueError: for anything else, a bare number included.
        """
        match = _PERIOD.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a period; {PERIOD_HINT}")
        amount = int(match["n"])
        if not 1 <= amount <= MAX_PERIOD:
            raise ValueError(f"{text!r}: a period is from 1 to {MAX_PERIOD}")
        unit = PeriodUnit(match["unit"].rstrip("s") + "s")
        return cls(amount=amount, unit=unit)

    def __str__(self) -> str:
        unit = self.unit.value
        return f"{self.amount} {unit if self.amount != 1 else unit.rstrip('s')}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Retention:
    """How long a closed case keeps its personal data.

    The personal data (party names and addresses, fields declared `personal`)
    is kept until `after` has passed since the case last entered `from_state`,
    a final state: a case's personal data is kept while it is open.
    """

    after: Period
    from_state: str

    def describe(self) -> str:
        return f"personal data erased {self.after} after entering {self.from_state!r}"


@dataclass(frozen=True, kw_only=True, slots=True)
class DeadlineSpec:
    """When a state's deadline falls.

    `until` names a date field in the case data (given with an event, e.g.
    `reply_by`); when it holds a date, that date is the deadline. Otherwise the
    deadline is `within` counted from `counted_from` (a date field, e.g. the date a
    request was received) or, when that is absent or empty, from the day the case
    entered the state (that day not counted).
    """

    within: Duration | None = None
    until: str | None = None
    counted_from: str | None = None

    def describe(self) -> str:
        base = str(self.within) if self.within else ""
        if self.within:
            base += f" after {self.counted_from or 'entering the state'}"
        if self.until:
            return f"{self.until} if given, else {base}" if base else self.until
        return base


@dataclass(frozen=True, kw_only=True, slots=True)
class Rung:
    """One step of a chase ladder: who is told, and the next deadline if any."""

    name: str
    notify: tuple[str, ...]
    next: Duration | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Ladder:
    """The reminders fired, one rung at a time, when a state's deadline passes."""

    rungs: tuple[Rung, ...]
    catch_up: Literal["next", "each"] = "next"


@dataclass(frozen=True, kw_only=True, slots=True)
class State:
    name: str
    kind: StateKind = StateKind.NORMAL
    description: str = ""
    deadline: DeadlineSpec | None = None
    # `deadline: pause`: the state stops the clock of the state the case came
    # from; going back there, that deadline continues with the working days
    # that were left (engine.cases.pauses). It has no deadline of its own.
    pauses: bool = False
    ladder: Ladder | None = None
    # Working days in the state after which a case is stale: only on a state
    # without a deadline, which nothing else watches (engine.cases.ages).
    stale_after: Duration | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldSpec:
    """A data field an event takes, with its type and rules."""

    name: str
    type: FieldType
    required: bool = False
    values: tuple[str, ...] = ()  # for `choice`
    required_if: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (other field, values)
    default_today: bool = False  # a date field left out is the event's (local) date
    relative: str | None = None  # date rule: "past" = not after the event's date,
    # "future" = not before it
    personal: bool = False  # personal data: kept as a commitment, erasable
    description: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentSpec:
    """The document an event journals: its direction and default title."""

    direction: Direction
    title: str | None = None  # None: journal only when a title is given
    required: bool = False  # the event must journal a document (title given)
    # the default title in words, by language (its `labels`: words, not rules)
    titles: tuple[tuple[str, str], ...] = ()

    def title_in(self, language: str | None) -> str | None:
        """The default title in `language` where it is labelled, else as given."""
        return dict(self.titles).get(language or "", self.title)


@dataclass(frozen=True, kw_only=True, slots=True)
class Transition:
    """An event from one of `sources` to `dest` (`sources` is empty for `open`).

    An internal transition (`dest` None) keeps the case in the state it is in,
    with its deadline and chase position: it only records and journals.
    """

    event: str
    sources: tuple[str, ...]
    dest: str | None
    roles: tuple[str, ...]
    fields: tuple[FieldSpec, ...] = ()
    guards: tuple[str, ...] = ()
    sets: tuple[tuple[str, str], ...] = ()  # data the event always records
    resets: tuple[str, ...] = ()  # case data the event clears
    document: DocumentSpec | None = None
    description: str = ""

    @property
    def internal(self) -> bool:
        return self.dest is None

    def target(self, source: str) -> str:
        """The state the case is in after this transition from `source`."""
        return source if self.dest is None else self.dest

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, kw_only=True, slots=True)
class WorkflowDefinition:
    """One version of one declared workflow."""

    name: str
    version: int
    title: str
    description: str = ""
    source: str = ""
    digest: str = ""  # sha256 of the declaration's text
    text: str = ""  # the declaration itself, kept so old versions stay loadable
    parties: tuple[str, ...] = ()
    webhook: str | None = None  # where this workflow's chases are POSTed
    states: tuple[State, ...] = ()
    opening: Transition = field(
        default_factory=lambda: Transition(
            event=OPEN_EVENT, sources=(), dest="", roles=()
        )
    )
    transitions: tuple[Transition, ...] = ()
    retention: Retention | None = None  # when personal data is erased
    labels: Labels = field(default_factory=Labels)  # words, not rules: no digest

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def initial(self) -> str:
        return self.opening.dest or ""

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def events(self) -> tuple[str, ...]:
        seen: dict[str, None] = {OPEN_EVENT: None}
        seen.update((t.event, None) for t in self.transitions)
        return tuple(seen)

    def transition(self, event: str, source: str) -> Transition | None:
        for t in self.transitions:
            if t.event == event and source in t.sources:
                return t
        return None

    def allowed_events(self, state: str) -> tuple[str, ...]:
        return tuple(t.event for t in self.transitions if state in t.sources)

    def date_fields(self) -> frozenset[str]:
        return frozenset(
            f.name
            for t in (self.opening, *self.transitions)
            for f in t.fields
            if f.type is FieldType.DATE
        )

    @property
    def personal_fields(self) -> frozenset[str]:
        """Every data field declared `personal: true` (everywhere it is taken)."""
        return frozenset(
            f.name
            for t in (self.opening, *self.transitions)
            for f in t.fields
            if f.personal
        )
