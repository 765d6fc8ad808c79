"""The work of a change, inside the operation's transaction: open, fire, correct.

`CaseWriter` decides what a step does (the machine's answer, the checks of
`engine.cases.steps`, the new deadline) and hands the result to the one
audited write (`engine.cases.recorder.record`). It never opens or commits a
transaction: `CaseEngine` does, around one or several of these.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from engine.audit.personal import KeySource, random_key
from engine.cases.documents import note_content
from engine.cases.later import Later
from engine.cases.letters import LetterSources, queue_render, step_letter
from engine.cases.owners import owner_at_opening
from engine.cases.pauses import pause_moves, paused_in
from engine.cases.recorder import Change, Journal, record
from engine.cases.rules import RuleBook
from engine.cases.steps import Step, check_parties, check_step, refuse_cpr
from engine.dates.calendars import BusinessCalendar, local_date
from engine.dates.deadlines import chase_due, due_for_state
from engine.exceptions import InvalidDataError, UserNotFoundError
from engine.ports import EngineTransaction
from engine.records import (
    AuditEntry,
    Case,
    Content,
    Document,
    JsonDict,
    Party,
    User,
    parse_case_number,
)
from engine.workflow.definition import (
    CORRECTION_EVENT,
    SYSTEM_ACTOR,
    Transition,
    WorkflowDefinition,
)
from engine.workflow.registry import WorkflowRegistry

# The engine's own correction step: no state change, by the people who keep records.
CORRECTION = Transition(
    event=CORRECTION_EVENT, sources=(), dest=None, roles=("caseworker", "advisor")
)


class CaseWriter:
    """Works out and records one step at a time in a transaction it is given."""

    def __init__(
        self,
        *,
        registry: WorkflowRegistry,
        calendar: BusinessCalendar,
        rules: RuleBook,
        keys: KeySource = random_key,
        note_text: bool = False,
        letters: LetterSources | None = None,
        language: str | None = None,
    ) -> None:
        self.registry = registry
        self.calendar = calendar
        self.rules = rules
        self.keys = keys  # each new case's personal-data key
        # a note's text kept as its content (the service's engine; a bulk build
        # of synthetic offices writes none, and its rows match this path's)
        self.note_text = note_text
        # the office's letters, journalised with their source (engine.cases.letters)
        self.letters = letters
        self.language = language  # of the default document titles (their labels)

    def without_letters(self) -> CaseWriter:
        """This writer, journalising outgoing documents without writing letters."""
        writer = copy.copy(self)
        writer.letters = None
        return writer

    def open(
        self,
        tx: EngineTransaction,
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
        owner: str | None = None,
        unassigned: bool = False,
        content: Content | None = None,
    ) -> Case:
        """Open a case on the newest version of `workflow`; returns it as written.

        Its owner is `owner`, none with `unassigned`, else the opener when a
        caseworker (`engine.cases.owners`)."""
        definition = self.registry.get(workflow)
        title = title.strip()
        if not title:
            raise InvalidDataError("a case needs a title")
        refuse_cpr(title, "a case title")
        check_parties(definition, parties)
        step = self.check(
            tx,
            definition.opening,
            None,
            actor=actor,
            data=data,
            document=document,
            at=at,
            now=now,
        )
        owner = owner_at_opening(tx, actor, owner, unassigned=unassigned)
        if number is None:
            number = tx.next_case_number(local_date(step.at).year)
        else:
            try:
                parse_case_number(number)
            except ValueError as exc:
                raise InvalidDataError(str(exc)) from None
            tx.reserve_case_number(number)
        initial = definition.state(definition.initial)
        due = due_for_state(
            initial.deadline,
            entered_on=local_date(step.at),
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
                chase_due=chase_due(initial, due, 0),
                state_entry_seq=1,
                state_entered_at=step.at,
                opened_at=step.at,
                last_event_at=step.at,
                updated_at=now,
                documents_count=1 if step.document is not None else 0,
                personal_key=self.keys(number),
                owner=owner,
            )
        )
        said: JsonDict = {"title": title, **step.data}
        if owner is not None:
            said["owner"] = owner
        if parties:
            said["parties"] = {
                p.role: {"name": p.name, "email": p.email} for p in parties
            }
        return self._record(
            tx,
            case,
            case,
            step,
            said,
            now=now,
            opening=True,
            definition=definition,
            content=content,
        )

    def fire(
        self,
        tx: EngineTransaction,
        case: Case,
        event: str,
        *,
        actor: str,
        data: Mapping[str, object],
        document: str | None,
        at: datetime | None,
        now: datetime,
        content: Content | None = None,
    ) -> Case:
        """Apply `event` to `case` (read for update in `tx`); returns it as written,
        with `content` as the journalised document's when given."""
        refuse_erased(case)
        definition = self.rules.definition_for(tx, case.workflow, case.workflow_version)
        machine = self.registry.machine(definition)
        dest = machine.next_state(case.state, event, case_number=case.number)
        transition = definition.transition(event, case.state)
        assert transition is not None  # the machine allowed it
        step = self.check(
            tx,
            transition,
            case,
            actor=actor,
            data=data,
            document=document,
            at=at,
            now=now,
            history=Later(partial(tx.history, case.id or 0)),  # read if a guard asks
            documents=Later(partial(tx.documents, case.id or 0)),
        )
        merged = {k: v for k, v in case.data.items() if k not in transition.resets}
        merged.update(step.data)
        changes: dict[str, object] = {
            "state": dest,
            "data": merged,
            "last_event_at": step.at,
        }
        said = dict(step.data)
        if not transition.internal:
            on = local_date(step.at)
            here = definition.state(case.state)
            stood = paused_in(case, tx.history(case.id or 0)) if here.pauses else None
            moved = pause_moves(
                definition, case, dest, on=on, calendar=self.calendar, stood=stood
            )
            if moved is None:
                there = definition.state(dest)
                due = due_for_state(
                    there.deadline, entered_on=on, data=merged, calendar=self.calendar
                )
                changes |= {
                    "due": due,
                    "calendar": self.calendar.id if due else None,
                    "chase_position": 0,
                    "chase_due": chase_due(there, due, 0),
                }
            else:
                changes |= moved[0]
                said |= moved[1]
            changes["state_entry_seq"] = case.version + 1
            changes["state_entered_at"] = step.at
        after = replace(case, **changes)  # type: ignore[arg-type]
        return self._record(
            tx,
            case,
            after,
            step,
            said,
            now=now,
            definition=definition,
            content=content,
        )

    def correct(
        self,
        tx: EngineTransaction,
        case: Case,
        seq: int,
        *,
        actor: str,
        reason: str,
        changes: Mapping[str, str],
        at: datetime | None,
        now: datetime,
    ) -> Case:
        """Record a correction of entry `seq` of `case`: a new entry, no new state."""
        refuse_erased(case)
        if not 1 <= seq <= case.version:
            raise InvalidDataError(
                f"case {case.number} has no entry {seq} (it has 1 to {case.version})"
            )
        step = self.check(
            tx, CORRECTION, case, actor=actor, data={}, document=None, at=at, now=now
        )
        said: JsonDict = {"corrects": seq, "reason": reason, "changes": dict(changes)}
        after = replace(case, last_event_at=step.at)
        definition = self.rules.definition_for(tx, case.workflow, case.workflow_version)
        return self._record(tx, case, after, step, said, now=now, definition=definition)

    def check(
        self,
        tx: EngineTransaction,
        transition: Transition,
        case: Case | None,
        *,
        actor: str,
        data: Mapping[str, object],
        document: str | None,
        at: datetime | None,
        now: datetime,
        history: Sequence[AuditEntry] = (),
        documents: Sequence[Document] = (),
    ) -> Step:
        """The checks of `engine.cases.steps` for `actor` as the store knows them.

        Raises:
            UserNotFoundError: no such user.
        """
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
            language=self.language,
        )

    def _record(
        self,
        tx: EngineTransaction,
        before: Case,
        after: Case,
        step: Step,
        said: JsonDict,
        *,
        now: datetime,
        opening: bool = False,
        definition: WorkflowDefinition | None = None,
        content: Content | None = None,
    ) -> Case:
        journal: tuple[Journal, ...] = ()
        letter: tuple[Content, str] | None = None
        if content is not None and step.document is None:
            raise InvalidDataError(
                "a file is journalised as a document: give the document's title too"
            )
        if step.document is not None:
            direction = step.data.get("direction") or (
                step.transition.document.direction.value
                if step.transition.document
                else "note"
            )
            if content is None and direction == "outgoing" and definition:
                letter = step_letter(
                    self.letters,
                    tx,
                    before=before,
                    after=after,
                    event=step.transition.event,
                    at=step.at,
                    actor=step.actor,
                    definition=definition,
                    opening=opening,
                )
                content = letter[0] if letter else None
            journal = (
                Journal(
                    title=step.document,
                    direction=str(direction),
                    date=local_date(step.at),
                    content=content
                    or (
                        note_content(tx, str(direction), step.document)
                        if self.note_text
                        else None
                    ),
                ),
            )
        change = Change(
            event=step.transition.event,
            actor=step.actor,
            role=step.role,
            at=step.at,
            data=said,
            opening=opening,
            personal=definition.personal_fields if definition else frozenset(),
            workflow_digest=definition.digest if definition else None,
        )
        written = record(tx, before, after, change, recorded_at=now, journal=journal)
        if letter is not None:
            queue_render(tx, written, [letter[1]], now)
        return written


def refuse_erased(case: Case) -> None:
    """An erased case's record is closed: no step can follow the erasure.

    Raises:
        InvalidDataError: the case's personal data was erased.
    """
    if case.erased is not None:
        raise InvalidDataError(
            f"case {case.number}'s personal data was erased: it takes no further steps"
        )
