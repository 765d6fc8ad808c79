"""`CaseEngine`: open cases and move them through their declared workflow.

Each operation reads the clock once and does its work in ONE store transaction:
the case row (state, version, deadline, chase position), its audit entry and any
journalised document are written together or not at all (`CaseWriter` works
the step out, `engine.cases.recorder.record` writes it). `transitions` is only
asked which state an event leads to; it never holds a case. The reads are
`CaseReads`'.

On a case that exists (`fire`, `correct`) the clock is read after the case is
read for update: a step that names no effective time takes that instant, so
one that waited for another writer's lock is never dated before the step that
writer committed (nor refused as out of order for it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime

import structlog

from engine.audit.personal import KeySource, random_key
from engine.cases.erasing import Erasure, erase
from engine.cases.letters import LetterSources
from engine.cases.migrating import MigrationDesk
from engine.cases.owners import assign
from engine.cases.people import PeopleDesk
from engine.cases.reads import CaseReads
from engine.cases.retention import DueErasure, due_erasures
from engine.cases.rules import RuleBook
from engine.cases.staff import StaffDesk
from engine.cases.steps import refuse_cpr
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
from engine.ports import CaseStore, EngineTransaction
from engine.records import Case, Content, Party
from engine.workflow.definition import (
    ASSIGN_EVENT,
    CORRECTION_EVENT,
    OPEN_EVENT,
    SYSTEM_ACTOR,
)
from engine.workflow.registry import WorkflowRegistry

log = structlog.get_logger()
# The stdlib logger structlog's records go through (engine.logs): its level
# says whether a DEBUG line would be written at all.
_STDLIB_LOG = logging.getLogger(__name__)


class CaseEngine(StaffDesk, PeopleDesk, MigrationDesk, CaseReads):
    """The case engine: the only way cases change."""

    def __init__(
        self,
        *,
        store: CaseStore,
        registry: WorkflowRegistry,
        clock: Clock,
        calendar: BusinessCalendar,
        rules: RuleBook | None = None,
        keys: KeySource = random_key,
        note_text: bool = False,
        letters: LetterSources | None = None,
        language: str | None = None,
    ) -> None:
        """`keys` gives each new case its personal-data key (`engine.audit.personal`):
        random, except where a reproducible build of synthetic data wants it not.
        `note_text`: a note's text is kept as its content; `letters`: the office's
        letters written with their steps; `language`: of default document titles."""
        rules = rules or RuleBook(registry=registry, calendar=calendar)
        super().__init__(store=store, clock=clock, rules=rules)
        self.registry = registry
        self.calendar = calendar
        self._writer = CaseWriter(
            registry=registry,
            calendar=calendar,
            rules=rules,
            keys=keys,
            note_text=note_text,
            letters=letters,
            language=language,
        )

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
        owner: str | None = None,
        unassigned: bool = False,
        content: Content | None = None,
    ) -> CaseView:
        """Open a case on the newest version of `workflow` (`content`: the
        opening document's, `engine.cases.recorder.Journal`).

        `number` keeps a case number brought over from another system; without
        it the next number of the opening year is allocated. The case's owner
        is `owner`, none with `unassigned`, else the opener when a caseworker.
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
                owner=owner,
                unassigned=unassigned,
                content=content,
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
        content: Content | None = None,
    ) -> CaseView:
        """Apply `event` to case `number` as `actor`.

        `expected_version` makes the fire fail with ConcurrentUpdateError when the
        case changed since the caller read it (optimistic concurrency).
        """
        with structlog.contextvars.bound_contextvars(case=number, trigger=event):
            with self.store.transaction() as tx:
                self.rules.record(tx, None)
                before = tx.get_case(number, for_update=True)
                now = self.clock.now()  # after the lock (see the module's docstring)
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
                    content=content,
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
        with self._locked(number) as (tx, case, now):
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
        self._log("entry_corrected", after, CORRECTION_EVENT, case.state, actor)
        return self._changed(after)

    def assign_case(
        self,
        number: str,
        owner: str,
        *,
        actor: str,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> CaseView:
        """Give a case to `owner` (an audited `assign` step; the rules are in
        `engine.cases.owners`)."""
        with self._locked(number) as (tx, case, now):
            definition = self.rules.definition_for(
                tx, case.workflow, case.workflow_version
            )
            case = assign(
                tx,
                case,
                definition,
                actor=actor,
                owner=owner,
                reason=reason,
                at=at,
                now=now,
            )
        self._log("case_assigned", case, ASSIGN_EVENT, case.state, actor)
        return self._changed(case)

    # -- personal data -----------------------------------------------------------
    def erase_case(self, number: str, *, actor: str, reason: str) -> Erasure:
        """Erase a closed case's personal data on request (the advisor).

        See `engine.cases.erasing` for what is erased and what is refused. The
        store then rewrites what the erased rows left in its files.
        """
        done = self._erase(number, actor=actor, reason=reason, rule=None)
        return replace(done, storage=self.store.forget())

    def due_erasures(self, today: date) -> list[DueErasure]:
        """The closed cases whose retention rule has them erased by `today`."""
        with self.store.transaction(write=False) as tx:
            return list(due_erasures(tx, self.rules, self.registry.names(), today))

    def run_retention(
        self, *, today: date, dry_run: bool = False
    ) -> tuple[list[DueErasure], list[tuple[DueErasure, str]], str]:
        """Erase every case due on `today` under its workflow's retention rule.

        Returns the cases erased (or, with `dry_run`, due), those refused with
        why (a case sealed under chain version 1, or changed meanwhile), and
        what the store did to make the bytes go (once, after the last case).
        """
        due = self.due_erasures(today)
        if dry_run:
            return due, [], ""
        erased: list[DueErasure] = []
        refused: list[tuple[DueErasure, str]] = []
        for item in due:
            try:
                self._erase(
                    item.number, actor=SYSTEM_ACTOR, reason=item.rule, rule=item.rule
                )
            except InvalidDataError as exc:
                refused.append((item, str(exc)))
            else:
                erased.append(item)
        return erased, refused, self.store.forget() if erased else ""

    def _erase(
        self, number: str, *, actor: str, reason: str, rule: str | None
    ) -> Erasure:
        with self._locked(number) as (tx, case, now):
            definition = self.rules.definition_for(
                tx, case.workflow, case.workflow_version
            )
            done = erase(
                tx, case, definition, actor=actor, reason=reason, rule=rule, now=now
            )
        log.info(
            "case_erased",
            case=number,
            actor=actor,
            fields=len(done.erased),
            notifications=done.notifications,
            by_rule=rule is not None,
        )
        return done

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
        writer = self._writer.without_letters()  # an import's were written elsewhere
        with self.store.transaction() as tx:
            self.rules.record(tx, definition)
            case = writer.open(
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
                owner=item.owner,
            )
            for i, step in enumerate(item.events[1:], start=1):
                try:
                    case = writer.fire(
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

    @contextmanager
    def _locked(
        self, number: str
    ) -> Iterator[tuple[EngineTransaction, Case, datetime]]:
        """A write transaction holding case `number` locked, and the time read
        after the lock (as `fire` reads it); the rule book is told once it
        commits."""
        with self.store.transaction() as tx:
            self.rules.record(tx, None)
            case = tx.get_case(number, for_update=True)
            yield tx, case, self.clock.now()
        self.rules.mark_recorded(None)

    def _log(
        self, name: str, case: Case, event: str, source: str | None, actor: str
    ) -> None:
        """A DEBUG line per change: the audit record already holds every one.

        At INFO the operator log carries the service's own work; a line per
        transition there cost more than its own SQL (bench W1), and said nothing
        the record does not. With DEBUG off it is not even built (2-3 %).
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
