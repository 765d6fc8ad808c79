"""Outgoing letters: journalised with their source, rendered after the step.

A step that journalises an outgoing letter (an event such as `close`, a
ladder's rung written to a party) keeps the letter's source as the document's
content: the template's name and every value it is filled with from the
record, as canonical JSON (`LetterSources`; `service.renditions.letter_source`).
Its SHA-256 is sealed in the step's entry like any
document's. The letter is rendered as PDF after the step has committed,
outside its transaction (`engine.cases.renditions`): a person's step queues a
`render` item in the outbox in its own transaction (the command or request
that made it renders at once and settles the item); a chase's letter is
rendered by the dispatcher as it sends the letter's e-mail, so the sweep
neither waits for a PDF nor writes an extra row, and what the step sealed is
exactly what is rendered and sent.

A store that keeps no content (the demo's bulk store) journalises the letter
without it, as before letters had content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from engine.cases.recorder import document_number
from engine.ports import EngineTransaction
from engine.ports.documents import ContentRecords
from engine.ports.outbox import OutboxRecords
from engine.records import AuditEntry, Case, Content, Document, Notification
from engine.workflow.definition import WorkflowDefinition


@dataclass(frozen=True, kw_only=True, slots=True)
class LetterFacts:
    """The record's facts one letter is written from.

    Attributes:
        case: the case as it stands before the event.
        definition: its workflow's version.
        history: its audit entries so far.
        event: the transition or ladder rung the letter belongs to.
        data: the data the event records (checked), merged over the case's.
        at: when the letter is dated (the event's effective time).
        document_number: the number the letter is journalised under.
        caseworker: the caseworker's display name (or id).
    """

    case: Case
    definition: WorkflowDefinition
    history: Sequence[AuditEntry]
    event: str
    data: Mapping[str, object]
    at: datetime
    document_number: str
    caseworker: str


class LetterSources(Protocol):
    """Writes the office's letters as their sealed source (self-contained HTML).

    A letter is journalised with its source when its step is recorded, and
    rendered (as PDF) afterwards, outside that transaction
    (`engine.cases.renditions`): what the step seals is what is rendered.
    """

    def pinned(self) -> LetterSources:
        """The sources one sweep uses from its start to its end (an
        implementation may find its templates once for the pass)."""
        ...

    def source(self, facts: LetterFacts) -> Content | None:
        """The letter `facts.event` writes; None when its workflow has none.

        Raises:
            ValueError: the template fails to render (its file and line named).
        """
        ...


RENDER_CHANNEL = "render"
"""The outbox channel of letters still to be rendered (not a way out: the
service's dispatcher renders them, `service.channels`)."""
RENDER_KIND = "rendition"
LETTER_SOURCE = "application/vnd.sagsflow.letter+json"
"""A letter's source: the template's name and every value it is filled with,
as canonical JSON (`service.renditions.letter_source`)."""


def is_letter(document: Document) -> bool:
    """Whether `document` is a letter journalised with its source (to render)."""
    return document.direction == "outgoing" and document.media_type == LETTER_SOURCE


def keeps_letters(tx: object) -> bool:
    """Whether the transaction's store keeps a letter's source and its render
    item (a full store does; the demo's bulk store does not). Asked once per
    kind of transaction: a protocol's isinstance check is slow."""
    kind = type(tx)
    kept = _KEEPS.get(kind)
    if kept is None:
        kept = _KEEPS[kind] = isinstance(tx, ContentRecords) and isinstance(
            tx, OutboxRecords
        )
    return kept


_KEEPS: dict[type, bool] = {}


def letter_source(
    sources: LetterSources | None, tx: object, facts: LetterFacts
) -> Content | None:
    """The letter's source, if the office writes one for `facts.event` and the
    store keeps it.

    Raises:
        InvalidInputError: the letter's template fails to render.
    """
    if sources is None or not keeps_letters(tx):
        return None
    return sources.source(facts)


def render_key(case_number: str, number: str) -> str:
    """The idempotency key of letter `number`'s render item."""
    return f"{case_number}:render:{number}"


def render_item(case: Case, number: str, now: datetime) -> Notification:
    """The outbox's note that letter `number` of `case` is to be rendered;
    keyed by the document, so it is never queued twice."""
    assert case.id is not None
    return Notification(
        idempotency_key=render_key(case.number, number),
        case_id=case.id,
        case_number=case.number,
        channel=RENDER_CHANNEL,
        recipient=number,
        kind=RENDER_KIND,
        subject=number,
        body="",
        payload={"document": number},
        available_at=now,
        created_at=now,
    )


def queue_render(tx: object, case: Case, numbers: list[str], now: datetime) -> None:
    """Queue the render items of the letters `numbers` (journalised with source)."""
    if numbers:
        assert isinstance(tx, OutboxRecords)
        tx.add_notifications([render_item(case, n, now) for n in numbers])


def step_letter(
    sources: LetterSources | None,
    tx: EngineTransaction,
    *,
    before: Case,
    after: Case,
    event: str,
    at: datetime,
    actor: str,
    definition: WorkflowDefinition,
    opening: bool,
) -> tuple[Content, str] | None:
    """The source of the letter a person's step journalises, and its number;
    None when the office writes no letter for `event` (or the store keeps none).

    Raises:
        InvalidInputError: the letter's template fails to render.
    """
    if sources is None or not keeps_letters(tx):
        return None
    assert before.id is not None
    number = document_number(
        before.number, (0 if opening else before.documents_count) + 1
    )
    writer = tx.get_user(after.owner or actor)
    facts = LetterFacts(
        case=before,
        definition=definition,
        history=() if opening else tx.history(before.id),
        event=event,
        data=after.data,
        at=at,
        document_number=number,
        caseworker=(writer.name or writer.id) if writer else actor,
    )
    content = sources.source(facts)
    return None if content is None else (content, number)
