"""Reading a workflow file's states: kinds, deadlines and chase ladders.

Split from `engine.workflow.file` (one reader per part of the declaration): a
state's kind, its deadline (`within`, `until`, `from`), its chase ladder with
its rungs, when it is stale, and its labels. Problems are reported with their
line as everywhere else (`engine.workflow.yamlsource.Reader`).
"""

from __future__ import annotations

from typing import Any

from engine.workflow.definition import (
    DeadlineSpec,
    Duration,
    Ladder,
    Rung,
    State,
    StateKind,
)
from engine.workflow.labelreader import LABELS_KEY, LabelReader
from engine.workflow.labels import RUNG, STATE
from engine.workflow.staleness import STALE_KEY, StaleReader
from engine.workflow.yamlsource import Path, kind_of

# `deadline: pause`: the state stops the previous state's clock (engine.cases.pauses)
PAUSE = "pause"

STATE_KEYS = ("kind", "description", "deadline", "chase", STALE_KEY, "labels")


class StateReader(LabelReader, StaleReader):
    """The `states` section of a workflow file."""

    bad_next: set[str]

    def duration(self, value: Any, path: Path) -> Duration | None:
        try:
            return (
                Duration.parse(value)
                if isinstance(value, str)
                else Duration.parse(repr(value))
            )
        except ValueError as exc:
            self.problem(path, str(exc))
            return None

    def states(self, value: Any) -> list[State]:
        path: Path = ("states",)
        if not isinstance(value, dict) or not value:
            self.problem(
                path, f"must be a non-empty mapping of states, not {kind_of(value)}"
            )
            return []
        out = []
        for key, spec in value.items():
            spec = {} if spec is None else spec  # `closed:` alone is an empty state
            if (state := self.state(key, spec, (*path, key))) is not None:
                out.append(state)
        return out

    def state(self, key: str, value: Any, path: Path) -> State | None:
        spec = self.mapping(value, path, STATE_KEYS)
        name = self.name(key, path)
        if spec is None or name is None:
            return None
        kind_raw = spec.get("kind", StateKind.NORMAL.value)
        try:
            kind = StateKind(kind_raw)
        except ValueError:
            options = ", ".join(k.value for k in StateKind)
            self.problem(
                (*path, "kind"), f"{kind_raw!r} is not a state kind ({options})"
            )
            kind = StateKind.NORMAL
        pauses = spec.get("deadline") == PAUSE
        deadline = (
            self.deadline(spec["deadline"], (*path, "deadline"))
            if "deadline" in spec and not pauses
            else None
        )
        ladder = (
            self.ladder(spec["chase"], (*path, "chase")) if "chase" in spec else None
        )
        if kind is StateKind.WAITING and "deadline" not in spec:
            self.problem(path, "a waiting state needs a deadline")
        if ladder is not None and "deadline" not in spec:
            self.problem(
                (*path, "chase"), "a chase ladder needs a deadline on its state"
            )
        if kind is StateKind.FINAL and (deadline or ladder or pauses):
            self.problem(path, "a final state cannot have a deadline or a chase ladder")
        elif pauses:
            self.paused(path, kind, ladder)
        description = self.text(
            spec.get("description"), (*path, "description"), required=False
        )
        self.labelled(spec, path, STATE, name, choice=False)
        return State(
            name=name,
            kind=kind,
            description=description or "",
            deadline=deadline,
            pauses=pauses,
            ladder=ladder,
            stale_after=self.stale_after(spec, path, kind),
        )

    def paused(self, path: Path, kind: StateKind, ladder: Ladder | None) -> None:
        """`deadline: pause` is the clock of the state the case came from
        standing still: an initial state came from none, and nothing is chased
        while the clock stands."""
        if kind is StateKind.INITIAL:
            self.problem(
                (*path, "deadline"),
                "an initial state cannot pause a deadline: no state comes before it",
            )
        if ladder is not None:
            self.problem(
                (*path, "chase"),
                "a state that pauses the deadline has none to chase",
            )

    def deadline(self, value: Any, path: Path) -> DeadlineSpec | None:
        if isinstance(value, str):
            self.problem(
                path,
                f"{value!r} is not a deadline: give 'pause' or a mapping with "
                "'within', 'until' or 'from'",
            )
            return None
        spec = self.mapping(value, path, ("within", "until", "from"))
        if spec is None:
            return None
        within = (
            self.duration(spec["within"], (*path, "within"))
            if "within" in spec
            else None
        )
        until = self.name(spec["until"], (*path, "until")) if "until" in spec else None
        counted_from = (
            self.name(spec["from"], (*path, "from")) if "from" in spec else None
        )
        if "within" not in spec and "until" not in spec:
            self.problem(
                path,
                "a deadline needs 'within' (a duration), 'until' (a date field) "
                "or both",
            )
            return None
        if counted_from and "within" not in spec:
            self.problem((*path, "from"), "'from' only makes sense with 'within'")
        return DeadlineSpec(within=within, until=until, counted_from=counted_from)

    def ladder(self, value: Any, path: Path) -> Ladder | None:
        spec = self.mapping(value, path, ("catch_up", "rungs"))
        if spec is None:
            return None
        catch_up = spec.get("catch_up", "next")
        if catch_up not in ("next", "each"):
            self.problem((*path, "catch_up"), f"{catch_up!r} must be 'next' or 'each'")
            catch_up = "next"
        rungs = self.each(spec.get("rungs"), (*path, "rungs"), self.rung)
        if not rungs and isinstance(spec.get("rungs"), list):
            self.problem((*path, "rungs"), "a chase ladder needs at least one rung")
        for i, rung in enumerate(rungs[:-1]):
            if rung.next is None and rung.name not in self.bad_next:
                self.problem(
                    (*path, "rungs", i),
                    f"rung {rung.name!r} is followed by another rung, "
                    "so it needs 'next'",
                )
        seen: set[str] = set()
        for i, rung in enumerate(rungs):
            if rung.name in seen:
                self.problem(
                    (*path, "rungs", i, "name"), f"duplicate rung {rung.name!r}"
                )
            seen.add(rung.name)
        return Ladder(rungs=tuple(rungs), catch_up=catch_up)

    def rung(self, value: Any, path: Path) -> Rung | None:
        spec = self.mapping(value, path, ("name", "notify", "next", LABELS_KEY))
        if spec is None:
            return None
        name = self.name(spec.get("name"), (*path, "name"))
        if name:
            self.labelled(spec, path, RUNG, name, choice=False)
        notify = self.names(spec.get("notify"), (*path, "notify"))
        nxt = self.duration(spec["next"], (*path, "next")) if "next" in spec else None
        if "next" in spec and nxt is None and name:
            self.bad_next.add(name)  # already reported; not "missing" as well
        return Rung(name=name, notify=notify, next=nxt) if name else None
