"""A case's rows on SQL: its number, its row, its journal and its audit entries.

The case row is updated only at the version the writer read (`update_case`):
a stale version, or a second entry for one (case, seq), is
`ConcurrentUpdateError`. The steps of a transition run through the driver
(storage/sql/driver.py); listings read pages of cases with their records in
three queries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from engine.exceptions import CaseNotFoundError, ConcurrentUpdateError, DuplicateError
from engine.records import (
    AuditEntry,
    Case,
    CaseFilter,
    Document,
    StalePlace,
    format_case_number,
    parse_case_number,
)
from storage.sql import statements as stm
from storage.sql.base import Rows
from storage.sql.mapping import (
    audit_columns,
    audit_of,
    case_columns,
    case_of,
    columns_of,
    document_of,
)
from storage.tables import CASES, DOCUMENTS, SEQUENCES

IN_LIST_SIZE = 500  # ids per IN list: far below SQLite's limit of bound values


class CaseRows(Rows):
    """`engine.ports.CaseRecords` and `CaseListing`."""

    def next_case_number(self, year: int) -> str:
        self._writing()
        rows = self.driver.rows(stm.NEXT_CASE_NUMBER, {"which_year": year})
        if not rows:  # the year's first case
            self._ensure_year(year)
            rows = self.driver.rows(stm.NEXT_CASE_NUMBER, {"which_year": year})
        return format_case_number(year, rows[0]["last"])

    def reserve_case_number(self, number: str) -> None:
        self._writing()
        year, seq = parse_case_number(number)
        found = self.conn.execute(
            select(CASES.c.id).where(CASES.c.number == number)
        ).first()
        if found is not None:
            raise DuplicateError(f"case {number} already exists")
        self._ensure_year(year)
        bigger = func.greatest if self.postgres else func.max
        self.conn.execute(
            update(SEQUENCES)
            .where(SEQUENCES.c.year == year)
            .values(last=bigger(SEQUENCES.c.last, seq))
        )

    def _ensure_year(self, year: int) -> None:
        self.conn.execute(
            self._insert(SEQUENCES).values(year=year, last=0).on_conflict_do_nothing()
        )

    def add_case(self, case: Case) -> Case:
        self._writing()
        try:  # no savepoint needed: a refusal rolls the whole transaction back
            (row,) = self.driver.rows(
                stm.INSERT_CASE, case_columns(case), stm.CASE_KEYS
            )
            new_id = row["id"]
        except IntegrityError as exc:
            raise DuplicateError(f"case {case.number} already exists") from exc
        return replace(case, id=new_id)

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        stmt = stm.CASE_BY_NUMBER_FOR_UPDATE if for_update else stm.CASE_BY_NUMBER
        rows = self.driver.rows(stmt, {"number": number})
        if not rows:
            raise CaseNotFoundError(number)
        return case_of(rows[0])

    def update_case(self, case: Case, *, expected_version: int) -> None:
        self._writing()
        changed = self.driver.count(
            stm.UPDATE_CASE,
            case_columns(case)
            | {"where_id": case.id, "where_version": expected_version},
            stm.UPDATE_CASE_KEYS,
        )
        if changed != 1:
            actual = self.conn.execute(
                stm.CASE_VERSION, {"id": case.id}
            ).scalar_one_or_none()
            raise ConcurrentUpdateError(case.number, expected_version, actual)

    def append_audit(self, entry: AuditEntry) -> None:
        self._writing()
        try:
            self.driver.count(stm.INSERT_AUDIT, audit_columns(entry), stm.AUDIT_KEYS)
        except IntegrityError as exc:
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1) from exc

    def add_document(self, document: Document) -> None:
        self._writing()
        self.driver.count(
            stm.INSERT_DOCUMENT, columns_of(document, DOCUMENTS), stm.DOCUMENT_KEYS
        )

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        self._writing()
        try:  # one executemany: the driver's batch, not a statement per row
            self.driver.many(
                stm.INSERT_AUDIT, [audit_columns(e) for e in entries], stm.AUDIT_KEYS
            )
        except IntegrityError as exc:
            first = entries[0]
            raise ConcurrentUpdateError(first.case_number, first.seq - 1) from exc

    def add_documents(self, documents: Sequence[Document]) -> None:
        if not documents:
            return
        self._writing()
        self.driver.many(
            stm.INSERT_DOCUMENT,
            [columns_of(d, DOCUMENTS) for d in documents],
            stm.DOCUMENT_KEYS,
        )

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        rows = self.driver.rows(stm.HISTORY, {"case_id": case_id})
        return [audit_of(r) for r in rows]

    def documents(self, case_id: int) -> Sequence[Document]:
        rows = self.driver.rows(stm.DOCUMENTS_OF_CASE, {"case_id": case_id})
        return [document_of(r) for r in rows]

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        found: dict[int, list[AuditEntry]] = {i: [] for i in case_ids}
        for chunk in _chunks(list(found)):
            rows = self.conn.execute(stm.HISTORIES, {"ids": chunk}).mappings()
            for row in rows:
                found[row["case_id"]].append(audit_of(row))
        return found

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        found: dict[int, list[Document]] = {i: [] for i in case_ids}
        for chunk in _chunks(list(found)):
            rows = self.conn.execute(stm.DOCUMENTS_OF_CASES, {"ids": chunk}).mappings()
            for row in rows:
                found[row["case_id"]].append(document_of(row))
        return found

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        order = (CASES.c.due, CASES.c.id) if selection.by_due else (CASES.c.id,)
        stmt = _case_filter(select(CASES), selection).order_by(*order)
        if selection.offset:
            stmt = stmt.offset(selection.offset)
        if selection.limit is not None:
            stmt = stmt.limit(selection.limit)
        return [case_of(r) for r in self.conn.execute(stmt).mappings()]

    def count_cases(self, selection: CaseFilter) -> int:
        stmt = _case_filter(select(func.count()).select_from(CASES), selection)
        return int(self.conn.execute(stmt).scalar_one())

    def stale_cases(
        self, places: Sequence[StalePlace], *, limit: int, offset: int = 0
    ) -> Sequence[Case]:
        if not places:
            return []
        stmt = (
            select(CASES)
            .where(_stale(places))
            .order_by(CASES.c.state_entered_at, CASES.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [case_of(r) for r in self.conn.execute(stmt).mappings()]

    def count_stale(self, places: Sequence[StalePlace]) -> int:
        if not places:
            return 0
        stmt = select(func.count()).select_from(CASES).where(_stale(places))
        return int(self.conn.execute(stmt).scalar_one())

    def state_counts(
        self, *, due_before: date | None = None
    ) -> Sequence[tuple[str, str, int]]:
        stmt = select(CASES.c.workflow, CASES.c.state, func.count()).group_by(
            CASES.c.workflow, CASES.c.state
        )
        if due_before is not None:
            stmt = stmt.where(CASES.c.due < due_before)
        rows = self.conn.execute(stmt.order_by(CASES.c.workflow, CASES.c.state))
        return [(str(w), str(s), int(n)) for w, s, n in rows]

    def owner_counts(
        self, *, not_in_states: frozenset[str], due_before: date | None = None
    ) -> Sequence[tuple[str | None, int]]:
        stmt = (
            select(CASES.c.owner, func.count())
            .where(CASES.c.state.not_in(sorted(not_in_states) or [""]))
            .group_by(CASES.c.owner)
        )
        if due_before is not None:
            stmt = stmt.where(CASES.c.due < due_before)
        rows = self.conn.execute(stmt)
        found = [(None if o is None else str(o), int(n)) for o, n in rows]
        return sorted(found, key=lambda r: (r[0] is None, r[0] or ""))


def _case_filter(stmt: Select[Any], selection: CaseFilter) -> Select[Any]:
    """`stmt` narrowed to the cases `selection` names (not paged, not ordered)."""
    if selection.workflow is not None:
        stmt = stmt.where(CASES.c.workflow == selection.workflow)
    if selection.state is not None:
        stmt = stmt.where(CASES.c.state == selection.state)
    if selection.due_before is not None:
        stmt = stmt.where(CASES.c.due < selection.due_before)
    if selection.after_id is not None:
        stmt = stmt.where(CASES.c.id > selection.after_id)
    if selection.owner is not None:
        stmt = stmt.where(CASES.c.owner == selection.owner)
    if selection.unassigned:
        stmt = stmt.where(CASES.c.owner.is_(None))
    if selection.not_in_states:
        stmt = stmt.where(CASES.c.state.not_in(sorted(selection.not_in_states)))
    return stmt


def _stale(places: Sequence[StalePlace]) -> ColumnElement[bool]:
    """The cases in one of `places` that entered it before its `entered_before`."""
    return or_(
        *(
            and_(
                CASES.c.workflow == p.workflow,
                CASES.c.state == p.state,
                CASES.c.workflow_version == p.version,
                CASES.c.state_entered_at < p.entered_before,
            )
            for p in places
        )
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in slices small enough for one IN list on every backend."""
    for start in range(0, len(ids), IN_LIST_SIZE):
        yield ids[start : start + IN_LIST_SIZE]
