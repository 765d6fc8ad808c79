"""The demo office's cases as stories: what happens to each, and when.

Pure: a seeded `random.Random` plans the office (how many cases open on which
working day, what kind of case each is, how its administration behaves), and
each `Story` is played by its workflow's script (demo/scripts/), a generator
that yields the steps to take (demo/story.py), as its owners and their
absences have it (demo/owners.py).

The mix is docs/domain.md's ("The demo office's mix"), in demo/mix.py. Same
seed, same office.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from demo.absences import Staffing
from demo.mix import (
    ACCESS,
    ACCESS_MIX,
    ACCESS_SHARE,
    ASSESSMENT_LATE,
    DISPATCH_LATE,
    EXTENDED,
    EXTENDED_TWICE,
    INQUIRY,
    MIX,
    MONTH_WEIGHTS,
    OFFICE_MINUTES,
    OWN_INITIATIVE,
    REOPENED,
    REPLIES,
)
from demo.owners import owned
from demo.people import ADMINISTRATIONS, CASEWORKERS
from demo.scripts.access_to_documents import play_access
from demo.scripts.ombudsman_inquiry import play_inquiry
from demo.story import Play, Story, StoryRandom, Timing, local_moment
from engine.dates.calendars import BusinessCalendar


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
            at = local_moment(day, minute)
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


def play(story: Story, timing: Timing, staff: Staffing) -> Play:
    """The steps of `story`, in order, with its owners (demo/owners.py)."""
    if story.workflow == ACCESS:
        return owned(story, play_access(story, timing), timing, staff)
    return owned(story, play_inquiry(story, timing), timing, staff)
