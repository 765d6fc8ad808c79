"""Cases and their record: the rows an audited step writes, and the reads of them.

`CaseRecords` is what one step needs (the case, its documents, its entries);
`CaseListing` reads many cases at once; `AuditReads` reads the record across
cases for review and verification; `RuleRecords` keeps the declarations and
calendars the record was written under.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Protocol

from engine.records import (
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    Document,
    JsonDict,
    StalePlace,
    UnreadableEntry,
)


class CaseRecords(Protocol):
    """One case: its row, its journal and its hash-chained entries."""

    def next_case_number(self, year: int) -> str:
        """Allocate the next number of `year`: unique and gap-free under concurrency."""
        ...

    def reserve_case_number(self, number: str) -> None:
        """Claim an imported number; later allocations of its year go above it.

        Raises:
            DuplicateError: a case with that number exists.
        """
        ...

    def add_case(self, case: Case) -> Case:
        """Insert a new case; returns it with its id."""
        ...

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        """Raises CaseNotFoundError."""
        ...

    def update_case(self, case: Case, *, expected_version: int) -> None:
        """Write `case` if the stored version is still `expected_version`.

        Raises:
            ConcurrentUpdateError: someone else updated it first.
        """
        ...

    def append_audit(self, entry: AuditEntry) -> None: ...

    def add_document(self, document: Document) -> None: ...

    def add_personal_values(self, case_id: int, values: dict[str, object]) -> None:
        """Keep the values (commitment -> value) a case's entries commit to;
        a commitment kept already is left as it is."""
        ...

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        """`append_audit` for each entry, in order, written together."""
        ...

    def add_documents(self, documents: Sequence[Document]) -> None:
        """`add_document` for each document, in order, written together."""
        ...

    def history(self, case_id: int) -> Sequence[AuditEntry]: ...

    def documents(self, case_id: int) -> Sequence[Document]: ...


class CaseListing(Protocol):
    """Many cases at once: listings, their records, counts."""

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        """`history` of each case in `case_ids`, read together; every id is a key."""
        ...

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        """`documents` of each case in `case_ids`, read together; every id is a key."""
        ...

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]: ...

    def count_cases(self, selection: CaseFilter) -> int:
        """How many cases `list_cases` selects, leaving out its limit and offset."""
        ...

    def stale_cases(
        self, places: Sequence[StalePlace], *, limit: int, offset: int = 0
    ) -> Sequence[Case]:
        """The cases in one of `places` (workflow, version, state) that entered
        it before the place's `entered_before`: the longest there first, then
        by id. Read through the (workflow, state) index: the cost follows the
        cases in those states, which are open ones."""
        ...

    def count_stale(self, places: Sequence[StalePlace]) -> int:
        """How many cases `stale_cases` would list without a limit."""
        ...

    def state_counts(
        self, *, due_before: date | None = None
    ) -> Sequence[tuple[str, str, int]]:
        """(workflow, state, cases) for every state that holds a case.

        With `due_before`, only the cases due before that date (overdue) count.
        An aggregate over the (workflow, state) or the deadline index.
        """
        ...

    def owner_counts(
        self, *, not_in_states: frozenset[str], due_before: date | None = None
    ) -> Sequence[tuple[str | None, int]]:
        """(owner or None for unassigned, cases) over the cases not in
        `not_in_states` (the open ones), by owner id, unassigned last; with
        `due_before`, only those due before it (overdue)."""
        ...


class PersonalRecords(Protocol):
    """Personal values, kept apart from the record so that they can be erased."""

    def personal_values(
        self, case_ids: Sequence[int]
    ) -> Mapping[int, Mapping[str, object]]:
        """Commitment -> value of each case in `case_ids`; every id is a key."""
        ...

    def erase_personal(self, case: Case, values: Sequence[str]) -> int:
        """Write `case` (its personal fields erased, its key gone), delete its
        kept values, and replace each string of `values` in its notifications;
        returns how many notifications changed."""
        ...


class AuditReads(Protocol):
    """The record across cases: review, verification, counts for metrics."""

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        """Matching entries in order of case, then seq; streamed."""
        ...

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        """Every audit entry by case and seq, for verification; streamed.

        A row whose values no longer read (a time that is not a time, JSON that
        is not JSON) comes as an `UnreadableEntry` instead of stopping the scan.
        """
        ...

    def verify_cases(self) -> Iterator[Case]:
        """Every case row by id, streamed, for verification."""
        ...

    def verify_documents(self) -> Iterator[Document]:
        """Every document row by case id and seq, streamed, for verification."""
        ...

    def verify_personal(self) -> Iterator[tuple[int, str, object]]:
        """(case id, commitment, value) of every kept personal value, by case id."""
        ...

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        """(case id, number, version, audit head) of every case by id; streamed."""
        ...

    def audit_counts(self, after: int) -> tuple[int, Sequence[tuple[str, str, int]]]:
        """Audit entries added after position `after`, by (workflow, event).

        Returns the position of the newest entry (the `after` of the next call)
        and the counts. Positions only grow; with `after=0` every entry counts.
        The SQL store reads from the primary key's index, so a call costs what
        was added since the last one.
        """
        ...


class RuleRecords(Protocol):
    """The declarations and calendars cases were handled under."""

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        """Remember a declaration; returns the digest stored for (name, version)."""
        ...

    def workflow_text(self, name: str, version: int) -> str | None:
        """The declaration recorded for (name, version), if any."""
        ...

    def workflow_versions(self, name: str) -> Sequence[int]:
        """The versions of workflow `name` recorded, in ascending order."""
        ...

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        """Remember the rules behind a calendar id (idempotent)."""
        ...

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        """The rules recorded for a calendar id."""
        ...
