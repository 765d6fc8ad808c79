"""Moving open cases to a newer workflow version: `CaseEngine.migrate`.

A case runs under the version it was opened under until the office moves it:
when a law shortens a deadline or adds a step, the advisor migrates the open
cases of a workflow (or the ones named) to a newer recorded version, with a
mapping for states the new version renamed or split. `engine.cases.migrations`
works out each case's move; here the guards of the new version are asked
(a case moved into a state is moved as if a step had brought it there), and
each case is moved in a transaction of its own, all or nothing: the row takes
the new version, state and deadline, and a `migrate` entry by the advisor
records both versions, the mapping, the deadline before and after and why
(`grounds`).
A case that cannot move is listed with the reason and stays on its version.

A dry run reads only. The real run works each case out again under its lock,
so a case changed since the dry run moves as it is now, or is listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from engine.cases.migrations import Move, plan_case
from engine.cases.pauses import RESUMED
from engine.cases.recorder import Change, record
from engine.cases.rules import RuleBook
from engine.cases.steps import refuse_cpr
from engine.cases.writes import CaseWriter
from engine.clock import Clock
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import InvalidDataError, InvalidInputError
from engine.ports import CaseStore, EngineTransaction
from engine.records import Case, CaseFilter
from engine.workflow.definition import (
    MIGRATE_EVENT,
    StateKind,
    Transition,
    WorkflowDefinition,
)
from engine.workflow.guards import GUARDS, GuardContext

# The advisor moves cases between versions, as they decide what the office's
# rules are; the step is checked as any other (active user, role, time).
MIGRATION = Transition(event=MIGRATE_EVENT, sources=(), dest=None, roles=("advisor",))


@dataclass(frozen=True, kw_only=True, slots=True)
class Migration:
    """What a migration did (or, a dry run, would do) to each case it looked at."""

    workflow: str
    to_version: int
    mapping: Mapping[str, str]
    dry_run: bool
    moves: tuple[Move, ...]

    @property
    def moved(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.moves)

    @property
    def refused(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if not m.moves)


class MigrationDesk:
    """`CaseEngine`'s migrations."""

    store: CaseStore
    clock: Clock
    rules: RuleBook
    calendar: BusinessCalendar
    _writer: CaseWriter

    def migrate(
        self,
        workflow: str,
        *,
        to_version: int,
        actor: str,
        reason: str,
        mapping: Mapping[str, str] | None = None,
        numbers: Sequence[str] = (),
        dry_run: bool = False,
    ) -> Migration:
        """Move the open cases of `workflow` older than `to_version` (or the
        cases `numbers`) to it; with `dry_run`, only say what would happen.

        Raises:
            WorkflowNotFoundError: no such version, recorded or declared.
            InvalidInputError: a bad mapping, no reason, or no case to move.
            CaseNotFoundError: a case named does not exist.
            RoleNotAllowedError, UserNotFoundError: not the advisor.
        """
        reason = reason.strip()
        if not reason:
            raise InvalidDataError("a migration needs a reason (e.g. the law)")
        refuse_cpr(reason, "a migration's reason")
        mapping = dict(mapping or {})
        with self.store.transaction(write=False) as tx:
            target = self.rules.definition_for(tx, workflow, to_version)
            self._writer.check(
                tx,
                MIGRATION,
                None,
                actor=actor,
                data={},
                document=None,
                at=None,
                now=self.clock.now(),
            )
            cases = self._chosen(tx, workflow, to_version, numbers)
            self._check_mapping(tx, workflow, target, mapping, cases)
            planned = tuple(self._plan(tx, case, target, mapping) for case in cases)
        if not planned:
            raise InvalidInputError(
                f"no open case of {workflow} is on a version older than "
                f"{to_version}: cases move only to a newer version"
            )
        if not dry_run:
            planned = tuple(
                self._move(m.number, target, mapping, actor, reason) if m.moves else m
                for m in planned
            )
        return Migration(
            workflow=workflow,
            to_version=to_version,
            mapping=mapping,
            dry_run=dry_run,
            moves=planned,
        )

    def _chosen(
        self, tx: EngineTransaction, workflow: str, version: int, numbers: Sequence[str]
    ) -> list[Case]:
        if numbers:
            cases = [tx.get_case(n) for n in dict.fromkeys(numbers)]
            for case in cases:
                if case.workflow != workflow:
                    raise InvalidInputError(
                        f"case {case.number} runs {case.workflow}, not {workflow}"
                    )
            return cases
        kinds: dict[str, set[bool]] = {}
        for v in tx.workflow_versions(workflow):
            for s in self.rules.definition_for(tx, workflow, v).states:
                kinds.setdefault(s.name, set()).add(s.kind is StateKind.FINAL)
        # closed cases are not read at all: states final in every version
        finals = frozenset(name for name, final in kinds.items() if final == {True})
        return [
            c
            for c in tx.list_cases(CaseFilter(workflow=workflow, not_in_states=finals))
            if c.workflow_version < version
            and c.erased is None
            and self._source(tx, c).state(c.state).kind is not StateKind.FINAL
        ]

    def _source(self, tx: EngineTransaction, case: Case) -> WorkflowDefinition:
        return self.rules.definition_for(tx, case.workflow, case.workflow_version)

    def _check_mapping(
        self,
        tx: EngineTransaction,
        workflow: str,
        target: WorkflowDefinition,
        mapping: Mapping[str, str],
        cases: Sequence[Case],
    ) -> None:
        """Each OLD=NEW names a state of an older version and one of the new."""
        older = {v for v in tx.workflow_versions(workflow) if v < target.version}
        older |= {
            c.workflow_version for c in cases if c.workflow_version < target.version
        }
        known = {
            s.name
            for v in older
            for s in self.rules.definition_for(tx, workflow, v).states
        }
        there = {s.name: s for s in target.states}
        for old, new in mapping.items():
            if old not in known:
                raise InvalidInputError(
                    f"--map {old}={new}: no version of {workflow} older than "
                    f"{target.version} has a state '{old}'"
                )
            if new not in there:
                raise InvalidInputError(
                    f"--map {old}={new}: version {target.version} has no state "
                    f"'{new}' (it has {', '.join(there)})"
                )
            if there[new].kind is StateKind.FINAL:
                raise InvalidInputError(
                    f"--map {old}={new}: '{new}' is final; a migration never "
                    "closes a case"
                )

    def _plan(
        self,
        tx: EngineTransaction,
        case: Case,
        target: WorkflowDefinition,
        mapping: Mapping[str, str],
    ) -> Move:
        source = self._source(tx, case)
        paused = any(s.pauses for s in source.states)
        history = tx.history(case.id or 0) if paused else ()
        entered = next((e for e in history if e.seq == case.state_entry_seq), None)
        move = plan_case(
            case,
            source,
            target,
            mapping,
            calendar=self.calendar,
            kept_due=entered is not None and RESUMED in entered.data,
        )
        if move.moves and move.new_state != case.state:
            refused = self._guarded(tx, case, target, str(move.new_state))
            if refused is not None:
                return replace(move, refused=refused, new_state=None, due_after=None)
        return move

    def _guarded(
        self,
        tx: EngineTransaction,
        case: Case,
        target: WorkflowDefinition,
        state: str,
    ) -> str | None:
        """Why the new version's guards would keep the case out of `state`
        (None: a step into it without guards, or whose guards allow it)."""
        into = [t for t in target.transitions if t.dest == state]
        if not into or any(not t.guards for t in into):
            return None
        history, documents = tx.history(case.id or 0), tx.documents(case.id or 0)
        why = ""
        for transition in into:
            ctx = GuardContext(
                transition=transition,
                role="advisor",
                data=dict(case.data),
                case=case,
                history=history,
                documents=documents,
            )
            said = [(n, GUARDS[n](ctx)) for n in transition.guards]
            refused = [(n, r) for n, r in said if r is not None]
            if not refused:
                return None
            name, words = refused[0]
            why = f"the guard '{name}' of '{transition.event}' would refuse: {words}"
        return why

    def _move(
        self,
        number: str,
        target: WorkflowDefinition,
        mapping: Mapping[str, str],
        actor: str,
        reason: str,
    ) -> Move:
        """Move one case in a transaction of its own, worked out again under
        its lock; the move as done, or why it no longer can be."""
        with self.store.transaction() as tx:
            self.rules.record(tx, target)
            case = tx.get_case(number, for_update=True)
            now = self.clock.now()
            move = self._plan(tx, case, target, mapping)
            if not move.moves:
                return move
            step = self._writer.check(
                tx,
                MIGRATION,
                case,
                actor=actor,
                data={},
                document=None,
                at=None,
                now=now,
            )
            due = move.due_after
            after = replace(
                case,
                workflow_version=target.version,
                state=str(move.new_state),
                due=due,
                calendar=self.calendar.id if due else None,
                chase_position=move.chase_position,
                chase_due=move.chase_due,
                last_event_at=step.at,
            )
            said = {
                "from_version": case.workflow_version,
                "to_version": target.version,
                "mapping": dict(mapping),
                "due_before": case.due.isoformat() if case.due else None,
                "due_after": due.isoformat() if due else None,
                # "grounds", not "reason": a workflow may declare "reason"
                # personal data, and the law's name is no one's
                "grounds": reason,
            }
            change = Change(
                event=MIGRATE_EVENT,
                actor=step.actor,
                role=step.role,
                at=step.at,
                data=said,
                personal=target.personal_fields,
                workflow_digest=target.digest,
            )
            record(tx, case, after, change, recorded_at=now)
        self.rules.mark_recorded(target)
        return move
