"""`CaseView`: a case with its record, as the engine hands it out."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.records import AuditEntry, Case, Document


class CaseView:
    """A case with its record: every audit entry and journalised document.

    The view a change returns reads the record only when it is first asked for
    (most callers want the case alone, and reading the record back was a third
    of a transition's cost). The record is append-only, so reading it later
    and keeping what existed at the case's version gives exactly the record
    as of the change, whatever happened since.
    """

    __slots__ = ("_documents", "_history", "_load", "case")

    def __init__(
        self,
        *,
        case: Case,
        history: Sequence[AuditEntry] | None = None,
        documents: Sequence[Document] | None = None,
        load: RecordLoader | None = None,
    ) -> None:
        if (history is None or documents is None) and load is None:
            raise ValueError("a CaseView needs its record or a way to load it")
        self.case = case
        self._history = tuple(history) if history is not None else None
        self._documents = tuple(documents) if documents is not None else None
        self._load = load

    @property
    def history(self) -> tuple[AuditEntry, ...]:
        if self._history is None:
            self._fill()
        assert self._history is not None
        return self._history

    @property
    def documents(self) -> tuple[Document, ...]:
        if self._documents is None:
            self._fill()
        assert self._documents is not None
        return self._documents

    def _fill(self) -> None:
        assert self._load is not None
        assert self.case.id is not None
        history, documents = self._load(self.case.id)
        upto = self.case.version
        self._history = tuple(e for e in history if e.seq <= upto)
        self._documents = tuple(d for d in documents if d.event_seq <= upto)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaseView):
            return NotImplemented
        return (self.case, self.history, self.documents) == (
            other.case,
            other.history,
            other.documents,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CaseView(case={self.case!r})"


# Reads a case's record (entries, documents) in a transaction of its own.
RecordLoader = Callable[[int], tuple[Sequence[AuditEntry], Sequence[Document]]]
