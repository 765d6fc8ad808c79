"""How an access-to-documents request is played: the request, the decision, closing.

The answer is due in 7 working days (offentlighedsloven § 36): most come in
time, some after a notice of delay, some only after the chaser's reminder.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta

from demo import people
from demo.mix import ACCESS, DECISIONS, WAITS
from demo.people import ADMINISTRATIONS, ADVISOR, INTAKE
from demo.story import (
    Fire,
    Open,
    Play,
    RungFired,
    Step,
    Story,
    StoryRandom,
    Timing,
    step_await,
    step_fire,
    step_open,
)
from engine.dates.calendars import local_date
from engine.records import Case, JsonDict, Party


def play_access(story: Story, t: Timing) -> Play:
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
    case = yield from step_open(
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
    case = yield from step_fire(
        Fire(
            at=t.later(case.last_event_at, r.randint(0, 1), r),
            event="start_processing",
            actor=cw,
        )
    )
    case = yield from _decide(story, t, r, case)
    if story.reopen:
        case = yield from step_fire(
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
        case = yield from step_fire(
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
            fired = yield from step_await("answer_due")
            at = t.by(fired.at, fired.new_due or local_date(fired.at), r)
    else:
        fired = yield from step_await("answer_due")
        if r.chance(60):
            at = t.by(fired.at, fired.new_due or local_date(fired.at), r)
        else:
            fired = yield from step_await("escalation")
            at = t.later(fired.at, r.randint(1, 6), r)
    decision = r.weighted(DECISIONS)
    data: JsonDict = {"decision": decision}
    if decision != "granted":
        data["reason"] = r.choice(people.REFUSAL_REASONS)
    case = yield from step_fire(
        Fire(
            at=at,
            event="decide",
            actor=cw,
            data=data,
            document="Afgørelse om aktindsigt",
        )
    )
    return (
        yield from step_fire(
            Fire(
                at=t.later(case.last_event_at, r.randint(1, 5), r),
                event="close",
                actor=cw,
            )
        )
    )
