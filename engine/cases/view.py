"""`CaseView`: a case with its record, as the engine hands it out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from engine.audit.personal import commitments, reveal
from engine.ports import CaseListing, PersonalRecords
from engine.records import AuditEntry, Case, CaseFilter, Document

VIEW_PAGE = 500  # cases read, with their records, per round of three queries


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


class ReadsViews(CaseListing, PersonalRecords, Protocol):
    """What reading cases with their records needs."""


def read_views(
    tx: ReadsViews, selection: CaseFilter, *, page: int = VIEW_PAGE
) -> Iterator[CaseView]:
    """The cases `selection` names with their records, read in `tx` a page at a time.

    Three queries a page (the cases, their entries, their documents) rather
    than two a case, and one page in memory at a time, so a report over every
    case of twenty years neither waits on a million round trips nor holds them
    all. Pages follow the id (keyset), so a late page costs what the first
    does; a listing by deadline (`by_due`) is read in one go (its callers ask
    for a page of it).

    Raises:
        ValueError: `page` is below 1.
    """
    if page < 1:
        raise ValueError(f"page must be at least 1, not {page}")
    pages = (
        _slices(tx.list_cases(selection), page)
        if selection.by_due
        else _id_pages(tx, selection, page)
    )
    for cases in pages:
        ids = [_id(c) for c in cases]
        histories = revealed(tx, tx.histories(ids))
        documents = tx.documents_of(ids)
        for case in cases:
            yield CaseView(
                case=case, history=histories[_id(case)], documents=documents[_id(case)]
            )


def _id_pages(
    tx: CaseListing, selection: CaseFilter, page: int
) -> Iterator[Sequence[Case]]:
    """`selection`'s cases in id order, `page` at a time (its offset, then by id)."""
    remaining = selection.limit
    current = selection
    while remaining is None or remaining > 0:
        size = page if remaining is None else min(page, remaining)
        cases = tx.list_cases(replace(current, limit=size))
        if cases:
            yield cases
        if len(cases) < size:
            return
        if remaining is not None:
            remaining -= len(cases)
        current = replace(current, offset=0, after_id=_id(cases[-1]))


def _slices(cases: Sequence[Case], page: int) -> Iterator[Sequence[Case]]:
    for start in range(0, len(cases), page):
        yield cases[start : start + page]


def _id(case: Case) -> int:
    assert case.id is not None, "a stored case has an id"
    return case.id


def revealed(
    tx: PersonalRecords, histories: Mapping[int, Sequence[AuditEntry]]
) -> dict[int, Sequence[AuditEntry]]:
    """Each history with its entries' personal values shown (`AuditEntry.shown`).

    Only the cases whose entries hold a commitment cost a read of their kept
    values; an erased value reads as "[erased]".
    """
    sealed = [i for i, h in histories.items() if any(commitments(e.data) for e in h)]
    if not sealed:
        return dict(histories)
    values = tx.personal_values(sealed)
    out: dict[int, Sequence[AuditEntry]] = dict(histories)
    for case_id in sealed:
        kept = values.get(case_id, {})
        out[case_id] = [
            replace(e, shown=reveal(e.data, kept)) if commitments(e.data) else e
            for e in histories[case_id]
        ]
    return out
