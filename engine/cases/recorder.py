"""The one audited write: a step's documents, its sealed entry and the case row.

Every change to a case goes through `record`, whoever makes it (a person through
`CaseEngine`, the scheduler through the chaser): the documents the step
journalises are numbered after the case's last one, the entry is sealed onto
the case's chain (`engine.audit.chain`), and the case row is written with the
new head and version only if nobody changed it since it was read
(`update_case(expected_version=...)`). What an entry records is decided here,
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from engine.audit.chain import seal
from engine.ports import CaseRecords
from engine.records import AuditEntry, Case, Document, JsonDict


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """What one audited step says, besides the case before and after it."""

    event: str
    actor: str
    role: str
    at: datetime  # when it took effect (back-dated steps keep their own time)
    data: JsonDict
    opening: bool = False  # the step that opened the case: no earlier version


@dataclass(frozen=True, kw_only=True, slots=True)
class Journal:
    """A document journalised with a step (numbered by `record`)."""

    title: str
    direction: str
    date: date


class Sink(Protocol):
    """Where the new rows go: the transaction itself, or a batch written later."""

    def add_document(self, document: Document) -> None: ...

    def append_audit(self, entry: AuditEntry) -> None: ...


def document_number(case_number: str, seq: int) -> str:
    """A document's number: the case's, then its place in the case's journal."""
    return f"{case_number}-{seq}"


def next_document_numbers(case: Case, count: int) -> list[str]:
    """The numbers the next `count` documents journalised on `case` get."""
    first = case.documents_count + 1
    return [document_number(case.number, n) for n in range(first, first + count)]


def record(
    tx: CaseRecords,
    before: Case,
    after: Case,
    change: Change,
    *,
    recorded_at: datetime,
    journal: Sequence[Journal] = (),
    sink: Sink | None = None,
) -> Case:
    """Write one change: its documents, its entry, the case row; return the case.

    `after` carries what the change makes of the case (state, data, deadline,
    chase position, last event); this sets the version, the document count,
    the audit head and the recorded time. An opening (`change.opening`)
    records the row `tx.add_case` just wrote, at version 1.

    Raises:
        ConcurrentUpdateError: the case changed since `before` was read.
    """
    assert after.id is not None
    out: Sink = sink if sink is not None else tx
    counted = 0 if change.opening else before.documents_count
    version = 1 if change.opening else before.version + 1
    numbers: list[str] = []
    for offset, document in enumerate(journal, start=1):
        numbers.append(document_number(after.number, counted + offset))
        out.add_document(
            Document(
                case_id=after.id,
                seq=counted + offset,
                number=numbers[-1],
                title=document.title,
                direction=document.direction,
                date=document.date,
                recorded_at=recorded_at,
                event_seq=version,
            )
        )
    entry = seal(
        AuditEntry(
            case_id=after.id,
            case_number=after.number,
            seq=version,
            event=change.event,
            from_state=None if change.opening else before.state,
            to_state=after.state,
            actor=change.actor,
            role=change.role,
            at=change.at,
            recorded_at=recorded_at,
            data=change.data,
            due_before=None if change.opening else before.due,
            due_after=after.due,
            calendar=after.calendar,
            workflow=after.workflow,
            workflow_version=after.workflow_version,
            document=numbers[0] if numbers else None,
        ),
        # a new case's chain starts at GENESIS, the head it was added with
        before.audit_head,
    )
    after = replace(
        after,
        version=version,
        documents_count=counted + len(journal),
        updated_at=recorded_at,
        audit_head=entry.hash,
    )
    tx.update_case(after, expected_version=before.version)
    out.append_audit(entry)
    return after
