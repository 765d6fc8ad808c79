"""The read half of `CaseEngine`: cases, their records, the record across cases,
and how long a case has waited in a state without a deadline.

Reads of personal data by a person are logged (`record_read`): a case shown,
a listing handed out with its record, a case's audit log, the cases a
search finds, each with how it came in (`engine.via`). Reads for a figure (a
report, a count) are not. Every read runs in a read transaction
(`write=False`), one snapshot throughout on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta

from engine import via
from engine.cases.ages import StateAge, stale_places, state_age
from engine.cases.rules import RuleBook
from engine.cases.search import SEARCH_READ, CaseMatch, search, with_records
from engine.cases.view import VIEW_PAGE, CaseView, read_views, revealed
from engine.clock import Clock
from engine.dates.calendars import local_date
from engine.exceptions import InvalidInputError
from engine.ports import CaseStore, EngineTransaction, RuleRecords
from engine.records import (
    AccessEntry,
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    Document,
    StalePlace,
)
from engine.search import parse_search
from engine.workflow.definition import ROLES, WorkflowDefinition


class CaseReads:
    """Cases and their records as the store holds them."""

    def __init__(self, *, store: CaseStore, clock: Clock, rules: RuleBook) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules

    # -- one case ------------------------------------------------------------------
    def show(self, number: str) -> CaseView:
        """The case with its record, read together."""
        with self.store.transaction(write=False) as tx:
            case = tx.get_case(number)
            assert case.id is not None
            history = revealed(tx, {case.id: tx.history(case.id)})[case.id]
            return CaseView(case=case, history=history, documents=tx.documents(case.id))

    def show_case(self, number: str) -> Case:
        """The case alone, without its record."""
        with self.store.transaction(write=False) as tx:
            return tx.get_case(number)

    def definition(self, name: str, version: int) -> WorkflowDefinition:
        """The declaration cases of (name, version) run under (see `RuleBook`)."""
        known = self.rules.trusted(name, version)
        if known is not None:  # no transaction: a listing asks once a case
            return known
        with self.store.transaction(write=False) as tx:
            return self.rules.definition_for(tx, name, version)

    def definition_for(
        self, tx: EngineTransaction, name: str, version: int
    ) -> WorkflowDefinition:
        """`definition`, in a transaction the caller holds."""
        return self.rules.definition_for(tx, name, version)

    # -- waiting without a deadline (engine.cases.ages) ---------------------------
    def age(self, case: Case, now: datetime) -> StateAge | None:
        """How long `case` has been in its state as of `now`, if that state
        gives it no deadline (and is not final); stale or not."""
        definition = self.definition(case.workflow, case.workflow_version)
        state = definition.state(case.state)
        today = local_date(now)
        return state_age(case, state, calendar=self.rules.calendar, today=today)

    def stale_places(self, tx: RuleRecords, today: date) -> list[StalePlace]:
        """Where a case is stale on `today`: each state with `stale_after` of
        every version of every workflow, on record or in the files."""
        registry = self.rules.registry
        found: list[StalePlace] = []
        for name in registry.names():
            versions = {*tx.workflow_versions(name), registry.get(name).version}
            for version in sorted(versions):
                definition = self.rules.definition_for(tx, name, version)
                found += stale_places(definition, self.rules.calendar, today)
        return found

    # -- many cases ----------------------------------------------------------------
    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        with self.store.transaction(write=False) as tx:
            return tx.list_cases(selection)

    def list_views(
        self, selection: CaseFilter, *, reader: str | None = None
    ) -> list[CaseView]:
        """Like `list_cases`, with each case's history and documents.

        With `reader`, each case's read is logged (`case_list`) before it is
        handed out: a listing with the record shows the parties, as
        `case show` does. Without, the caller reads for a figure, not a person.
        """
        with self.store.transaction(write=False) as tx:
            views = list(read_views(tx, selection))
        self._logged(views, reader)
        return views

    def views(
        self, selection: CaseFilter, *, reader: str | None = None
    ) -> Iterator[CaseView]:
        """`list_views` streamed: one read transaction, a page in memory at a time.

        With `reader`, each page's reads are logged before the page is handed
        out. The transaction stays open until the iterator is exhausted or closed.
        """
        with self.store.transaction(write=False) as tx:
            page: list[CaseView] = []
            for view in read_views(tx, selection):
                page.append(view)
                if len(page) == VIEW_PAGE:
                    yield from self._logged(page, reader)
                    page = []
            yield from self._logged(page, reader)

    def _logged(self, views: list[CaseView], reader: str | None) -> list[CaseView]:
        if reader is not None:
            numbers = [v.case.number for v in views]
            self.record_reads(actor=reader, action="case_list", numbers=numbers)
        return views

    # -- search (engine.cases.search) ----------------------------------------------
    def search(
        self, text: str, *, limit: int, reader: str | None = None
    ) -> list[CaseMatch]:
        """The cases `text` finds (a number, title words, names), best first.

        With `reader`, each case found is logged as read (`case_search`): a
        match may show a party's name. The text itself is logged nowhere.

        Raises:
            InvalidInputError: a text too long, or with nothing to search for.
        """
        terms = parse_search(text)
        with self.store.transaction(write=False) as tx:
            found = search(tx, terms, limit=limit)
        self._searched(found, reader)
        return found

    def search_views(
        self, text: str, *, limit: int, reader: str | None = None
    ) -> list[tuple[CaseMatch, CaseView]]:
        """`search`, each case with its record (read in the same snapshot)."""
        terms = parse_search(text)
        with self.store.transaction(write=False) as tx:
            found = with_records(tx, search(tx, terms, limit=limit))
        self._searched([m for m, _ in found], reader)
        return found

    def _searched(self, found: Sequence[CaseMatch], reader: str | None) -> None:
        if reader is not None:
            numbers = [m.case.number for m in found]
            self.record_reads(actor=reader, action=SEARCH_READ, numbers=numbers)

    # -- the record across cases ---------------------------------------------------
    def audit_log(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        """Stream matching audit entries.

        Raises:
            InvalidInputError: a period that ends before it starts, an unknown role.
            WorkflowNotFoundError: an unknown workflow.
            CaseNotFoundError: at once (not when iterated) for an unknown case.
        """
        check_audit_filter(selection, self.rules)
        if selection.case_number is not None:
            self.show_case(selection.case_number)
        return self._stream_audit(selection)

    def _stream_audit(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        with self.store.transaction(write=False) as tx:
            page: list[AuditEntry] = []
            for entry in tx.audit_entries(selection):
                page.append(entry)
                if len(page) == VIEW_PAGE:
                    yield from _revealed_page(tx, page)
                    page = []
            yield from _revealed_page(tx, page)

    # -- who read what -------------------------------------------------------------
    def record_read(self, *, actor: str, action: str, number: str | None) -> None:
        """Log that `actor` read personal data (a case, its record) just now."""
        with self.store.transaction() as tx:
            tx.record_access(
                AccessEntry(
                    at=self.clock.now(),
                    actor=actor,
                    action=action,
                    case_number=number,
                    via=via.current(actor),
                )
            )

    def record_reads(self, *, actor: str, action: str, numbers: Sequence[str]) -> None:
        """`record_read` for each case in `numbers`, in one transaction."""
        if not numbers:
            return
        now, came = self.clock.now(), via.current(actor)
        with self.store.transaction() as tx:
            for number in numbers:
                tx.record_access(
                    AccessEntry(
                        at=now, actor=actor, action=action, case_number=number, via=came
                    )
                )

    def reads(
        self, *, number: str | None = None, actor: str | None = None
    ) -> Iterator[AccessEntry]:
        """The logged reads, oldest first; streamed."""
        with self.store.transaction(write=False) as tx:
            yield from tx.access_entries(case_number=number, actor=actor)

    def purge_reads(self, *, retention: timedelta) -> int:
        """Drop logged reads older than the retention period; returns how many."""
        with self.store.transaction() as tx:
            return tx.purge_access(self.clock.now() - retention)

    def _load_record(
        self, case_id: int
    ) -> tuple[Sequence[AuditEntry], Sequence[Document]]:
        with self.store.transaction(write=False) as tx:
            history = revealed(tx, {case_id: tx.history(case_id)})[case_id]
            return history, tx.documents(case_id)


def _revealed_page(tx: EngineTransaction, page: list[AuditEntry]) -> list[AuditEntry]:
    """A page of the audit log, each entry's personal values shown."""
    by_case: dict[int, list[AuditEntry]] = {}
    for entry in page:
        by_case.setdefault(entry.case_id, []).append(entry)
    shown = revealed(tx, by_case)
    return [e for case_id in by_case for e in shown[case_id]]


def check_audit_filter(selection: AuditFilter, rules: RuleBook) -> None:
    """Refuse a filter that can match nothing by mistake, in words of no surface.

    Raises:
        InvalidInputError: the period ends before it starts; an unknown role.
        WorkflowNotFoundError: an unknown workflow.
    """
    since, until = selection.since, selection.until
    if since is not None and until is not None and since >= until:
        raise InvalidInputError(
            f"the period must start before it ends: {since.isoformat()} is not "
            f"before {until.isoformat()}"
        )
    if selection.role is not None and selection.role not in ROLES:
        raise InvalidInputError(
            f"no role {selection.role!r}; roles: {', '.join(ROLES)}"
        )
    if selection.workflow is not None:
        rules.registry.get(selection.workflow)
