"""The workflow definitions an engine knows, by name and version.

The newest version of each name comes from the workflow files; older versions,
still used by cases opened under them, are recorded in the database and parsed
again on demand. One `WorkflowMachine` is built per version and shared.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from engine.exceptions import (
    DefinitionError,
    InvalidInputError,
    WorkflowNotFoundError,
)
from engine.workflow.definition import StateKind, WorkflowDefinition
from engine.workflow.file import load_workflow_file, parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.labels import Labels
from engine.workflow.machine import WorkflowMachine


class WorkflowRegistry:
    """Definitions by (name, version), with their shared machines."""

    def __init__(self, definitions: Iterable[WorkflowDefinition]) -> None:
        self._by_key: dict[tuple[str, int], WorkflowDefinition] = {}
        self._latest: dict[str, WorkflowDefinition] = {}
        self._machines: dict[str, WorkflowMachine] = {}  # by declaration digest
        self._lock = threading.Lock()
        for definition in definitions:
            key = (definition.name, definition.version)
            if key in self._by_key:
                other = self._by_key[key].source
                raise DefinitionError(
                    definition.source,
                    [
                        f"{definition.key} is declared twice "
                        f"({other} and {definition.source})"
                    ],
                )
            self._add(definition)

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> WorkflowRegistry:
        """Load and validate every file (raises DefinitionError)."""
        return cls(load_workflow_file(p, guards=GUARDS) for p in paths)

    def _add(self, definition: WorkflowDefinition) -> None:
        self._by_key[definition.name, definition.version] = definition
        latest = self._latest.get(definition.name)
        if latest is None or latest.version < definition.version:
            self._latest[definition.name] = definition

    def names(self) -> list[str]:
        return sorted(self._latest)

    def latest(self) -> list[WorkflowDefinition]:
        return [self._latest[n] for n in self.names()]

    def closed_states(self) -> frozenset[str]:
        """The state names final in every workflow that declares them: what a
        store may leave out to select open cases (a name open in some workflow
        is kept, so no open case drops out)."""
        final: set[str] = set()
        kept: set[str] = set()
        for definition in self.latest():
            for state in definition.states:
                (final if state.kind is StateKind.FINAL else kept).add(state.name)
        return frozenset(final - kept)

    def get(self, name: str, version: int | None = None) -> WorkflowDefinition:
        """Raises WorkflowNotFoundError."""
        found = (
            self._latest.get(name)
            if version is None
            else self._by_key.get((name, version))
        )
        if found is None:
            raise WorkflowNotFoundError(name, version, self.names())
        return found

    def labels(self, name: str) -> Labels:
        """The labels of `name`'s newest version, shown for cases on any version.

        Labels are words, not rules (`engine.workflow.labels`): a case on an
        older version reads its states and events in the newest words for the
        identifiers it shares; one the newest version dropped shows as it is.
        An unknown workflow has no labels.
        """
        latest = self._latest.get(name)
        return latest.labels if latest is not None else Labels()

    def check_state(self, state: str, workflow: str | None = None) -> None:
        """Refuse a state no workflow (or not `workflow`) declares, naming those known.

        A filter on a misspelt state would match nothing and look like an
        empty office.

        Raises:
            WorkflowNotFoundError: `workflow` is not known.
            InvalidInputError: no such state.
        """
        names = [workflow] if workflow else self.names()
        known = {s.name for n in names for s in self.get(n).states}
        if state not in known:
            raise InvalidInputError(
                f"no state {state!r} in {workflow or 'any workflow'}; "
                f"known: {', '.join(sorted(known))}"
            )

    def find(self, name: str, version: int) -> WorkflowDefinition | None:
        """The file's definition of exactly (name, version), if loaded."""
        return self._by_key.get((name, version))

    def parse_recorded(
        self, text: str, *, name: str, version: int
    ) -> WorkflowDefinition:
        """Parse a declaration recorded in the database (an older version)."""
        source = f"{name}@{version} (recorded)"
        definition = parse_workflow(text, source=source, guards=GUARDS)
        if (definition.name, definition.version) != (name, version):
            raise DefinitionError(source, [f"{source}: declares {definition.key}"])
        return definition

    def machine(self, definition: WorkflowDefinition) -> WorkflowMachine:
        machine = self._machines.get(definition.digest)
        if machine is None:
            with self._lock:
                machine = self._machines.setdefault(
                    definition.digest, WorkflowMachine(definition)
                )
        return machine
