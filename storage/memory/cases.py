"""A case's records in memory: its row, journal and entries; listings; rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
)
from engine.records import (
    AuditEntry,
    Case,
    CaseFilter,
    Document,
    JsonDict,
    StalePlace,
    format_case_number,
    parse_case_number,
)
from storage.memory.state import MemoryRows


class CaseMemory(MemoryRows):
    """`engine.ports.CaseRecords`, `CaseListing` and `RuleRecords`."""

    def next_case_number(self, year: int) -> str:
        self._writing()
        self.s.sequences[year] = self.s.sequences.get(year, 0) + 1
        return format_case_number(year, self.s.sequences[year])

    def reserve_case_number(self, number: str) -> None:
        self._writing()
        if number in self.s.cases:
            raise DuplicateError(f"case {number} already exists")
        year, seq = parse_case_number(number)
        self.s.sequences[year] = max(self.s.sequences.get(year, 0), seq)

    def add_case(self, case: Case) -> Case:
        self._writing()
        if case.number in self.s.cases:
            raise DuplicateError(f"case {case.number} already exists")
        stored = replace(case, id=self.s.next_id)
        self.s.next_id += 1
        self.s.cases[case.number] = stored
        return stored

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        try:
            return self.s.cases[number]
        except KeyError:
            raise CaseNotFoundError(number) from None

    def update_case(self, case: Case, *, expected_version: int) -> None:
        self._writing()
        current = self.get_case(case.number)
        if current.version != expected_version:
            raise ConcurrentUpdateError(case.number, expected_version, current.version)
        self.s.cases[case.number] = case

    def append_audit(self, entry: AuditEntry) -> None:
        self._writing()
        entries = self.s.audit.setdefault(entry.case_id, [])
        if any(e.seq == entry.seq for e in entries):
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1)
        entries.append(entry)
        self.s.audit_order.append((entry.workflow, entry.event))

    def add_document(self, document: Document) -> None:
        self._writing()
        self.s.documents.setdefault(document.case_id, []).append(document)

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.append_audit(entry)

    def add_documents(self, documents: Sequence[Document]) -> None:
        for document in documents:
            self.add_document(document)

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        return sorted(self.s.audit.get(case_id, []), key=lambda e: e.seq)

    def documents(self, case_id: int) -> Sequence[Document]:
        return sorted(self.s.documents.get(case_id, []), key=lambda d: d.seq)

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        return {i: self.history(i) for i in case_ids}

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        return {i: self.documents(i) for i in case_ids}

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        found = sorted(self._selected(selection), key=lambda c: c.id or 0)
        if selection.by_due:  # a stable sort: by id within a day
            found.sort(key=lambda c: c.due or date.max)
        end = None if selection.limit is None else selection.offset + selection.limit
        return found[selection.offset : end]

    def count_cases(self, selection: CaseFilter) -> int:
        return sum(1 for _ in self._selected(selection))

    def stale_cases(
        self, places: Sequence[StalePlace], *, limit: int, offset: int = 0
    ) -> Sequence[Case]:
        found = sorted(self._stale(places), key=lambda c: (c.state_entered_at, c.id))
        return found[offset : offset + limit]

    def count_stale(self, places: Sequence[StalePlace]) -> int:
        return sum(1 for _ in self._stale(places))

    def _stale(self, places: Sequence[StalePlace]) -> Iterator[Case]:
        return (
            c
            for c in self.s.cases.values()
            if any(
                (c.workflow, c.workflow_version, c.state)
                == (p.workflow, p.version, p.state)
                and c.state_entered_at < p.entered_before
                for p in places
            )
        )

    def state_counts(
        self, *, due_before: date | None = None
    ) -> Sequence[tuple[str, str, int]]:
        counted = Counter(
            (c.workflow, c.state)
            for c in self._selected(CaseFilter(due_before=due_before))
        )
        return [(w, s, n) for (w, s), n in sorted(counted.items())]

    def owner_counts(
        self, *, not_in_states: frozenset[str], due_before: date | None = None
    ) -> Sequence[tuple[str | None, int]]:
        counted = Counter(
            c.owner
            for c in self._selected(
                CaseFilter(due_before=due_before, not_in_states=not_in_states)
            )
        )
        return sorted(counted.items(), key=lambda r: (r[0] is None, r[0] or ""))

    def _selected(self, selection: CaseFilter) -> Iterator[Case]:
        return (
            c
            for c in self.s.cases.values()
            if (selection.workflow is None or c.workflow == selection.workflow)
            and (selection.state is None or c.state == selection.state)
            and (
                selection.due_before is None
                or (c.due is not None and c.due < selection.due_before)
            )
            and (selection.after_id is None or (c.id or 0) > selection.after_id)
            and (selection.owner is None or c.owner == selection.owner)
            and (not selection.unassigned or c.owner is None)
            and c.state not in selection.not_in_states
        )

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        self._writing()
        stored = self.s.workflows.setdefault((name, version), (digest, text))
        return stored[0]

    def workflow_text(self, name: str, version: int) -> str | None:
        found = self.s.workflows.get((name, version))
        return found[1] if found else None

    def workflow_versions(self, name: str) -> Sequence[int]:
        return sorted(v for n, v in self.s.workflows if n == name)

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        self._writing()
        self.s.calendars.setdefault(calendar_id, spec)

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        return self.s.calendars.get(calendar_id)
