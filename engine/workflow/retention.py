"""Reading a workflow's retention rule: how long personal data is kept.

```yaml
retention:
  personal_data: {after: 5 years, from: closed}
```

`after` is a `Period` (`N days`, `N months` or `N years`), `from` the final
state it counts from: a case's personal data is kept while it is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.workflow.definition import (
    PERIOD_HINT,
    Period,
    Retention,
    State,
    StateKind,
)
from engine.workflow.yamlsource import Path, Reader, kind_of

RETENTION_KEY = "retention"
_RULES = ("personal_data",)
_RULE_KEYS = ("after", "from")


class RetentionReader(Reader):
    """The `retention` section of a workflow file."""

    def retention(
        self, top: dict[str, Any], states: Sequence[State]
    ) -> Retention | None:
        """The rule under `top["retention"]`; None when there is none (or it is bad).

        `states` are the workflow's states, which `from` must name a final one of.
        """
        if RETENTION_KEY not in top:
            return None
        path: Path = (RETENTION_KEY,)
        spec = self.mapping(top[RETENTION_KEY], path, _RULES)
        if spec is None:
            return None
        if "personal_data" not in spec:
            self.problem(
                path,
                "needs 'personal_data', e.g. "
                "{personal_data: {after: 5 years, from: closed}}",
            )
            return None
        return self.rule(spec["personal_data"], (*path, "personal_data"), states)

    def rule(self, value: Any, path: Path, states: Sequence[State]) -> Retention | None:
        spec = self.mapping(value, path, _RULE_KEYS)
        if spec is None:
            return None
        missing = [key for key in _RULE_KEYS if key not in spec]
        if missing:
            self.problem(
                path,
                f"needs {' and '.join(repr(k) for k in missing)}, e.g. "
                "{after: 5 years, from: closed}",
            )
        after = (
            self.period(spec["after"], (*path, "after")) if "after" in spec else None
        )
        state = self.name(spec["from"], (*path, "from")) if "from" in spec else None
        if state is not None and not self.final(state, (*path, "from"), states):
            state = None
        if after is None or state is None:
            return None
        return Retention(after=after, from_state=state)

    def final(self, name: str, path: Path, states: Sequence[State]) -> bool:
        """Whether `name` is a final state; if not, the problem is reported."""
        kinds = {s.name: s.kind for s in states}
        finals = [s.name for s in states if s.kind is StateKind.FINAL]
        if name not in kinds:
            self.problem(path, f"unknown state {name!r}; known: {', '.join(kinds)}")
        elif kinds[name] is not StateKind.FINAL:
            self.problem(
                path,
                f"{name!r} is not a final state: personal data is kept while a case "
                "is open, so retention counts from a final state "
                f"({', '.join(finals) or 'none declared'})",
            )
        return kinds.get(name) is StateKind.FINAL

    def period(self, value: Any, path: Path) -> Period | None:
        if not isinstance(value, str):
            self.problem(path, f"{kind_of(value)} is not a period; {PERIOD_HINT}")
            return None
        try:
            return Period.parse(value)
        except ValueError as exc:
            self.problem(path, str(exc))
            return None
