"""A bulk transaction's cases from memory: numbers, rows, records, rules.

`CaseBulk` answers `engine.ports.CaseRecords`, the in-memory part of
`CaseListing` (the records of given cases) and `RuleRecords` from the store's
`BulkState`, and leaves what it writes there with an undo step each.

Hazards:
    * A case's record (history, documents) may have been released: it is
      read through the store's `record_of`, never from the state directly
      (its personal values likewise: demo/bulk/personal.py).
    * `chase_index` follows every stored case's `chase_due`: a case is stored
      through `_put_case` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from demo.bulk.state import BulkRows
from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
    StorageError,
)
from engine.records import (
    AuditEntry,
    Case,
    Document,
    JsonDict,
    format_case_number,
    parse_case_number,
)
from storage.tables import AUDIT, CASES, DOCUMENTS


class CaseBulk(BulkRows):
    """`engine.ports.CaseRecords`, `RuleRecords`, and records from `CaseListing`."""

    # -- case numbers ------------------------------------------------------------
    def next_case_number(self, year: int) -> str:
        self._writing()
        last = self.s.sequences.get(year, 0) + 1
        self._set(self.s.sequences, self.s.dirty_sequences, year, last)
        return format_case_number(year, last)

    def reserve_case_number(self, number: str) -> None:
        self._writing()
        year, seq = parse_case_number(number)
        if number in self.s.cases:
            raise DuplicateError(f"case {number} already exists")
        last = max(self.s.sequences.get(year, 0), seq)
        self._set(self.s.sequences, self.s.dirty_sequences, year, last)

    # -- cases -----------------------------------------------------------------
    def add_case(self, case: Case) -> Case:
        self._writing()
        s = self.s
        if case.number in s.cases:
            raise DuplicateError(f"case {case.number} already exists")
        decided = self.store.decided_case_id(case)
        stored = replace(case, id=self._take_id(CASES) if decided is None else decided)
        self._put_case(stored)
        case_id = stored.id or 0
        s.history[case_id] = []
        s.documents[case_id] = []
        s.personal[case_id] = {}
        s.new_cases.append(case_id)

        def undo() -> None:
            s.history.pop(case_id, None)
            s.documents.pop(case_id, None)
            s.personal.pop(case_id, None)
            s.new_cases.pop()

        self._log(undo)
        return stored

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        try:
            return self.s.cases[number]
        except KeyError:
            raise CaseNotFoundError(number) from None

    def update_case(self, case: Case, *, expected_version: int) -> None:
        self._writing()
        number = self.s.numbers.get(case.id or 0)
        current = self.s.cases[number] if number is not None else None
        if current is None or current.version != expected_version:
            actual = current.version if current is not None else None
            raise ConcurrentUpdateError(case.number, expected_version, actual)
        self._put_case(case)

    def _put_case(self, case: Case) -> None:
        """Store `case` (new or changed), keeping the chase index."""
        assert case.id is not None
        s = self.s
        old = s.cases.get(case.number)
        s.cases[case.number] = case
        s.numbers[case.id] = case.number
        self._index(old, case)
        was_dirty = case.id in s.dirty_cases
        if case.id in s.written_cases:
            s.dirty_cases.add(case.id)

        def undo() -> None:
            self._index(case, old)
            if not was_dirty:
                s.dirty_cases.discard(case.id or 0)
            if old is None:
                del s.cases[case.number]
                del s.numbers[case.id or 0]
            else:
                s.cases[case.number] = old

        self._log(undo)

    def _index(self, old: Case | None, new: Case | None) -> None:
        before = old.chase_due if old is not None else None
        after = new.chase_due if new is not None else None
        if before == after:
            return
        index = self.s.chase_index
        if before is not None and old is not None:
            ids = index[before]
            ids.discard(old.id or 0)
            if not ids:
                del index[before]
        if after is not None and new is not None:
            index.setdefault(after, set()).add(new.id or 0)

    # -- the record of a case ----------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        self._writing()
        history, _ = self.store.record_of(entry.case_id)
        if history and history[-1].seq >= entry.seq:
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1)
        row_id = self._take_id(AUDIT)
        self._append(history, entry)
        self._append(self.s.new_audit, (row_id, entry))

    def add_document(self, document: Document) -> None:
        self._writing()
        _, documents = self.store.record_of(document.case_id)
        if documents and documents[-1].seq >= document.seq:
            raise StorageError(
                f"database error: document {document.number} is journalised already"
            )
        row_id = self._take_id(DOCUMENTS)
        self._append(documents, document)
        self._append(self.s.new_documents, (row_id, document))

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.append_audit(entry)

    def add_documents(self, documents: Sequence[Document]) -> None:
        for document in documents:
            self.add_document(document)

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        return tuple(self.store.record_of(case_id)[0])

    def documents(self, case_id: int) -> Sequence[Document]:
        return tuple(self.store.record_of(case_id)[1])

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        return {i: self.history(i) for i in case_ids}

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        return {i: self.documents(i) for i in case_ids}

    # -- rules -------------------------------------------------------------------
    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        self._writing()
        s = self.s
        stored = s.workflows.get((name, version))
        if stored is not None:
            return stored[0]
        s.workflows[name, version] = (digest, text)
        self._log(lambda: s.workflows.pop((name, version)))
        self._append(s.new_workflows, (name, version))
        return digest

    def workflow_text(self, name: str, version: int) -> str | None:
        found = self.s.workflows.get((name, version))
        return found[1] if found else None

    def workflow_versions(self, name: str) -> Sequence[int]:
        return sorted(v for n, v in self.s.workflows if n == name)

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        self._writing()
        s = self.s
        if calendar_id in s.calendars:
            return
        s.calendars[calendar_id] = spec
        self._log(lambda: s.calendars.pop(calendar_id))
        self._append(s.new_calendars, calendar_id)

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        return self.s.calendars.get(calendar_id)
