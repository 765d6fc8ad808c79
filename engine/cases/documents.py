"""A journalised document's content, read and checked against its seal.

Every read of content goes through `read_document`: the document is found by
its number, the entry that journalised it is read, and the bytes are served
only if their SHA-256 is the digest that entry sealed (and the one the
document row states). Content changed in the database or in the document
folder, or gone, is refused (`ContentTamperedError`: "document 2024-0283489-8:
its content no longer matches its seal"), never served as good.

The content comes from the store's `ContentRecords` (`engine.ports.documents`);
logging the read (who read which case's document) is the caller's, as for
every read of a case (`CaseReads.record_read`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.audit.renditions import Rendition, renditions
from engine.exceptions import (
    CaseNotFoundError,
    ContentTamperedError,
    DocumentNotFoundError,
)
from engine.ports import CaseRecords, CaseStore
from engine.ports.documents import ContentRecords
from engine.records import AuditEntry, Case, Content, Document

TEXT_PLAIN = "text/plain; charset=utf-8"
DOCUMENT_NUMBER = re.compile(r"^(?P<case>\d{4}-\d{7,})-(?P<seq>[1-9]\d*)$")


@dataclass(frozen=True, kw_only=True, slots=True)
class DocumentRead:
    """A document with its checked content."""

    case: Case
    document: Document
    data: bytes = field(repr=False)
    rendition: Rendition | None = None  # a letter read as rendered (its PDF)

    @property
    def media_type(self) -> str:
        if self.rendition is not None:
            return self.rendition.media_type
        return self.document.media_type or "application/octet-stream"

    @property
    def sha256(self) -> str:
        """The digest of `data`, as sealed."""
        if self.rendition is not None:
            return self.rendition.sha256
        assert self.document.sha256 is not None
        return self.document.sha256


def case_number_of(number: str) -> str:
    """The case number in a document number (`2024-0283489-8` -> `2024-0283489`).

    Raises:
        DocumentNotFoundError: not of the form YYYY-NNNNNNN-N.
    """
    match = DOCUMENT_NUMBER.match(number)
    if match is None:
        raise DocumentNotFoundError(
            number, why=f"{number!r} is not a document number (YYYY-NNNNNNN-N)"
        )
    return match["case"]


def read_document(
    store: CaseStore, number: str, *, rendered: bool = True
) -> DocumentRead:
    """Document `number` with its content, checked (one read transaction);
    a letter as rendered, or (`rendered=False`) its source.

    Raises:
        DocumentNotFoundError: no such document, or one journalised without content.
        ContentTamperedError: the content is gone or not the bytes sealed.
    """
    with store.transaction(write=False) as tx:
        return checked(tx, number, rendered=rendered)


def checked(tx: CaseRecords, number: str, *, rendered: bool = True) -> DocumentRead:
    """`read_document` in a transaction the caller holds.

    A letter rendered after its step (`engine.cases.renditions`) reads as
    rendered, checked against its render step's digest; `rendered=False`
    reads the source its own step sealed.

    Raises:
        DocumentNotFoundError: no such document, or one journalised without content.
        ContentTamperedError: the content is gone or not the bytes sealed.
    """
    try:
        case = tx.get_case(case_number_of(number))
    except CaseNotFoundError:
        raise DocumentNotFoundError(number) from None
    assert case.id is not None
    document = next((d for d in tx.documents(case.id) if d.number == number), None)
    if document is None:
        raise DocumentNotFoundError(number)
    history = tx.history(case.id)
    sealed = sealed_digest(history, document)
    if document.sha256 is None and sealed is None:
        raise DocumentNotFoundError(
            number, why=f"document {number} was journalised without content"
        )
    if sealed is None or document.sha256 != sealed:
        raise ContentTamperedError(number)
    rendition = renditions(history).get(number) if rendered else None
    if rendition is not None and rendition.source_sha256 != sealed:
        raise ContentTamperedError(number)  # a render step of another source
    digest = rendition.sha256 if rendition is not None else sealed
    data = tx.content(digest) if isinstance(tx, ContentRecords) else None
    if data is None and case.erased is not None:
        raise DocumentNotFoundError(
            number,
            why=f"document {number}'s content was erased with case {case.number}'s "
            f"personal data ({str(case.erased.get('at', '?'))[:10]})",
        )
    if data is None:
        raise ContentTamperedError(number, missing=True)
    if hashlib.sha256(data).hexdigest() != digest:
        raise ContentTamperedError(number)
    return DocumentRead(case=case, document=document, data=data, rendition=rendition)


def sealed_digest(history: Sequence[AuditEntry], document: Document) -> str | None:
    """The content digest the entry that journalised `document` sealed, if any."""
    for entry in history:
        if entry.seq == document.event_seq and entry.sealed is not None:
            for sealed in entry.sealed.get("documents") or []:
                if sealed.get("number") == document.number:
                    digest = sealed.get("sha256")
                    return str(digest) if digest is not None else None
    return None


def note_content(tx: object, direction: str, title: str) -> Content | None:
    """A note's text is its content (UTF-8 plain text), where the store keeps
    content (a store that keeps none, like the demo's bulk store, journalises
    the note without it)."""
    if direction != "note" or not isinstance(tx, ContentRecords):
        return None
    return Content(data=title.encode("utf-8"), media_type=TEXT_PLAIN)
