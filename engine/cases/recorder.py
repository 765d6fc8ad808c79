"""The one audited write: a step's documents, its sealed entry and the case row.

Every change to a case goes through `record`, whoever makes it (a person through
`CaseEngine`, the scheduler through the chaser): the documents the step
journalises are numbered after the case's last one, the entry is sealed onto
the case's chain (`engine.audit.chain`), and the case row is written with the
new head and version only if nobody changed it since it was read
(`update_case(expected_version=...)`). What an entry records is decided here,
once: from chain version 2 on, the documents' metadata and the case as the
step left it (packed from version 3 on: `engine.audit.seals`), with personal
values as commitments (`engine.audit.personal`) whose values go to the store's
erasable table; from version 4 on, how the step came in (`engine.via`: the
scheduler's steps are always `{"channel": "system"}`). A journalised
document given with content (`Journal.content`) has its bytes kept by their
SHA-256 (`engine.ports.documents`), and the entry seals that digest in the
document's `sha256`, which every seal of a document has carried from chain
version 2 on (empty until documents kept content): the canonical form is
unchanged, so this is no new chain version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from engine import via
from engine.audit.chain import CHAIN_VERSION, SEALS_VIA, seal
from engine.audit.personal import Sealer, new_key
from engine.audit.rows import case_fields
from engine.audit.seals import PACKED_FROM, defaults, pack_case
from engine.exceptions import StorageError
from engine.ports import CaseRecords
from engine.ports.documents import ContentRecords
from engine.records import AuditEntry, Case, Content, Document, JsonDict


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """What one audited step says, besides the case before and after it."""

    event: str
    actor: str
    role: str
    at: datetime  # when it took effect (back-dated steps keep their own time)
    data: JsonDict
    opening: bool = False  # the step that opened the case: no earlier version
    personal: frozenset[str] = frozenset()  # data fields that are personal data
    erasing: bool = False  # the step that erases the case's personal values
    workflow_digest: str | None = None  # SHA-256 of the declaration's text


@dataclass(frozen=True, kw_only=True, slots=True)
class Journal:
    """A document journalised with a step (numbered by `record`), with its
    content when it has one (an incoming file, an outgoing letter, a note's
    text): any surface, or the engine itself, hands the bytes over here."""

    title: str
    direction: str
    date: date
    content: Content | None = None


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
    case_id = after.id
    assert case_id is not None
    out: Sink = sink if sink is not None else tx
    counted = 0 if change.opening else before.documents_count
    version = 1 if change.opening else before.version + 1
    # The key the commitments are made with: a case sealed only under chain
    # version 1 gets one at its first version-2 step; erasing drops it.
    key = before.personal_key if change.erasing else after.personal_key or new_key()
    assert key is not None, "an erased case takes no further steps"
    sealer = Sealer(key, change.personal)
    numbers: list[str] = []
    sealed_documents: list[JsonDict] = []
    for offset, document in enumerate(journal, start=1):
        numbers.append(document_number(after.number, counted + offset))
        digest = keep_content(tx, document.content, out)
        out.add_document(
            Document(
                case_id=case_id,
                seq=counted + offset,
                number=numbers[-1],
                title=document.title,
                direction=document.direction,
                date=document.date,
                recorded_at=recorded_at,
                event_seq=version,
                sha256=digest,
                size=len(document.content.data) if document.content else None,
                media_type=document.content.media_type if document.content else None,
            )
        )
        sealed_documents.append(seal_document(numbers[-1], document, digest))
    data = sealer.data(change.data)
    kept = dict(sealer.values)  # the values the entry's own data stands for
    # erasing: the commitments to the values it erases; the version and
    # document count as the row is written below (one copy of the case, not two)
    sealed_case = seal_case(after, sealer, before if change.erasing else after) | {
        "version": version,
        "documents": counted + len(journal),
        "workflow_digest": change.workflow_digest,
    }
    if CHAIN_VERSION >= PACKED_FROM:
        sealed_case = pack_case(
            sealed_case,
            defaults(
                seq=version,
                to_state=after.state,
                due=after.due.isoformat() if after.due else None,
                calendar=after.calendar,
                workflow=after.workflow,
                workflow_version=after.workflow_version,
            ),
        )
    entry = seal(
        AuditEntry(
            case_id=case_id,
            case_number=after.number,
            seq=version,
            event=change.event,
            from_state=None if change.opening else before.state,
            to_state=after.state,
            actor=change.actor,
            role=change.role,
            at=change.at,
            recorded_at=recorded_at,
            data=data,
            due_before=None if change.opening else before.due,
            due_after=after.due,
            calendar=after.calendar,
            workflow=after.workflow,
            workflow_version=after.workflow_version,
            document=numbers[0] if numbers else None,
            chain_version=CHAIN_VERSION,
            sealed={"documents": sealed_documents, "case": sealed_case},
            via=via.current(change.actor) if CHAIN_VERSION >= SEALS_VIA else None,
        ),
        # a new case's chain starts at GENESIS, the head it was added with
        before.audit_head,
    )
    after = replace(
        after,
        version=version,
        documents_count=counted + len(journal),
        updated_at=recorded_at,
        personal_key=None if change.erasing else key,
        audit_head=entry.hash,
    )
    tx.update_case(after, expected_version=before.version)
    out.append_audit(entry)
    if kept:
        tx.add_personal_values(case_id, kept)
    return after


def keep_content(
    tx: object, content: Content | None, sink: object = None
) -> str | None:
    """Keep `content` in the transaction's store (through `sink` when it is a
    batch that takes content); its SHA-256 (None: none).

    Raises:
        StorageError: the store keeps no content.
    """
    if content is None:
        return None
    if not _keeps_content(tx):
        raise StorageError("this store keeps no document content")
    digest = hashlib.sha256(content.data).hexdigest()
    add = getattr(sink, "add_content", None)  # a batch (the chaser's) takes it
    if add is not None:
        add(digest, content.data)
    else:
        assert isinstance(tx, ContentRecords)
        tx.put_content(digest, content.data)
    return digest


def _keeps_content(tx: object) -> bool:
    """isinstance(tx, ContentRecords), asked once per kind of transaction
    (a protocol's isinstance check costs tens of microseconds)."""
    kind = type(tx)
    kept = _KEEPS.get(kind)
    if kept is None:
        kept = _KEEPS[kind] = isinstance(tx, ContentRecords)
    return kept


_KEEPS: dict[type, bool] = {}


def seal_document(number: str, document: Journal, sha256: str | None) -> JsonDict:
    """What the chain says of a journalised document: its metadata and the
    digest of its content (None: journalised without content)."""
    return {
        "number": number,
        "title": document.title,
        "direction": document.direction,
        "date": document.date.isoformat(),
        "sha256": sha256,
    }


def seal_case(case: Case, sealer: Sealer, values: Case) -> JsonDict:
    """What the chain says of the case row after a step (personal values sealed
    from `values`, which is `case` except when the step erases them)."""
    return case_fields(case) | {
        "parties": sealer.parties(values.parties),
        "data": sealer.data(values.data),
    }
