"""Parse and validate a workflow file into a `WorkflowDefinition`.

Every problem found is collected (not just the first) and reported together in
one `DefinitionError`, each line naming the file, the line in it and the path to
the offending value: `ombudsman_inquiry.yaml:57: transitions[4].to: unknown state
'asessed'`. Structural checks (unknown, unreachable and dead-end states,
duplicate events, waiting states without a deadline, unknown roles and guards)
run after the shapes are read. Labels (`engine.workflow.labelreader`) are
read with what they label and cut out of the text before its digest is taken:
they are words, not rules, and no part of a version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path as FilePath
from typing import Any

from engine.exceptions import DefinitionError
from engine.workflow.checks import check_machine
from engine.workflow.definition import (
    ENGINE_EVENTS,
    OPEN_EVENT,
    READ_ONLY_ROLE,
    ROLES,
    StateKind,
    Transition,
    WorkflowDefinition,
)
from engine.workflow.fields import FieldReader
from engine.workflow.labelreader import LABELS_KEY, rules_text
from engine.workflow.labels import EVENT
from engine.workflow.retention import RETENTION_KEY, RetentionReader
from engine.workflow.states import StateReader
from engine.workflow.yamlsource import (
    MAX_BYTES,
    LoadedYaml,
    Path,
    load_yaml,
)

ANY_OPEN_STATE = "*"


def load_workflow_file(
    path: FilePath, *, guards: Collection[str]
) -> WorkflowDefinition:
    """Read and validate one workflow file.

    Raises:
        DefinitionError: the file cannot be read or declares something wrong.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)  # a larger file is refused unread
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), [f"{path}: cannot be read: {exc}"]) from None
    if len(raw) > MAX_BYTES:
        raise DefinitionError(
            str(path),
            [
                f"{path.name}: the file is larger than {MAX_BYTES:,} bytes, the most a "
                "workflow file may have"
            ],
        )
    return parse_workflow(text, source=str(path.name), guards=guards)


def parse_workflow(
    text: str, *, source: str, guards: Collection[str]
) -> WorkflowDefinition:
    """Validate the declaration in `text`; `source` names it in messages."""
    loaded = load_yaml(text, source=source)
    parser = _Parser(loaded, source, frozenset(guards))
    definition = parser.parse() if loaded.value is not None else None
    problems = [*loaded.problems, *parser.problems]
    if definition is None or problems:
        empty = f"{source}:1: (top level): the file is empty"
        raise DefinitionError(source, problems or [empty])
    rules = rules_text(text, parser.cuts)  # labels are not rules
    digest = hashlib.sha256(rules.encode("utf-8")).hexdigest()
    return replace(definition, source=source, digest=digest, text=rules)


class _Parser(FieldReader, RetentionReader, StateReader):
    def __init__(self, loaded: LoadedYaml, source: str, guards: frozenset[str]) -> None:
        super().__init__(loaded, source)
        self.guards = guards
        self.bad_next: set[str] = set()

    # -- the document ----------------------------------------------------------
    def parse(self) -> WorkflowDefinition | None:
        top = self.mapping(
            self.loaded.value,
            (),
            (
                "name",
                "version",
                "title",
                "description",
                "parties",
                "webhook",
                LABELS_KEY,
                "states",
                "open",
                "transitions",
                RETENTION_KEY,
            ),
        )
        if top is None:
            return None
        name = self.text(top.get("name"), ("name",))
        if name is not None and not all(c.isalnum() or c in "-_" for c in name):
            self.problem(
                ("name",), f"{name!r} may hold only letters, digits, '-' and '_'"
            )
        version = top.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.problem(("version",), f"must be a whole number >= 1, not {version!r}")
            version = 1
        title = self.text(top.get("title"), ("title",)) or ""
        description = (
            self.text(top.get("description"), ("description",), required=False) or ""
        )
        parties = self.names(top.get("parties", []), ("parties",), empty_ok=True)
        if name:
            self.workflow_labels(top, name, parties)
        webhook = self.text(top.get("webhook"), ("webhook",), required=False)
        if webhook is not None and not webhook.startswith(("https://", "http://")):
            self.problem(("webhook",), f"{webhook!r} is not an http(s) URL")
            webhook = None
        states = self.states(top.get("states"))
        state_names = [s.name for s in states]
        opening = self.transition(top.get("open"), ("open",), state_names, opening=True)
        transitions = self.each(
            top.get("transitions"),
            ("transitions",),
            lambda v, p: self.transition(v, p, state_names, opening=False),
        )
        retention = self.retention(top, states)
        if name is None or opening is None:
            return None
        open_states = tuple(s.name for s in states if s.kind is not StateKind.FINAL)
        transitions = [
            replace(t, sources=open_states) if t.sources == (ANY_OPEN_STATE,) else t
            for t in transitions
        ]
        definition = WorkflowDefinition(
            name=name,
            version=version,
            title=title,
            description=description,
            parties=parties,
            webhook=webhook,
            states=tuple(states),
            opening=opening,
            transitions=tuple(transitions),
            retention=retention,
        )
        check_machine(definition, self.problem)
        self.check_values(_values(definition))
        return replace(definition, labels=self.labels())

    def transition(
        self, value: Any, path: Path, states: list[str], *, opening: bool
    ) -> Transition | None:
        keys = [
            "to",
            "roles",
            "data",
            "guards",
            "sets",
            "resets",
            "document",
            "description",
            "labels",
        ]
        if not opening:
            keys += ["event", "from", "internal"]
        spec = self.mapping(value, path, keys)
        if spec is None:
            return None
        event = (
            OPEN_EVENT if opening else self.name(spec.get("event"), (*path, "event"))
        )
        if not opening and event == OPEN_EVENT:
            self.problem((*path, "event"), "'open' is declared in the 'open' section")
        if event in ENGINE_EVENTS:
            self.problem(
                (*path, "event"),
                f"{event!r} is the engine's own event in every workflow",
            )
        sources: tuple[str, ...] = ()
        if not opening:
            raw_from = spec.get("from")
            sources = (
                (ANY_OPEN_STATE,)
                if raw_from == ANY_OPEN_STATE
                else self.names(raw_from, (*path, "from"))
            )
        internal = spec.get("internal", False)
        if not isinstance(internal, bool):
            self.problem(
                (*path, "internal"), f"must be true or false, not {internal!r}"
            )
            internal = False
        dest = None
        if internal and "to" in spec:
            self.problem(
                (*path, "to"), "an internal transition stays in its state: drop 'to'"
            )
        elif not internal:
            dest = self.name(spec.get("to"), (*path, "to"))
        roles = self.names(spec.get("roles"), (*path, "roles"))
        for i, role in enumerate(roles):
            if role == READ_ONLY_ROLE:
                self.problem(
                    (*path, "roles", i), f"{role!r} only reads; it fires nothing"
                )
            elif role not in ROLES:
                self.problem(
                    (*path, "roles", i),
                    f"unknown role {role!r}; known: {', '.join(ROLES)}",
                )
        fields = self.fields(spec.get("data", {}), (*path, "data"))
        guards = self.names(spec.get("guards", []), (*path, "guards"), empty_ok=True)
        for i, guard in enumerate(guards):
            if guard not in self.guards:
                known = ", ".join(sorted(self.guards)) or "none"
                self.problem(
                    (*path, "guards", i), f"unknown guard {guard!r}; known: {known}"
                )
        sets = self.sets(spec.get("sets", {}), (*path, "sets"))
        resets = self.names(spec.get("resets", []), (*path, "resets"), empty_ok=True)
        document = (
            self.document(spec["document"], (*path, "document"), event or "")
            if "document" in spec
            else None
        )
        description = self.text(
            spec.get("description"), (*path, "description"), required=False
        )
        if event is not None:
            self.labelled(spec, path, EVENT, event, choice=False)
        if event is None or (dest is None and not internal):
            return None
        known = ", ".join(states)
        for i, state in enumerate(sources):
            if state == ANY_OPEN_STATE:
                continue
            if state not in states:
                self.problem(
                    (*path, "from"), f"unknown state {state!r}; known: {known}"
                )
            elif state in sources[:i]:
                self.problem((*path, "from"), f"state {state!r} is listed twice")
        sources = tuple(dict.fromkeys(sources))  # a repeat is reported above
        if dest is not None and dest not in states:
            self.problem((*path, "to"), f"unknown state {dest!r}; known: {known}")
        return Transition(
            event=event,
            sources=sources,
            dest=dest,
            roles=roles,
            fields=tuple(fields),
            guards=guards,
            sets=sets,
            resets=resets,
            document=document,
            description=description or "",
        )


def _values(definition: WorkflowDefinition) -> dict[str, set[str]]:
    """Each field's values a label may name: its choices and what `sets` records."""
    known: dict[str, set[str]] = {}
    for t in (definition.opening, *definition.transitions):
        for f in t.fields:
            known.setdefault(f.name, set()).update(f.values)
        for name, value in t.sets:
            known.setdefault(name, set()).add(value)
    return known
