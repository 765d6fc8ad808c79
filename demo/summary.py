"""What a demo office holds: cases by workflow, state and outcome; overdue now;
open cases by owner.

Pure: counted from the cases as stored (`Case` values) and the workflow
definitions (which states are final); the caller says what "today" is.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from engine.records import Case
from engine.workflow.definition import StateKind
from engine.workflow.labels import Labels, Spoken
from engine.workflow.registry import WorkflowRegistry

OUTCOME_FIELDS = ("outcome", "decision")


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    today: date
    total: int
    open_by_state: Mapping[str, Mapping[str, int]]  # workflow -> state -> cases
    closed_by_outcome: Mapping[str, Mapping[str, int]]  # workflow -> outcome -> cases
    overdue: int  # open, and the local date of today is after the deadline
    open_by_owner: Mapping[str | None, int]  # owner (None: unassigned) -> open cases

    def count(self, workflow: str) -> int:
        return sum(self.open_by_state.get(workflow, {}).values()) + sum(
            self.closed_by_outcome.get(workflow, {}).values()
        )

    @property
    def open(self) -> int:
        return sum(n for states in self.open_by_state.values() for n in states.values())

    def workflows(self) -> list[str]:
        return sorted(set(self.open_by_state) | set(self.closed_by_outcome))


def summarise(
    cases: Iterable[Case], *, registry: WorkflowRegistry, today: date
) -> Summary:
    """Count `cases` as of `today` (the local date)."""
    final: dict[tuple[str, int, str], bool] = {}
    open_by: defaultdict[str, Counter[str]] = defaultdict(Counter)
    closed_by: defaultdict[str, Counter[str]] = defaultdict(Counter)
    owners: Counter[str | None] = Counter()
    total = overdue = 0
    for case in cases:
        total += 1
        key = (case.workflow, case.workflow_version, case.state)
        if key not in final:
            definition = registry.get(case.workflow, case.workflow_version)
            final[key] = definition.state(case.state).kind is StateKind.FINAL
        if final[key]:
            outcome = next(
                (str(case.data[f]) for f in OUTCOME_FIELDS if case.data.get(f)), "none"
            )
            closed_by[case.workflow][outcome] += 1
            continue
        open_by[case.workflow][case.state] += 1
        owners[case.owner] += 1
        overdue += case.due is not None and case.due < today
    return Summary(
        today=today,
        total=total,
        open_by_state={w: dict(c.most_common()) for w, c in sorted(open_by.items())},
        closed_by_outcome={
            w: dict(c.most_common()) for w, c in sorted(closed_by.items())
        },
        overdue=overdue,
        open_by_owner=_by_owner(owners),
    )


def combine(summaries: Sequence[Summary]) -> Summary:
    """The summary of several parts of one office (as of the same day)."""
    open_by: defaultdict[str, Counter[str]] = defaultdict(Counter)
    closed_by: defaultdict[str, Counter[str]] = defaultdict(Counter)
    owners: Counter[str | None] = Counter()
    for part in summaries:
        owners.update(part.open_by_owner)
        for workflow, states in part.open_by_state.items():
            open_by[workflow].update(states)
        for workflow, outcomes in part.closed_by_outcome.items():
            closed_by[workflow].update(outcomes)
    return Summary(
        today=summaries[0].today,
        total=sum(s.total for s in summaries),
        open_by_state={w: dict(c.most_common()) for w, c in sorted(open_by.items())},
        closed_by_outcome={
            w: dict(c.most_common()) for w, c in sorted(closed_by.items())
        },
        overdue=sum(s.overdue for s in summaries),
        open_by_owner=_by_owner(owners),
    )


def _by_owner(counts: Counter[str | None]) -> dict[str | None, int]:
    """By owner id, unassigned (None) last."""
    return dict(sorted(counts.items(), key=lambda o: (o[0] is None, o[0] or "")))


WORDS = {
    "en": {
        "cases": "{n} cases",
        "open": "open  ",
        "closed": "closed",
        "overdue": "  overdue now ({day}): {n} of {open} open cases",
        "owners": "  open cases by owner: {owners}",
        "unassigned": "unassigned",
        "none": "none",
    },
    "da": {
        "cases": "{n} sager",
        "open": "åbne  ",
        "closed": "lukket",
        "overdue": "  over fristen nu ({day}): {n} af {open} åbne sager",
        "owners": "  åbne sager pr. ansvarlig: {owners}",
        "unassigned": "ikke fordelt",
        "none": "uden udfald",
    },
}
"""The summary's own words; the workflows' states and outcomes in their labels."""


def describe(
    summary: Summary,
    *,
    language: str = "en",
    speaking: Callable[[str], Spoken] | None = None,
) -> list[str]:
    """The summary as text lines, one block a workflow, in `language`; with
    `speaking` (a workflow's labels by its name) the workflows, states and
    outcomes in their labels, else as identifiers."""
    w = WORDS.get(language, WORDS["en"])
    said = speaking or (lambda _: Labels().speaking(language))
    names = {wf: said(wf).workflow(wf) for wf in summary.workflows()}
    lines: list[str] = []
    width = max((len(n) for n in names.values()), default=0)
    for workflow in summary.workflows():
        spoken = said(workflow)
        states = {
            spoken.state(k): n
            for k, n in summary.open_by_state.get(workflow, {}).items()
        }
        outcomes = {
            (w["none"] if k == "none" else _outcome(spoken, k)): n
            for k, n in summary.closed_by_outcome.get(workflow, {}).items()
        }
        pad = " " * (width + 2)
        cases = w["cases"].format(n=summary.count(workflow))
        lines.append(f"  {names[workflow]:<{width}}  {cases}")
        lines.append(
            f"  {pad}{w['open']} {sum(states.values()):>5}  {_listing(states)}"
        )
        lines.append(
            f"  {pad}{w['closed']} {sum(outcomes.values()):>5}  {_listing(outcomes)}"
        )
    lines.append(
        w["overdue"].format(
            day=summary.today.isoformat(), n=summary.overdue, open=summary.open
        )
    )
    owners = ", ".join(
        f"{owner or w['unassigned']} {n}" for owner, n in summary.open_by_owner.items()
    )
    if owners:
        lines.append(w["owners"].format(owners=owners))
    return lines


def _outcome(spoken: Spoken, value: str) -> str:
    """An outcome in words: the label of the first outcome field that has one."""
    for field in OUTCOME_FIELDS:
        said = spoken.value(field, value)
        if said != value:
            return said
    return value


def _listing(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items())
