"""How an ombudsman-inquiry case is played: intake, the inquiry, the reply, closing.

Every time is picked relative to the engine's own deadlines: an
administration that is "late after one reminder" replies after the chaser's
first reminder and before the new deadline that reminder set. The bundled
workflow has no "forwarded" or "closed without investigation" outcome, so a
forwarded case is rejected with a reason naming where it went, and a case
closed without investigation is withdrawn.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import date, datetime

from demo import people
from demo.mix import (
    INQUIRY,
    INVESTIGATION_OUTCOMES,
    NOTES_AFTER_REMINDER,
    NOTES_WHILE_ASSESSING,
    SEVERITIES,
    WAITS,
)
from demo.people import ADMINISTRATIONS, ADVISOR
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


def play_inquiry(story: Story, t: Timing) -> Play:
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
    case = yield from step_open(opening)
    if r.chance(30):
        by = t.working_day(local_date(case.opened_at), 3)
        case = yield from step_fire(_note(t, r, case.last_event_at, cw, by=by))
    if story.kind in ("rejected", "forwarded"):
        reasons = (
            people.REJECT_REASONS
            if story.kind == "rejected"
            else people.FORWARD_REASONS
        )
        case = yield from step_fire(
            Fire(
                at=t.later(case.last_event_at, r.randint(*WAITS["rejection"]), r),
                event="reject",
                actor=ADVISOR,
                data={"reason": r.choice(reasons)},
                document="Afvisningsbrev",
            )
        )
    elif story.kind == "not_investigated":
        case = yield from step_fire(
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
    case = yield from step_fire(
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
    case = yield from step_fire(
        Fire(
            at=at,
            event="send_inquiry",
            actor=cw,
            data=data,
            document=f"Brev til {authority.short} med spørgsmål",
        )
    )
    if story.dispatch_late:
        fired = yield from step_await("dispatch_reminder")
        at = t.later(fired.at, 0, r)
    else:
        at = t.later(case.last_event_at, 0, r)
    case = yield from step_fire(Fire(at=at, event="mark_dispatched", actor=cw))
    for n in range(story.extensions):
        assert case.due is not None
        if local_date(case.last_event_at) >= case.due:
            break
        due = case.due
        case = yield from step_fire(
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
        fired = yield from step_await("reminder_1")
        if story.reply == "after_reminder_1":
            at = t.by(fired.at, fired.new_due or local_date(fired.at), r, lean=1.5)
        else:
            fired = yield from step_await("reminder_2")
            if story.reply == "after_reminder_2":
                at = t.by(fired.at, fired.new_due or local_date(fired.at), r)
            else:
                fired = yield from step_await("escalation")
                wait = r.randint(*WAITS["reply_after_escalation"])
                at = t.later(fired.at, wait, r)
    return (
        yield from step_fire(
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
        case = yield from step_fire(_note(t, r, case.last_event_at, cw, by=case.due))
    if story.assessment_late and not reopened:
        fired = yield from step_await("assessment_reminder")
        last = fired.at  # the case as we hold it predates the reminder
        wait = r.randint(*WAITS[f"assessment_late:{kind}"])
        day = t.working_day(local_date(last), wait)
        if kind == "investigated":
            for _ in range(r.randint(*NOTES_AFTER_REMINDER)):
                case = yield from step_fire(_note(t, r, last, cw, by=day))
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
    case = yield from step_fire(
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
