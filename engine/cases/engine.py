"""`CaseEngine`: open cases and move them through their declared workflow.

Each operation reads the clock once and does its work in ONE store transaction:
the case row (state, version, deadline, chase position), its audit entry and any
journalised document are written together or not at all (`CaseWriter` works
the step out, `engine.cases.recorder.record` writes it). `transitions` is only
asked which state an event leads to; it never holds a case. The reads are
`CaseReads`'.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

import structlog

from engine.cases.reads import CaseReads
from engine.cases.rules import RuleBook
from engine.cases.steps import refuse_cpr
from engine.cases.users import new_user
from engine.cases.view import CaseView
from engine.cases.writes import CaseWriter
from engine.clock import Clock
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import (
    ConcurrentUpdateError,
    EngineError,
    InvalidDataError,
    StorageError,
)
from engine.ports import CaseStore
from engine.records import Case, Party, User
from engine.workflow.definition import CORRECTION_EVENT, OPEN_EVENT
from engine.workflow.registry import WorkflowRegistry

log = structlog.get_logger()
# The stdlib logger structlog's records go through (engine.logs): its level
# says whether a DEBUG line would be written at all.
_STDLIB_LOG = logging.getLogger(__name__)


class CaseEngine(CaseReads):
    """The case engine: the only way cases change."""

    def __init__(
        self,
        *,
        store: CaseStore,
        registry: WorkflowRegistry,
        clock: Clock,
        calendar: BusinessCalendar,
        rules: RuleBook | None = None,
    ) -> None:
        rules = rules or RuleBook(registry=registry, calendar=calendar)
        super().__init__(store=store, clock=clock, rules=rules)
        self.registry = registry
        self.calendar = calendar
        self._writer = CaseWriter(registry=registry, calendar=calendar, rules=rules)

    # -- users -----------------------------------------------------------------
    def add_user(
        self, user_id: str, roles: Sequence[str], email: str | None = None
    ) -> User:
        """Register a user with their roles.

        Raises:
            InvalidDataError: no role, an unknown role, or the reserved system id.
            DuplicateError: the id exists.
        """
        user = new_user(user_id, roles, email=email, at=self.clock.now())
        with self.store.transaction() as tx:
            tx.add_user(user)
        return user

    def list_users(self) -> Sequence[User]:
        with self.store.transaction(write=False) as tx:
            return tx.list_users()

    # -- cases -----------------------------------------------------------------
    def open_case(
        self,
        workflow: str,
        *,
        actor: str,
        title: str,
        parties: Sequence[Party] = (),
        data: Mapping[str, object] | None = None,
        document: str | None = None,
        at: datetime | None = None,
        number: str | None = None,
    ) -> CaseView:
        """Open a case on the newest version of `workflow`.

        `number` keeps a case number brought over from another system; without
        it the next number of the opening year is allocated.
        """
        now = self.clock.now()
        definition = self.registry.get(workflow)
        with self.store.transaction() as tx:
            self.rules.record(tx, definition)
            case = self._writer.open(
                tx,
                workflow,
                actor=actor,
                title=title,
                parties=parties,
                data=data or {},
                document=document,
                at=at,
                now=now,
                number=number,
            )
        self.rules.mark_recorded(definition)
        self._log("case_opened", case, OPEN_EVENT, None, actor)
        return self._changed(case)

    def fire(
        self,
        number: str,
        event: str,
        *,
        actor: str,
        data: Mapping[str, object] | None = None,
        document: str | None = None,
        at: datetime | None = None,
        expected_version: int | None = None,
    ) -> CaseView:
        """Apply `event` to case `number` as `actor`.

        `expected_version` makes the fire fail with ConcurrentUpdateError when the
        case changed since the caller read it (optimistic concurrency).
        """
        now = self.clock.now()
        with structlog.contextvars.bound_contextvars(case=number, trigger=event):
            with self.store.transaction() as tx:
                self.rules.record(tx, None)
                before = tx.get_case(number, for_update=True)
                if expected_version is not None and before.version != expected_version:
                    raise ConcurrentUpdateError(
                        number, expected_version, before.version
                    )
                after = self._writer.fire(
                    tx,
                    before,
                    event,
                    actor=actor,
                    data=data or {},
                    document=document,
                    at=at,
                    now=now,
                )
            self.rules.mark_recorded(None)
            self._log("transition_applied", after, event, before.state, actor)
        return self._changed(after)

    def correct(
        self,
        number: str,
        seq: int,
        *,
        actor: str,
        reason: str,
        changes: Mapping[str, str],
        at: datetime | None = None,
    ) -> CaseView:
        """Record a correction of entry `seq`: a new entry, never an overwrite.

        The record is append-only; what an earlier entry should have said is
        written as a `correction` that names it, with the reason and the
        corrected values. The case's state and deadline do not change.

        Raises:
            InvalidDataError: no reason, no changes, an unknown entry, or a CPR
                number in the text.
        """
        reason = reason.strip()
        if not reason:
            raise InvalidDataError("a correction needs a reason")
        if not changes:
            raise InvalidDataError("a correction needs the corrected values")
        for text in (reason, *changes.keys(), *changes.values()):
            refuse_cpr(text, "a correction")
        now = self.clock.now()
        with self.store.transaction() as tx:
            self.rules.record(tx, None)
            case = tx.get_case(number, for_update=True)
            after = self._writer.correct(
                tx,
                case,
                seq,
                actor=actor,
                reason=reason,
                changes=changes,
                at=at,
                now=now,
            )
        self.rules.mark_recorded(None)
        self._log("entry_corrected", after, CORRECTION_EVENT, case.state, actor)
        return self._changed(after)

    def import_case(self, record: Mapping[str, object]) -> CaseView:
        """Bring over one case with its whole history, in one transaction.

        Raises:
            EngineError: the first refused event, its place named
                (`events[3] (close): ...`); nothing of the case is written.
        """
        from engine.cases.importing import parse_import_record

        item = parse_import_record(record)
        now = self.clock.now()
        definition = self.registry.get(item.workflow)
        opening = item.events[0]
        with self.store.transaction() as tx:
            self.rules.record(tx, definition)
            case = self._writer.open(
                tx,
                definition.name,
                actor=opening.actor,
                title=item.title,
                parties=item.parties,
                data=opening.data,
                document=opening.document,
                at=opening.at,
                now=now,
                number=item.number,
            )
            for i, step in enumerate(item.events[1:], start=1):
                try:
                    case = self._writer.fire(
                        tx,
                        case,
                        step.event,
                        actor=step.actor,
                        data=step.data,
                        document=step.document,
                        at=step.at,
                        now=now,
                    )
                except StorageError:
                    raise
                except EngineError as exc:
                    exc.args = (f"events[{i}] ({step.event}): {exc}",)
                    raise
        self.rules.mark_recorded(definition)
        self._log("case_imported", case, "import", None, opening.actor)
        return self._changed(case)

    def _changed(self, case: Case) -> CaseView:
        """The view a change returns: its record is read when first asked for."""
        return CaseView(case=case, load=self._load_record)

    def _log(
        self, name: str, case: Case, event: str, source: str | None, actor: str
    ) -> None:
        """A DEBUG line per change: the audit record already holds every one.

        At INFO the operator log carries the service's own work (sweeps, chases,
        deliveries); a line per transition there cost more than the transition's
        own SQL (bench W1), and said nothing the record does not. When DEBUG is
        off the line is not even built (that alone was 2-3 % of a transition).
        """
        if not _STDLIB_LOG.isEnabledFor(logging.DEBUG):
            return
        log.debug(
            name,
            case=case.number,
            workflow=case.workflow,
            trigger=event,
            from_state=source,
            to_state=case.state,
            actor=actor,
            due=case.due.isoformat() if case.due else None,
        )
