"""What one rung sends: its letters to parties (journalised) and notices to staff.

`rung_messages` renders a letter per recipient of each target the rung
notifies, journals one outgoing document per party written to, and queues one
notification per letter (and one for the webhook, when there is one). The
notification's idempotency key is derived from the case, the stay in the
state, the rung, the target and the address: a rung fired again after a crash
queues nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import structlog

from engine.cases.letters import LetterFacts, LetterSources, letter_source
from engine.cases.recorder import Journal, next_document_numbers
from engine.chasing.letters import render_letter
from engine.chasing.recipients import Recipient, recipients_for
from engine.ports import ChaseTransaction, Letters
from engine.records import AuditEntry, Case, Content, Document, Notification
from engine.workflow.definition import (
    OWNER_TARGET,
    Rung,
    State,
    WorkflowDefinition,
)

log = structlog.get_logger()


@dataclass(frozen=True, kw_only=True, slots=True)
class Missed:
    """The deadline a rung answers, and what the rung makes of it."""

    due: date  # the deadline that was missed
    new_due: date | None  # the rung's own deadline, if it has one
    working_days_overdue: int  # past `due` on the chase's local date, as `case show`
    chaser_lag_working_days: int  # after the first working day it could have fired
    position: int  # the rung's place on the ladder, from 0


@dataclass(frozen=True, kw_only=True, slots=True)
class Messages:
    journal: tuple[Journal, ...]  # the letters to parties, to journalise
    notifications: tuple[Notification, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Writing:
    """How a rung's letters are written: their text for the e-mail, their
    source (the letter itself, rendered as PDF later) where the office has one."""

    letters: Letters
    sources: LetterSources | None
    at: datetime  # the rung's effective time: the letters' date
    caseworker: str  # the case owner's display name (or id), "" without one


def rung_messages(
    tx: ChaseTransaction,
    writing: Writing,
    *,
    definition: WorkflowDefinition,
    state: State,
    rung: Rung,
    case: Case,
    missed: Missed,
    documents: Sequence[Document],
    history: Sequence[AuditEntry],
    today: date,
    recorded: datetime,
    language: str,
    office: str,
    webhook: str | None,
) -> Messages:
    """The letters and notifications of `rung` fired on `case` today."""
    context = letter_context(
        definition, state, case, rung.name, missed, today, documents, office
    )
    payload = _plain(context)  # the notifications', worked out once per rung
    journal: list[Journal] = []
    written: list[str] = []  # the parties written to, in the journal's order
    numbers: list[str | None] = []  # their letters' numbers, where sourced
    notifications: list[Notification] = []
    reached: set[str] = set()  # users notified by an earlier target of this rung
    for target in rung.notify:
        for recipient in recipients_for(tx, case, history, target, today):
            if not recipient.is_party and recipient.channel != "log":
                if recipient.name in reached:
                    continue  # e.g. the advisor standing in for an absent owner
                reached.add(recipient.name)
            letter = None
            if recipient.is_party:
                if recipient.name not in written:
                    number = next_document_numbers(case, len(journal) + 1)[-1]
                    facts = LetterFacts(
                        case=case,
                        definition=definition,
                        history=history,
                        event=rung.name,
                        data=case.data,
                        at=writing.at,
                        document_number=number,
                        caseworker=writing.caseworker,
                    )
                    source = _source(writing.sources, tx, facts)
                    journal.append(
                        Journal(
                            title="", direction="outgoing", date=today, content=source
                        )
                    )
                    written.append(recipient.name)
                    numbers.append(number if source is not None else None)
                letter = numbers[written.index(recipient.name)]
            subject, body = render_letter(
                writing.letters,
                workflow=definition.name,
                names=_template_names(rung.name, target),
                language=language,
                context={
                    **context,
                    "target": target,
                    "recipient_name": recipient.name,
                    "letter_document": letter,
                },
            )
            if recipient.is_party:
                at = written.index(recipient.name)
                if not journal[at].title:  # the letter's title: its first e-mail's
                    journal[at] = replace(journal[at], title=subject)
            notifications.append(
                notification(
                    case,
                    rung.name,
                    target,
                    recipient,
                    subject,
                    body,
                    recorded,
                    payload if letter is None else {**payload, "document": letter},
                )
            )
    if webhook:
        hook = Recipient(
            channel="webhook", address=webhook, name="webhook", is_party=False
        )
        notifications.append(
            notification(
                case,
                rung.name,
                "webhook",
                hook,
                f"{case.number}: {rung.name}",
                "",
                recorded,
                payload,
            )
        )
    return Messages(journal=tuple(journal), notifications=tuple(notifications))


def _source(
    sources: LetterSources | None, tx: ChaseTransaction, facts: LetterFacts
) -> Content | None:
    """The letter's source; a template that fails on this case is logged and
    the letter journalised without it: the chase is not held up."""
    try:
        return letter_source(sources, tx, facts)
    except ValueError as exc:
        log.error(
            "letter_template_broken", workflow=facts.definition.name, error=str(exc)
        )
        return None


def notification(
    case: Case,
    rung: str,
    target: str,
    recipient: Recipient,
    subject: str,
    body: str,
    now: datetime,
    payload: dict[str, object],
) -> Notification:
    """One message for the outbox, keyed so that it is never queued twice;
    `payload` is the letter's context as JSON values (`_plain`)."""
    assert case.id is not None
    raw = f"{case.number}/{case.state_entry_seq}/{rung}/{target}/{recipient.address}"
    key = f"{case.number}:{rung}:{hashlib.sha256(raw.encode()).hexdigest()[:16]}"
    return Notification(
        idempotency_key=key,
        case_id=case.id,
        case_number=case.number,
        channel=recipient.channel,
        recipient=recipient.address,
        kind="letter" if recipient.is_party else "notice",
        subject=subject,
        body=body,
        payload=dict(payload),
        available_at=now,
        created_at=now,
    )


def _plain(context: dict[str, object]) -> dict[str, object]:
    """The context with its dates as ISO text, as a notification holds it."""
    return {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in context.items()
    }


def letter_context(
    definition: WorkflowDefinition,
    state: State,
    case: Case,
    rung: str,
    missed: Missed,
    today: date,
    documents: Sequence[Document],
    office: str,
) -> dict[str, object]:
    """The values a letter template may use."""
    sent = [
        d
        for d in documents
        if d.direction == "outgoing" and d.event_seq <= case.state_entry_seq
    ]
    inquiry = sent[-1] if sent else None
    return {
        "case_number": case.number,
        "case_title": case.title,
        "workflow": definition.name,
        "workflow_title": definition.title,
        "state": state.name,
        "rung": rung,
        "rung_number": missed.position + 1,
        "inquiry_date": inquiry.date if inquiry else None,
        "inquiry_document": inquiry.number if inquiry else None,
        "due_missed": missed.due,
        "new_due": missed.new_due,
        "working_days_overdue": missed.working_days_overdue,
        # Office templates written before `working_days_overdue` print this
        # name: it now carries the same true figure.
        "working_days_late": missed.working_days_overdue,
        "office": office,
        "today": today,
    }


def _template_names(rung: str, target: str) -> list[str]:
    """The templates a rung's notice to `target` may use, most specific first.

    The owner's notice reads as the caseworker's where the office wrote one
    for the caseworker only (workflows before `owner` named the caseworker).
    """
    names = [f"{rung}.{target}"]
    if target == OWNER_TARGET:
        names.append(f"{rung}.caseworker")
    return [*names, rung, "notice"]
