"""Reading a state's `stale_after`: when a case waiting without a deadline is stale.

```yaml
states:
  decided:
    stale_after: {after: 10 working days}
```

A state with a deadline is watched by it: the case falls overdue and is
chased. A state without one is not, so a case could sit there unseen. Such a
state may say after how many working days in it a case is stale: the case is
then marked so wherever it is shown, and listed on the dashboard
(`engine.cases.ages`). Working days only, as a case's age is counted; never on
a state with a deadline (the deadline says it already) nor on a final state
(a closed case waits for nothing).
"""

from __future__ import annotations

from typing import Any

from engine.workflow.definition import Duration, StateKind, Unit
from engine.workflow.yamlsource import Path, Reader, kind_of

STALE_KEY = "stale_after"
_HINT = "write {after: N working days}, e.g. {after: 10 working days}"


class StaleReader(Reader):
    """A state's `stale_after`."""

    def stale_after(
        self, spec: dict[str, Any], path: Path, kind: StateKind
    ) -> Duration | None:
        """The `stale_after` of the state declared by `spec` at `path`, if any.

        None when the state declares none, or a wrong one (then reported).
        """
        if STALE_KEY not in spec:
            return None
        path = (*path, STALE_KEY)
        if kind is StateKind.FINAL:
            self.problem(
                path, "a final state waits for nothing, so it never goes stale"
            )
            return None
        if "deadline" in spec:
            self.problem(
                path,
                "a state with a deadline is overdue when its deadline passes; "
                "'stale_after' is for a state without one",
            )
            return None
        rule = self.mapping(spec[STALE_KEY], path, ("after",))
        if rule is None:
            return None
        if "after" not in rule:
            self.problem(path, f"needs 'after'; {_HINT}")
            return None
        after = rule["after"]
        if not isinstance(after, str):
            self.problem(
                (*path, "after"), f"{kind_of(after)} is not a duration; {_HINT}"
            )
            return None
        try:
            duration = Duration.parse(after)
        except ValueError as exc:
            self.problem((*path, "after"), str(exc))
            return None
        if duration.unit is not Unit.WORKING_DAYS:
            self.problem(
                (*path, "after"),
                f"{after!r}: a case's age in its state is counted in working days; "
                f"{_HINT}",
            )
            return None
        return duration
