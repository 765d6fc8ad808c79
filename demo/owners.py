"""Who owns each demo case, and who does its lawyer's work on a given day.

`owned` plays a story's script (demo/scripts/) as an office with owners and
absences (demo/absences.py) does, leaving the script's steps at their moments:

    * A lawyer who opens a case owns it (the engine's default). On a day the
      story's lawyer is away, whoever stands in opens it, and it is theirs.
    * A case the advisor or intake opens is unassigned until it is given to
      its lawyer (the stand-in, if they are away then), within a working day
      or two and before the lawyer's first step on it: by the advisor, or, for
      a request for access to documents, often by the lawyer taking it.
    * About half the complaints rejected or forwarded at intake are registered
      by the advisor, who rejects them: they stay unassigned unless a lawyer
      acts on them first. With the cases still waiting to be given out, they
      are the queue the head of office has yet to distribute.
    * A lawyer's step on a day the owner is away is taken by whoever stands
      in (`Staffing.stand_in`); during a summer holiday the advisor instead
      hands some cases over to the stand-in for good, with a reason, before
      their next step. A few cases go to another lawyer to even out the load.

Its randomness is a `StoryRandom` of its own (seeded from the story's), so
the script draws what it would draw without owners: the office's steps,
their moments and outcomes stay as they were, with `assign` steps between.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from demo.absences import SUMMER, Away, Staffing
from demo.mix import ACCESS, INQUIRY
from demo.people import ADVISOR, CASEWORKERS
from demo.story import (
    Assign,
    Fire,
    Open,
    Play,
    RungFired,
    Story,
    StoryRandom,
    Timing,
    local_moment,
)
from engine.dates.calendars import local_date
from engine.records import Case

ADVISOR_REGISTERS = 50  # percent of the complaints rejected or forwarded at intake
LAWYER_TAKES = 50  # percent of intake's access requests the lawyer takes
GIVEN_OUT_WITHIN = 2  # working days from the opening (at most)
HANDED_OVER = 30  # percent of the cases needing their lawyer in a summer holiday
REBALANCED = 2  # percent of the cases handed to another lawyer for the load
REBALANCED_AFTER = 20  # working days after the opening, at the earliest
HOLIDAY_REASON = "Sagen er overdraget under sagsbehandlerens ferie"
LOAD_REASON = "Omfordeling af sager for at udjævne arbejdsbyrden"
_SALT = 0x6F776E657273  # the owners' draws are not the script's


def owned(story: Story, script: Play, timing: Timing, staff: Staffing) -> Play:
    """`script`, with the case's owners (see the module docstring)."""
    return _Desk(story, timing, staff).play(script)


class _Desk:
    """One case's owners as its story goes (kept while the case is open:
    slotted, as a large office holds hundreds of thousands)."""

    __slots__ = (
        "handing_over",
        "last",
        "lawyer",
        "owner",
        "r",
        "rebalance",
        "registered_by_advisor",
        "staff",
        "story",
        "t",
    )

    def __init__(self, story: Story, timing: Timing, staff: Staffing) -> None:
        self.story = story
        self.t = timing
        self.staff = staff
        self.r = StoryRandom(story.seed ^ _SALT)
        self.lawyer = story.caseworker
        self.owner: str | None = None
        self.last = story.opened_at  # the case's last step the story knows of
        self.registered_by_advisor = (
            story.workflow == INQUIRY
            and not story.own_initiative
            and story.kind in ("rejected", "forwarded")
            and self.r.chance(ADVISOR_REGISTERS)
        )
        self.rebalance = self.r.chance(REBALANCED)
        self.handing_over: dict[Away, bool] = {}  # per holiday, decided once

    def play(self, script: Play) -> Play:
        opening = next(script)
        assert isinstance(opening, Open)
        answer = yield self._opening(opening)
        while True:
            self._heard(answer)
            try:
                step = script.send(answer)
            except StopIteration:
                return
            if isinstance(step, Fire) and step.actor == self.story.caseworker:
                assign = self._assignment(step.at)
                if assign is not None:
                    self._heard((yield assign))
                step = replace(step, actor=self._acting(step.at))
            answer = yield step

    def _heard(self, answer: Case | RungFired) -> None:
        if isinstance(answer, Case):
            self.owner = answer.owner
            self.last = answer.last_event_at
        else:
            self.last = answer.at

    def _opening(self, step: Open) -> Open:
        if self.registered_by_advisor:
            return replace(step, actor=ADVISOR)
        if step.actor != self.story.caseworker:
            return step  # the advisor's own initiative, or intake: unassigned
        self.lawyer = self.staff.present(self.lawyer, local_date(step.at))
        return replace(step, actor=self.lawyer)

    def _assignment(self, before: datetime) -> Assign | None:
        """The case given out, handed over or moved before a lawyer's step."""
        day = local_date(before)
        if self.owner is None:
            at = self._moment(before, within=GIVEN_OUT_WITHIN)
            to = self.staff.present(self.lawyer, local_date(at))
            taken = self.story.workflow == ACCESS and self.r.chance(LAWYER_TAKES)
            return Assign(at=at, actor=to if taken else ADVISOR, owner=to)
        holiday = self.staff.away(self.owner, day)
        if holiday is not None and holiday.kind == SUMMER:
            if holiday not in self.handing_over:
                self.handing_over[holiday] = self.r.chance(HANDED_OVER)
            if not self.handing_over[holiday]:
                return None
            to = self.staff.stand_in(self.owner, day)
            friday = holiday.starts - timedelta(days=3)  # holidays start on Mondays
            at = self._moment(before, not_before=local_moment(friday, 0))
            return Assign(at=at, actor=ADVISOR, owner=to, reason=HOLIDAY_REASON)
        opened = local_date(self.story.opened_at)
        if self.rebalance and self._working_days(opened, day) >= REBALANCED_AFTER:
            self.rebalance = False
            at = self._moment(before)
            others = [
                lawyer
                for lawyer in CASEWORKERS
                if lawyer != self.owner
                and self.staff.away(lawyer, local_date(at)) is None
                and self.staff.away(lawyer, day) is None
            ]
            if others:
                to = self.r.choice(others)
                return Assign(at=at, actor=ADVISOR, owner=to, reason=LOAD_REASON)
        return None

    def _acting(self, at: datetime) -> str:
        """Who takes the lawyer's step at `at`: the owner, or their stand-in."""
        assert self.owner is not None  # given out before the first lawyer's step
        return self.staff.present(self.owner, local_date(at))

    def _moment(
        self,
        before: datetime,
        *,
        within: int | None = None,
        not_before: datetime | None = None,
    ) -> datetime:
        """A moment after the case's last step (and `not_before`) and before
        `before`: in office hours, up to `within` working days on if given."""
        after = self.last if not_before is None else max(self.last, not_before)
        if within is not None:
            at = self.t.later(after, self.r.randint(0, within), self.r)
        else:
            at = self.t.by(after, local_date(before), self.r)
        if at < before:
            return at
        low = max(after, local_moment(local_date(before), 0))
        minutes = int((before - low) / timedelta(minutes=1))
        if minutes >= 2:
            return low + timedelta(minutes=self.r.randint(1, minutes - 1))
        return after + (before - after) / 2

    def _working_days(self, start: date, end: date) -> int:
        return self.t.calendar.working_days_between(start, end)
