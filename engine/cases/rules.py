"""The rule book: which declaration and calendar each step runs under, on record.

A case runs under the declaration recorded for its workflow version, never a
file edited since; and every deadline names the calendar that computed it,
whose rules are recorded too. `RuleBook` records them in the operation's own
transaction, remembers what is on record once that transaction has committed,
and finds the declaration a case runs under. `CaseEngine` and the chaser share
one, so each process records a declaration once and trusts it from then on.
"""

from __future__ import annotations

from engine.dates.calendars import BusinessCalendar
from engine.exceptions import DefinitionError, WorkflowNotFoundError
from engine.ports import RuleRecords
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.registry import WorkflowRegistry


class RuleBook:
    """The workflow declarations and the calendar, as the record holds them."""

    def __init__(
        self, *, registry: WorkflowRegistry, calendar: BusinessCalendar
    ) -> None:
        self.registry = registry
        self.calendar = calendar
        self._trusted: dict[tuple[str, int], WorkflowDefinition] = {}
        self._calendar_recorded = False

    def record(self, tx: RuleRecords, definition: WorkflowDefinition | None) -> None:
        """Record, in the operation's own transaction, the rules it will apply.

        The declaration a new case opens under (its text is kept, so the case
        stays on it) and the calendar behind the deadlines. Nothing is taken as
        recorded until the transaction commits (`mark_recorded`): a refused
        operation leaves the database, and this book's beliefs, as they were.

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
        """After a commit that ran `record`: the rules are on record."""
        if definition is not None:
            self._trusted[definition.name, definition.version] = definition
        self._calendar_recorded = True

    def trusted(self, name: str, version: int) -> WorkflowDefinition | None:
        """The declaration of (name, version) once known to be the recorded one."""
        return self._trusted.get((name, version))

    def definition_for(
        self, tx: RuleRecords, name: str, version: int
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
