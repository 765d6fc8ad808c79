"""`sagsflow report`'s words in Danish and English, and its outcomes' labels.

`SAGSFLOW_LANGUAGE` chooses them for the text and the chart; the outcomes and
states read in the workflows' labels (`engine.workflow.labels`). JSON and CSV
keep the identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.explain.report import OUTCOME_FIELDS
from engine.workflow.labels import VALUE
from engine.workflow.registry import WorkflowRegistry

EN: Mapping[str, str] = MappingProxyType(
    {
        "head": (
            "Cases opened {since} to {last}, both days included ({workflow}), "
            "as of {now}"
        ),
        "all": "all workflows",
        "cases": "Cases",
        "opened": "  opened",
        "closed": "  closed in the period",
        "handling": "Handling time of closed cases (calendar days)",
        "median": "  median",
        "p90": "  90th percentile",
        "rank": "{n} (nearest rank)",
        "within": "  within {label} ({days} days)",
        "share": "{n} of {of}, {percent} (target {target} %)",
        "states": "Time in states (calendar days, summed over the cases)",
        "waiting": "  waiting on authorities",
        "in_house": "  in-house",
        "chases": "Chases in the period",
        "reminders": "  reminders",
        "escalations": "  escalations",
        "now": "Now",
        "open": "  open",
        "overdue": "  overdue",
        "6": "6 months",
        "12": "12 months",
        "chart.within6": "within 6 months",
        "chart.6to12": "6 to 12 months",
        "chart.over12": "over 12 months",
        "chart.handling": "Handling time (closed cases: {n})",
        "chart.days": "calendar days from opening to closing",
        "chart.cases": "cases",
        "chart.overdue": "Cases overdue (end of day)",
        "chart.file": "chart: {path}",
    }
)

DA: Mapping[str, str] = MappingProxyType(
    {
        "head": "Sager oprettet {since} til og med {last} ({workflow}), pr. {now}",
        "all": "alle sagsgange",
        "cases": "Sager",
        "opened": "  oprettet",
        "closed": "  afsluttet i perioden",
        "handling": "Sagsbehandlingstid for afsluttede sager (kalenderdage)",
        "median": "  median",
        "p90": "  90. percentil",
        "rank": "{n} (nærmeste rang)",
        "within": "  inden for {label} ({days} dage)",
        "share": "{n} af {of}, {percent} (mål {target} %)",
        "states": "Tid i tilstande (kalenderdage, summeret over sagerne)",
        "waiting": "  venter på myndigheder",
        "in_house": "  hos os",
        "chases": "Rykkere i perioden",
        "reminders": "  rykkere",
        "escalations": "  eskalationer",
        "now": "Nu",
        "open": "  åbne",
        "overdue": "  over fristen",
        "6": "6 måneder",
        "12": "12 måneder",
        "chart.within6": "inden for 6 måneder",
        "chart.6to12": "6 til 12 måneder",
        "chart.over12": "over 12 måneder",
        "chart.handling": "Sagsbehandlingstid (afsluttede sager: {n})",
        "chart.days": "kalenderdage fra oprettelse til afslutning",
        "chart.cases": "sager",
        "chart.overdue": "Sager over fristen (ved dagens udgang)",
        "chart.file": "diagram: {path}",
    }
)

WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": EN, "da": DA})


class ReportWords:
    """The report's words in one language, and the workflows' labels in it."""

    def __init__(
        self, language: str, registry: WorkflowRegistry, workflow: str | None
    ) -> None:
        self.language = language
        self._table = WORDS[language]
        self._registry = registry
        self._workflows = [workflow] if workflow else registry.names()

    def __call__(self, key: str, **values: object) -> str:
        return self._table[key].format(**values)

    def outcome(self, value: str) -> str:
        """An outcome in words: its label in the first workflow that has one."""
        for workflow in self._workflows:
            labels = self._registry.labels(workflow)
            for field in OUTCOME_FIELDS:
                label = labels.find(VALUE, field, value)
                if label is not None:
                    return label.text(self.language)
        return value

    def state(self, workflow: str, state: str) -> str:
        return self._registry.labels(workflow).state(state, self.language)
