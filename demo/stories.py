"""The demo office's cases as stories: what happens to each, and when.

Pure: a seeded `random.Random` plans the office (how many cases open on which
working day, what kind of case each is, how its administration behaves), and
each `Story` is played by a generator that yields the steps to take: `Open`,
`Fire` (an event at a moment) or `AwaitRung` (wait until the chaser has fired
that rung of the case's ladder). The simulation (`demo.simulation`)
carries the steps out through the engine and sends back the case as the
engine left it, or the rung that fired, so every time a story picks is
relative to the engine's own deadlines: an administration that is "late after
one reminder" replies after the chaser's first reminder and before the new
deadline that reminder set.

The mix is docs/domain.md's ("The demo office's mix": `MIX`, `REPLIES`, ...). The
bundled workflows have no "forwarded" or "closed without investigation"
outcome, so a forwarded case is rejected with a reason naming where it went,
and a case closed without investigation is withdrawn.

A story's own randomness is a small SplitMix64 generator seeded from the plan
(`StoryRandom`): it is cheap to keep for hundreds of thousands of open cases,
and its draws do not depend on the order in which the simulation interleaves
the stories. Same seed, same office.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from demo import people
from demo.people import ADMINISTRATIONS, ADVISOR, CASEWORKERS, INTAKE
from engine.dates.calendars import COPENHAGEN, BusinessCalendar, local_date
from engine.records import Case, JsonDict, Party

INQUIRY = "ombudsman-inquiry"
ACCESS = "access-to-documents"
T = TypeVar("T")

# -- the mix (shares in percent) -------------------------------------------------------
ACCESS_SHARE = 15  # of all cases: requests for access to documents
MIX = {  # ombudsman-inquiry cases by what becomes of them (docs/domain.md)
    "rejected": 20,  # rejected at intake
    "not_investigated": 20,  # closed without investigation (withdrawn)
    "dialogue": 28,  # resolved in dialogue with the administration
    "forwarded": 7,  # forwarded to the competent body (rejected, with the reason)
    "investigated": 25,  # investigated; about 10 % end in criticism
}
REPLIES = {  # how an administration answers an inquiry
    "on_time": 50,
    "after_reminder_1": 25,
    "after_reminder_2": 15,
    "after_escalation": 10,
}
ACCESS_MIX = {
    "on_time": 65,  # answered within 7 working days
    "delay_notice": 15,  # the requester is told why it takes longer, and when
    "late": 15,  # answered after the chaser's reminder (or escalation)
    "withdrawn": 5,
}
INVESTIGATION_OUTCOMES = {
    "no_further_action": 90,
    "criticism": 6,
    "criticism_with_recommendation": 4,
}
SEVERITIES = {"mild": 60, "serious": 35, "very_serious": 5}
DECISIONS = {"granted": 50, "partly_granted": 30, "refused": 20}
REOPENED = 3  # percent of closed cases taken up again
OWN_INITIATIVE = 4  # percent of inquiries opened by the advisor on the office's own
EXTENDED = {"dialogue": 8, "investigated": 25}  # asked for more time at least once
EXTENDED_TWICE = 30  # of those, asked twice (the second needs the advisor)
DISPATCH_LATE = 4  # the inquiry letter went out only after the dispatch reminder
ASSESSMENT_LATE = {"dialogue": 50, "investigated": 70}  # assessed after the reminder
MONTH_WEIGHTS = (10, 10, 10, 9, 10, 9, 5, 8, 10, 11, 11, 8)  # July is quiet
WAITS = {  # (fewest, most) working days before the office takes the next step
    "rejection": (5, 30),  # triage: the case is read and rejected or forwarded
    "withdrawal": (20, 80),
    "queue:dialogue": (10, 40),  # before the inquiry goes out
    "queue:investigated": (20, 70),
    "queue:reopened": (2, 10),
    "reopening": (10, 60),  # closed, then taken up again
    "reply_after_escalation": (5, 40),
    "assessment_late:dialogue": (10, 60),  # after the assessment reminder
    "assessment_late:investigated": (20, 120),
    "access_reopening": (10, 40),
}
NOTES_WHILE_ASSESSING = {"dialogue": (0, 2), "investigated": (1, 3)}
NOTES_AFTER_REMINDER = (1, 4)  # investigated, assessed late: more work journalised

OFFICE_OPENS = time(8, 0)
OFFICE_MINUTES = 8 * 60  # 08:00 to 16:00


# -- what a story asks the simulation to do --------------------------------------------
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
class AwaitRung:
    """Wait until the chaser fires `rung` on the case (in its current stay)."""

    rung: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RungFired:
    """What the simulation sends back when an awaited rung fired."""

    rung: str
    at: datetime
    new_due: date | None


Step = Open | Fire | AwaitRung
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


# -- the plan --------------------------------------------------------------------------
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


def plan(
    *, seed: int, cases: int, first: date, until: date, calendar: BusinessCalendar
) -> Iterator[Story]:
    """The office's stories in the order their cases open.

    Cases open on working days in [first, until), more in busy months, at
    office hours; `cases` of them, whatever the calendar.

    Raises:
        ValueError: no working day in the period, or `cases` below 0.
    """
    if cases < 0:
        raise ValueError(f"cases must be 0 or more, not {cases}")
    days = [
        first + timedelta(days=i)
        for i in range((until - first).days)
        if calendar.is_working_day(first + timedelta(days=i))
    ]
    if cases and not days:
        raise ValueError(f"no working day between {first} and {until}")
    rng = random.Random(seed)
    weights = [MONTH_WEIGHTS[d.month - 1] for d in days]
    per_day = Counter(rng.choices(range(len(days)), weights, k=cases))
    index = 0
    for i, day in enumerate(days):
        for minute in sorted(rng.randrange(OFFICE_MINUTES) for _ in range(per_day[i])):
            at = _local(day, minute)
            yield _story(index, at, rng)
            index += 1


def _story(index: int, opened_at: datetime, rng: random.Random) -> Story:
    r = StoryRandom(rng.getrandbits(64))
    seed = rng.getrandbits(64)
    weights = [a.weight for a in ADMINISTRATIONS]
    administration = rng.choices(range(len(ADMINISTRATIONS)), weights)[0]
    caseworker = r.choice(CASEWORKERS)
    if r.chance(ACCESS_SHARE):
        kind = r.weighted(ACCESS_MIX)
        return Story(
            index=index,
            seed=seed,
            workflow=ACCESS,
            kind=kind,
            opened_at=opened_at,
            caseworker=caseworker,
            administration=administration,
            reopen=kind != "withdrawn" and r.chance(REOPENED),
        )
    kind = r.weighted(MIX)
    inquiry = kind in ("dialogue", "investigated")
    extensions = 0
    if inquiry and r.chance(EXTENDED[kind]):
        extensions = 2 if r.chance(EXTENDED_TWICE) else 1
    return Story(
        index=index,
        seed=seed,
        workflow=INQUIRY,
        kind=kind,
        opened_at=opened_at,
        caseworker=caseworker,
        administration=administration,
        reply=r.weighted(REPLIES) if inquiry else "on_time",
        extensions=extensions,
        dispatch_late=inquiry and r.chance(DISPATCH_LATE),
        assessment_late=inquiry and r.chance(ASSESSMENT_LATE[kind]),
        reopen=r.chance(REOPENED),
        own_initiative=inquiry and r.chance(OWN_INITIATIVE),
    )


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
        at = _local(day, r.randint(0, OFFICE_MINUTES - 1))
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


def play(story: Story, timing: Timing) -> Play:
    """The steps of `story`, in order; see the module docstring."""
    if story.workflow == ACCESS:
        return _play_access(story, timing)
    return _play_inquiry(story, timing)


def _play_inquiry(story: Story, t: Timing) -> Play:
    r = StoryRandom(story.seed)
    authority = ADMINISTRATIONS[story.administration]
    cw = story.caseworker
    matter = r.choice(authority.matters)
    parties = [
        Party(role="authority", name=authority.name, email=authority.email),
        Party(
            role="authority_management",
            name=f"{authority.name}, direktionen",
            email=authority.management_email,
        ),
    ]
    if story.own_initiative:
        title = f"Egen drift: {matter}"
        opening = Open(
            at=story.opened_at,
            workflow=INQUIRY,
            actor=ADVISOR,
            title=title,
            parties=tuple(parties),
            data={"own_initiative": True},
            document="Notat om sagens oprettelse af egen drift",
        )
    else:
        citizen = people.citizen_name(
            r.choice(people.SURNAMES), r.choice(people.INITIALS)
        )
        opening = Open(
            at=story.opened_at,
            workflow=INQUIRY,
            actor=cw,
            title=f"Klage over {matter}",
            parties=(Party(role="citizen", name=citizen), *parties),
            data={},
            document=f"Henvendelse fra {citizen}",
        )
    case = yield from _open(opening)
    if r.chance(30):
        by = t.working_day(local_date(case.opened_at), 3)
        case = yield from _fire(_note(t, r, case.last_event_at, cw, by=by))
    if story.kind in ("rejected", "forwarded"):
        reasons = (
            people.REJECT_REASONS
            if story.kind == "rejected"
            else people.FORWARD_REASONS
        )
        case = yield from _fire(
            Fire(
                at=t.later(case.last_event_at, r.randint(*WAITS["rejection"]), r),
                event="reject",
                actor=ADVISOR,
                data={"reason": r.choice(reasons)},
                document="Afvisningsbrev",
            )
        )
    elif story.kind == "not_investigated":
        case = yield from _fire(
            Fire(
                at=t.later(case.last_event_at, r.randint(*WAITS["withdrawal"]), r),
                event="withdraw",
                actor=cw,
                data={"reason": r.choice(people.WITHDRAW_REASONS)},
                document="Mail fra borgeren om sagens afslutning",
            )
        )
    else:
        case = yield from _inquire(story, t, r, case, queue=_queue(story, r))
        yield from _close(story, t, r, case)
        return
    if story.reopen:
        yield from _reopen(story, t, r, case)


def _queue(story: Story, r: StoryRandom) -> int:
    """Working days a case waits before the inquiry goes out."""
    return r.randint(*WAITS[f"queue:{story.kind}"])


def _reopen(
    story: Story, t: Timing, r: StoryRandom, case: Case
) -> Generator[Step, Case | RungFired, None]:
    """The advisor takes a closed case up again; a new inquiry, a new closing."""
    case = yield from _fire(
        Fire(
            at=t.later(case.last_event_at, r.randint(*WAITS["reopening"]), r),
            event="reopen",
            actor=ADVISOR,
            data={"reason": r.choice(people.REOPEN_REASONS)},
            document="Notat om genoptagelse",
        )
    )
    queue = r.randint(*WAITS["queue:reopened"])
    case = yield from _inquire(story, t, r, case, queue=queue)
    yield from _close(story, t, r, case, reopened=True)


def _inquire(
    story: Story, t: Timing, r: StoryRandom, case: Case, *, queue: int
) -> Generator[Step, Case | RungFired, Case]:
    """Send the inquiry and wait for the reply: the administration's part."""
    cw = story.caseworker
    authority = ADMINISTRATIONS[story.administration]
    at = t.later(case.last_event_at, queue, r)
    data: JsonDict = {}
    if r.chance(15):  # a reply date of the office's choosing, in the letter
        data["reply_by"] = t.working_day(local_date(at), r.randint(15, 30)).isoformat()
    case = yield from _fire(
        Fire(
            at=at,
            event="send_inquiry",
            actor=cw,
            data=data,
            document=f"Brev til {authority.short} med spørgsmål",
        )
    )
    if story.dispatch_late:
        fired = yield from _await("dispatch_reminder")
        at = t.later(fired.at, 0, r)
    else:
        at = t.later(case.last_event_at, 0, r)
    case = yield from _fire(Fire(at=at, event="mark_dispatched", actor=cw))
    for n in range(story.extensions):
        assert case.due is not None
        if local_date(case.last_event_at) >= case.due:
            break
        due = case.due
        case = yield from _fire(
            Fire(
                at=t.by(case.last_event_at, due, r),
                event="extend_deadline",
                actor=cw if n == 0 else ADVISOR,
                data={
                    "reply_by": t.working_day(due, r.randint(10, 20)).isoformat(),
                    "reason": r.choice(people.EXTENSION_REASONS),
                },
                document="Notat om fristforlængelse",
            )
        )
    assert case.due is not None
    if story.reply == "on_time":
        at = t.by(t.later(case.last_event_at, 3, r), case.due, r, lean=2.0)
    else:
        fired = yield from _await("reminder_1")
        if story.reply == "after_reminder_1":
            at = t.by(fired.at, fired.new_due or local_date(fired.at), r, lean=1.5)
        else:
            fired = yield from _await("reminder_2")
            if story.reply == "after_reminder_2":
                at = t.by(fired.at, fired.new_due or local_date(fired.at), r)
            else:
                fired = yield from _await("escalation")
                wait = r.randint(*WAITS["reply_after_escalation"])
                at = t.later(fired.at, wait, r)
    return (
        yield from _fire(
            Fire(
                at=at,
                event="receive_reply",
                actor=cw,
                document=f"Svar fra {authority.short}",
            )
        )
    )


def _close(
    story: Story, t: Timing, r: StoryRandom, case: Case, *, reopened: bool = False
) -> Generator[Step, Case | RungFired, None]:
    """Assess the reply and close (the advisor signs); perhaps reopen later.

    Notes are journalised before the assessment deadline, so the reminder an
    assessment that runs late gets comes after them, as the story awaits it.
    """
    kind = "dialogue" if reopened else story.kind
    cw = story.caseworker
    assert case.due is not None
    for _ in range(r.randint(*NOTES_WHILE_ASSESSING[kind])):
        case = yield from _fire(_note(t, r, case.last_event_at, cw, by=case.due))
    if story.assessment_late and not reopened:
        fired = yield from _await("assessment_reminder")
        last = fired.at  # the case as we hold it predates the reminder
        wait = r.randint(*WAITS[f"assessment_late:{kind}"])
        day = t.working_day(local_date(last), wait)
        if kind == "investigated":
            for _ in range(r.randint(*NOTES_AFTER_REMINDER)):
                case = yield from _fire(_note(t, r, last, cw, by=day))
                last = case.last_event_at
        at = t.on(max(day, local_date(last)), r, after=last)
    else:
        assert case.due is not None
        at = t.by(case.last_event_at, case.due, r)
    data: JsonDict = {"outcome": "resolved_in_dialogue"}
    if kind == "investigated":
        data = {"outcome": r.weighted(INVESTIGATION_OUTCOMES)}
        if data["outcome"] != "no_further_action":
            data["severity"] = r.weighted(SEVERITIES)
    case = yield from _fire(
        Fire(at=at, event="close", actor=ADVISOR, data=data, document="Afslutningsbrev")
    )
    if story.reopen and not reopened:
        yield from _reopen(story, t, r, case)


def _note(t: Timing, r: StoryRandom, after: datetime, actor: str, *, by: date) -> Fire:
    """A note journalised after `after`, by the day `by` at the latest."""
    title, direction = r.choice(people.NOTES)
    return Fire(
        at=t.by(after, max(by, local_date(after)), r),
        event="note",
        actor=actor,
        data={"direction": direction},
        document=title,
    )


def _play_access(story: Story, t: Timing) -> Play:
    r = StoryRandom(story.seed)
    authority = ADMINISTRATIONS[story.administration]
    cw = story.caseworker
    if r.chance(25):
        requester = r.choice(people.PRESS)
    else:
        requester = people.citizen_name(
            r.choice(people.SURNAMES), r.choice(people.INITIALS)
        )
    opened = local_date(story.opened_at)
    data: JsonDict = {}
    if r.chance(30):  # it came in a day or two before it was registered
        received = opened - timedelta(days=r.randint(1, 2))
        data["received_on"] = received.isoformat()
    case = yield from _open(
        Open(
            at=story.opened_at,
            workflow=ACCESS,
            actor=INTAKE if r.chance(70) else cw,
            title=f"Aktindsigt: {r.choice(people.ACCESS_TOPICS)}",
            parties=(
                Party(role="requester", name=requester),
                Party(role="authority", name=authority.name, email=authority.email),
            ),
            data=data,
            document="Anmodning om aktindsigt",
        )
    )
    if story.kind == "withdrawn":
        yield Fire(
            at=t.later(case.last_event_at, r.randint(1, 5), r),
            event="withdraw",
            actor=cw,
            data={"reason": "Anmoderen har trukket anmodningen tilbage"},
        )
        return
    case = yield from _fire(
        Fire(
            at=t.later(case.last_event_at, r.randint(0, 1), r),
            event="start_processing",
            actor=cw,
        )
    )
    case = yield from _decide(story, t, r, case)
    if story.reopen:
        case = yield from _fire(
            Fire(
                at=t.later(
                    case.last_event_at, r.randint(*WAITS["access_reopening"]), r
                ),
                event="reopen",
                actor=ADVISOR,
                data={"reason": people.ACCESS_REOPEN_REASON},
                document="Notat om genoptagelse",
            )
        )
        assert case.due is not None
        case = yield from _decide(
            story, t, r, case, at=t.by(case.last_event_at, case.due, r)
        )


def _decide(
    story: Story,
    t: Timing,
    r: StoryRandom,
    case: Case,
    *,
    at: datetime | None = None,
) -> Generator[Step, Case | RungFired, Case]:
    """Answer the request (on time, after a notice of delay, or late) and close."""
    cw = story.caseworker
    assert case.due is not None
    if at is not None:
        pass
    elif story.kind == "on_time":
        at = t.by(case.last_event_at, case.due, r, lean=1.5)
    elif story.kind == "delay_notice":
        due = case.due
        case = yield from _fire(
            Fire(
                at=t.by(case.last_event_at, due, r),
                event="notify_delay",
                actor=cw,
                data={
                    "answer_by": t.working_day(due, r.randint(5, 15)).isoformat(),
                    "reason": r.choice(people.DELAY_REASONS),
                },
                document="Underretning om forlænget svarfrist",
            )
        )
        assert case.due is not None
        if r.chance(85):
            at = t.by(case.last_event_at, case.due, r)
        else:
            fired = yield from _await("answer_due")
            at = t.by(fired.at, fired.new_due or local_date(fired.at), r)
    else:
        fired = yield from _await("answer_due")
        if r.chance(60):
            at = t.by(fired.at, fired.new_due or local_date(fired.at), r)
        else:
            fired = yield from _await("escalation")
            at = t.later(fired.at, r.randint(1, 6), r)
    decision = r.weighted(DECISIONS)
    data: JsonDict = {"decision": decision}
    if decision != "granted":
        data["reason"] = r.choice(people.REFUSAL_REASONS)
    case = yield from _fire(
        Fire(
            at=at,
            event="decide",
            actor=cw,
            data=data,
            document="Afgørelse om aktindsigt",
        )
    )
    return (
        yield from _fire(
            Fire(
                at=t.later(case.last_event_at, r.randint(1, 5), r),
                event="close",
                actor=cw,
            )
        )
    )


def _open(step: Open) -> Generator[Step, Case | RungFired, Case]:
    case = yield step
    assert isinstance(case, Case)
    return case


def _fire(step: Fire) -> Generator[Step, Case | RungFired, Case]:
    case = yield step
    assert isinstance(case, Case)
    return case


def _await(rung: str) -> Generator[Step, Case | RungFired, RungFired]:
    fired = yield AwaitRung(rung=rung)
    assert isinstance(fired, RungFired)
    return fired


def _local(day: date, minute: int) -> datetime:
    opens = datetime.combine(day, OFFICE_OPENS, COPENHAGEN)
    return (opens + timedelta(minutes=minute)).astimezone(UTC)
