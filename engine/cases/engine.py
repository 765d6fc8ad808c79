"""`CaseEngine`: open cases and move them through their declared workflow.

Each operation reads the clock once and does its work in ONE store transaction:
the case row (state, version, deadline, chase position), its audit entry and any
journalised document are written together or not at all. `transitions` is only
asked which state an event leads to; it never holds a case.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import structlog

from engine.audit.chain import seal
from engine.cases.steps import Step, check_parties, check_step, refuse_cpr
from engine.cases.view import VIEW_PAGE, read_views
from engine.cases.view import (
    CaseView as CaseView,  # re-exported: callers import it here
)
from engine.clock import Clock
from engine.dates.calendars import BusinessCalendar, local_date
from engine.dates.deadlines import chase_due, due_for_state
from engine.exceptions import (
    ConcurrentUpdateError,
    DefinitionError,
    EngineError,
    InvalidDataError,
    StorageError,
    UserNotFoundError,
    WorkflowNotFoundError,
)
from engine.ports import CaseStore, CaseTransaction
from engine.records import (
    AccessEntry,
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    Document,
    JsonDict,
    Party,
    User,
    parse_case_number,
)
from engine.workflow.definition import (
    CORRECTION_EVENT,
    OPEN_EVENT,
    ROLES,
    SYSTEM_ACTOR,
    Transition,
    WorkflowDefinition,
)
from engine.workflow.registry import WorkflowRegistry

log = structlog.get_logger()
# The stdlib logger structlog's records go through (engine.logs): its level
# says whether a DEBUG line would be written at all.
_STDLIB_LOG = logging.getLogger(__name__)

_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


# The engine's own correction step: no state change, by the people who keep records.
_CORRECTION = Transition(
    event=CORRECTION_EVENT, sources=(), dest=None, roles=("caseworker", "advisor")
)


class CaseEngine:
    """The case engine: the only way cases change."""

    def __init__(
        self,
        *,
        store: CaseStore,
        registry: WorkflowRegistry,
        clock: Clock,
        calendar: BusinessCalendar,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.calendar = calendar
        self._trusted: dict[tuple[str, int], WorkflowDefinition] = {}
        self._calendar_recorded = False

    # -- users -----------------------------------------------------------------
    def add_user(
        self, user_id: str, roles: Sequence[str], email: str | None = None
    ) -> User:
        """Register a user with their roles.

        Raises:
            InvalidDataError: no role, an unknown role, or the reserved system id.
            DuplicateError: the id exists.
        """
        user_id = user_id.strip()
        if not _USER_ID.match(user_id):
            raise InvalidDataError(
                f"user id {user_id!r} must be 1-64 letters, digits or . _ @ -"
            )
        unknown = [r for r in roles if r not in ROLES]
        if not user_id.strip() or not roles or unknown:
            what = (
                f"unknown role {unknown[0]!r}"
                if unknown
                else "a user needs an id and a role"
            )
            assignable = ", ".join(r for r in ROLES if r != SYSTEM_ACTOR)
            raise InvalidDataError(f"{what} (roles: {assignable})")
        if user_id.casefold() == SYSTEM_ACTOR or SYSTEM_ACTOR in roles:
            raise InvalidDataError(
                f"{SYSTEM_ACTOR!r} is the scheduler's built-in user and role; "
                "it cannot be given to anyone"
            )
        user = User(
            id=user_id,
            roles=tuple(dict.fromkeys(roles)),
            email=email,
            created_at=self.clock.now(),
        )
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
            self.record_rules(tx, definition)
            case = self._open(
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
            view = self._changed(case)
        self.mark_recorded(definition)
        self._log("case_opened", view.case, OPEN_EVENT, None, actor)
        return view

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
                self.record_rules(tx, None)
                before = tx.get_case(number, for_update=True)
                if expected_version is not None and before.version != expected_version:
                    raise ConcurrentUpdateError(
                        number, expected_version, before.version
                    )
                after = self._fire(
                    tx,
                    before,
                    event,
                    actor=actor,
                    data=data or {},
                    document=document,
                    at=at,
                    now=now,
                )
                view = self._changed(after)
            self._calendar_recorded = True
            self._log("transition_applied", after, event, before.state, actor)
        return view

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
            self.record_rules(tx, None)
            case = tx.get_case(number, for_update=True)
            if not 1 <= seq <= case.version:
                raise InvalidDataError(
                    f"case {number} has no entry {seq} (it has 1 to {case.version})"
                )
            step = self._step(
                tx,
                _CORRECTION,
                case,
                actor=actor,
                data={},
                document=None,
                at=at,
                now=now,
                history=(),
                documents=(),
            )
            after = replace(
                case,
                version=case.version + 1,
                updated_at=now,
                last_event_at=step.at,
            )
            data: JsonDict = {
                "corrects": seq,
                "reason": reason,
                "changes": dict(changes),
            }
            after = self._record(
                tx, case, after, step, audit_data=data, now=now, from_state=case.state
            )
            view = self._changed(after)
        self._log("entry_corrected", after, CORRECTION_EVENT, case.state, actor)
        return view

    def record_read(self, *, actor: str, action: str, number: str | None) -> None:
        """Log that `actor` read personal data (a case, its record) just now."""
        with self.store.transaction() as tx:
            tx.record_access(
                AccessEntry(
                    at=self.clock.now(), actor=actor, action=action, case_number=number
                )
            )

    def record_reads(self, *, actor: str, action: str, numbers: Sequence[str]) -> None:
        """`record_read` for each case in `numbers`, in one transaction."""
        if not numbers:
            return
        now = self.clock.now()
        with self.store.transaction() as tx:
            for number in numbers:
                tx.record_access(
                    AccessEntry(at=now, actor=actor, action=action, case_number=number)
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

    def show(self, number: str) -> CaseView:
        with self.store.transaction(write=False) as tx:
            return self._view(tx, tx.get_case(number))

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

    def audit_log(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        """Stream matching audit entries.

        Raises:
            CaseNotFoundError: at once (not when iterated) for an unknown case.
        """
        if selection.case_number is not None:
            self.show_case(selection.case_number)
        return self._stream_audit(selection)

    def show_case(self, number: str) -> Case:
        """The case alone, without its record."""
        with self.store.transaction(write=False) as tx:
            return tx.get_case(number)

    def _stream_audit(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        with self.store.transaction(write=False) as tx:
            yield from tx.audit_entries(selection)

    def import_case(self, record: Mapping[str, object]) -> CaseView:
        """Bring over one case with its whole history, in one transaction."""
        from engine.cases.importing import parse_import_record

        item = parse_import_record(record)
        now = self.clock.now()
        definition = self.registry.get(item.workflow)
        with self.store.transaction() as tx:
            self.record_rules(tx, definition)
            opening = item.events[0]
            case = self._open(
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
                    case = self._fire(
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
            view = self._changed(case)
        self.mark_recorded(definition)
        self._log("case_imported", view.case, "import", None, opening.actor)
        return view

    # -- the work, inside a transaction ------------------------------------------
    def _open(
        self,
        tx: CaseTransaction,
        workflow: str,
        *,
        actor: str,
        title: str,
        parties: Sequence[Party],
        data: Mapping[str, object],
        document: str | None,
        at: datetime | None,
        now: datetime,
        number: str | None,
    ) -> Case:
        definition = self.registry.get(workflow)
        title = title.strip()
        if not title:
            raise InvalidDataError("a case needs a title")
        refuse_cpr(title, "a case title")
        check_parties(definition, parties)
        step = self._step(
            tx,
            definition.opening,
            None,
            actor=actor,
            data=data,
            document=document,
            at=at,
            now=now,
            history=(),
            documents=(),
        )
        year = local_date(step.at).year
        if number is None:
            number = tx.next_case_number(year)
        else:
            try:
                parse_case_number(number)
            except ValueError as exc:
                raise InvalidDataError(str(exc)) from None
            tx.reserve_case_number(number)
        entered_on = local_date(step.at)
        due = due_for_state(
            definition.state(definition.initial).deadline,
            entered_on=entered_on,
            data=step.data,
            calendar=self.calendar,
        )
        case = tx.add_case(
            Case(
                number=number,
                workflow=definition.name,
                workflow_version=definition.version,
                title=title,
                state=definition.initial,
                version=1,
                parties=tuple(parties),
                data=dict(step.data),
                due=due,
                calendar=self.calendar.id if due else None,
                chase_position=0,
                chase_due=chase_due(definition.state(definition.initial), due, 0),
                state_entry_seq=1,
                state_entered_at=step.at,
                opened_at=step.at,
                last_event_at=step.at,
                updated_at=now,
                documents_count=1 if step.document is not None else 0,
            )
        )
        audit_data: JsonDict = {"title": title, **step.data}
        if parties:
            audit_data["parties"] = {
                p.role: {"name": p.name, "email": p.email} for p in parties
            }
        return self._record(
            tx, case, case, step, audit_data=audit_data, now=now, from_state=None
        )

    def _fire(
        self,
        tx: CaseTransaction,
        case: Case,
        event: str,
        *,
        actor: str,
        data: Mapping[str, object],
        document: str | None,
        at: datetime | None,
        now: datetime,
    ) -> Case:
        definition = self.definition_for(tx, case.workflow, case.workflow_version)
        machine = self.registry.machine(definition)
        dest = machine.next_state(case.state, event, case_number=case.number)
        transition = definition.transition(event, case.state)
        assert transition is not None  # the machine allowed it
        needs_record = bool(transition.guards)
        history = tx.history(case.id or 0) if needs_record else ()
        documents = tx.documents(case.id or 0) if needs_record else ()
        step = self._step(
            tx,
            transition,
            case,
            actor=actor,
            data=data,
            document=document,
            at=at,
            now=now,
            history=history,
            documents=documents,
        )
        merged = {k: v for k, v in case.data.items() if k not in transition.resets}
        merged.update(step.data)
        changes: dict[str, object] = {
            "state": dest,
            "version": case.version + 1,
            "data": merged,
            "updated_at": now,
            "last_event_at": step.at,
            "documents_count": case.documents_count + (step.document is not None),
        }
        if not transition.internal:
            due = due_for_state(
                definition.state(dest).deadline,
                entered_on=local_date(step.at),
                data=merged,
                calendar=self.calendar,
            )
            changes |= {
                "due": due,
                "calendar": self.calendar.id if due else None,
                "chase_position": 0,
                "chase_due": chase_due(definition.state(dest), due, 0),
                "state_entry_seq": case.version + 1,
                "state_entered_at": step.at,
            }
        after = replace(case, **changes)  # type: ignore[arg-type]
        return self._record(
            tx,
            case,
            after,
            step,
            audit_data=dict(step.data),
            now=now,
            from_state=case.state,
        )

    def _step(
        self,
        tx: CaseTransaction,
        transition: Transition,
        case: Case | None,
        *,
        actor: str,
        data: Mapping[str, object],
        document: str | None,
        at: datetime | None,
        now: datetime,
        history: Sequence[AuditEntry],
        documents: Sequence[Document],
    ) -> Step:
        user = (
            User(id=SYSTEM_ACTOR, roles=(SYSTEM_ACTOR,))
            if actor == SYSTEM_ACTOR
            else tx.get_user(actor)
        )
        if user is None:
            raise UserNotFoundError(actor)
        return check_step(
            transition,
            case,
            user=user,
            data=data,
            document=document,
            at=at,
            now=now,
            history=history,
            documents=documents,
        )

    def _record(
        self,
        tx: CaseTransaction,
        before: Case,
        after: Case,
        step: Step,
        *,
        audit_data: JsonDict,
        now: datetime,
        from_state: str | None,
    ) -> Case:
        assert after.id is not None
        doc_number = None
        if step.document is not None:
            seq = after.documents_count
            doc_number = f"{after.number}-{seq}"
            direction = step.data.get("direction") or (
                step.transition.document.direction.value
                if step.transition.document
                else "note"
            )
            tx.add_document(
                Document(
                    case_id=after.id,
                    seq=seq,
                    number=doc_number,
                    title=step.document,
                    direction=str(direction),
                    date=local_date(step.at),
                    recorded_at=now,
                    event_seq=after.version,
                )
            )
        entry = seal(
            AuditEntry(
                case_id=after.id,
                case_number=after.number,
                seq=after.version,
                event=step.transition.event,
                from_state=from_state,
                to_state=after.state,
                actor=step.actor,
                role=step.role,
                at=step.at,
                recorded_at=now,
                data=audit_data,
                due_before=before.due if from_state is not None else None,
                due_after=after.due,
                calendar=after.calendar,
                workflow=after.workflow,
                workflow_version=after.workflow_version,
                document=doc_number,
            ),
            # a new case's chain starts at GENESIS, the head it was added with
            before.audit_head,
        )
        after = replace(after, audit_head=entry.hash)
        # An opening has no earlier version: the row was added at version 1.
        expected = before.version if from_state is not None else after.version
        tx.update_case(after, expected_version=expected)
        tx.append_audit(entry)
        return after

    def record_rules(
        self, tx: CaseTransaction, definition: WorkflowDefinition | None
    ) -> None:
        """Record, in the operation's own transaction, the rules it will apply.

        The declaration a new case opens under (its text is kept, so the case
        stays on it) and the calendar behind the deadlines. Nothing is taken as
        recorded until the transaction commits (`_trust`): a refused operation
        leaves the database, and this engine's beliefs, as they were.

        Raises:
            DefinitionError: the text recorded for this version differs.
        """
        if not self._calendar_recorded:
            tx.record_calendar(self.calendar.id, self.calendar.spec.to_mapping())
        if definition is None:
            return
        if self._trusted.get((definition.name, definition.version)) is definition:
            return
        stored = tx.record_workflow(
            definition.name, definition.version, definition.digest, definition.text
        )
        if stored != definition.digest:
            raise DefinitionError(
                definition.source,
                [
                    f"{definition.source}: {definition.key} differs from the "
                    "declaration recorded for that version, which cases use; raise "
                    "'version' when changing a workflow"
                ],
            )

    def mark_recorded(self, definition: WorkflowDefinition | None) -> None:
        """After a commit that ran `record_rules`: the rules are on record."""
        if definition is not None:
            self._trusted[definition.name, definition.version] = definition
        self._calendar_recorded = True

    def definition_for(
        self, tx: CaseTransaction, name: str, version: int
    ) -> WorkflowDefinition:
        """The declaration a case runs under: the one recorded for its version.

        The workflow file is used when its text is the recorded one; otherwise
        (an old version, or a file edited without raising its version) the
        recorded text is parsed, so a case never changes rules under its feet.
        """
        key = (name, version)
        trusted = self._trusted.get(key)
        if trusted is not None:
            return trusted
        text = tx.workflow_text(name, version)
        from_file = self.registry.find(name, version)
        if text is None:
            if from_file is None:
                raise WorkflowNotFoundError(name, version, self.registry.names())
            return from_file
        if from_file is not None and from_file.text == text:
            definition = from_file
        else:
            definition = self.registry.parse_recorded(text, name=name, version=version)
        self._trusted[key] = definition  # read from committed data: safe to keep
        return definition

    def _view(self, tx: CaseTransaction, case: Case) -> CaseView:
        """The view of a case read in `tx`, with its record read there too."""
        assert case.id is not None
        return CaseView(
            case=case,
            history=tx.history(case.id),
            documents=tx.documents(case.id),
        )

    def _changed(self, case: Case) -> CaseView:
        """The view a change returns: its record is read when first asked for."""
        return CaseView(case=case, load=self._load_record)

    def _load_record(
        self, case_id: int
    ) -> tuple[Sequence[AuditEntry], Sequence[Document]]:
        with self.store.transaction(write=False) as tx:
            return tx.history(case_id), tx.documents(case_id)

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
