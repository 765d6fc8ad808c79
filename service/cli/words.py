"""The command line's own words around a case, in Danish and English.

`SAGSFLOW_LANGUAGE` (da by default) chooses them for the human-readable output
of `case show`, `case list` and `report`; the workflow's states, events, fields
and choice values read in its labels (`engine.workflow.labels`) in the same
language. JSON keeps the identifiers, whatever the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.workflow.definition import (
    ASSIGN_EVENT,
    CHASE_EVENT,
    CORRECTION_EVENT,
    ERASE_EVENT,
    MIGRATE_EVENT,
    RENDER_EVENT,
)

EN: Mapping[str, str] = MappingProxyType(
    {
        "case": "Case {number}: {title}",
        "workflow": "workflow",
        "version": "{workflow} (version {version})",
        "state": "state",
        "since": "{state} (since {when})",
        "owner": "owner",
        "unassigned": "unassigned",
        "deadline": "deadline",
        "none": "none",
        "end_of_day": "{day} (end of day, Copenhagen time)",
        "overdue": ": OVERDUE by {days}",
        "age": "age",
        "in_state": "in {state} for {days}",
        "stale": ": STALE (stale after {days})",
        "opened": "opened",
        "erased": "erased",
        "erased.said": "personal data, {at} by {by}: {why}",
        "yes": "yes",
        "no": "no",
        "documents": "Documents",
        "documents.head": "number|date|direction|title",
        "history": "History",
        "history.head": "#|effective|recorded|event|from → to|by|via|deadline",
        "same": "same",
        "doc": "doc",
        "stays": "{state} (stays)",
        "assign": "assign {previous} → {owner}",
        "day": "{n} working day",
        "days": "{n} working days",
        "OVERDUE": "OVERDUE",
        "STALE": "STALE",
        "list.head": "number|workflow|state|due|age||owner|title",
        "migrate.head": "case|from|state|deadline|",
        "migrate.refused": "not moved: {why}",
        "migrate.moved": "{workflow}: {n} case(s) moved to version {version}",
        "migrate.would": "{workflow}: {n} case(s) would move to version {version}",
        "migrate.left": "; {n} not moved (listed; they stay on their version)",
        "migrate.dry": " (dry run: nothing changed)",
        "direction.incoming": "incoming",
        "direction.outgoing": "outgoing",
        "direction.note": "note",
        f"event.{CHASE_EVENT}": "chase",
        f"event.{ASSIGN_EVENT}": "assign",
        f"event.{CORRECTION_EVENT}": "correction",
        f"event.{ERASE_EVENT}": "erase",
        f"event.{RENDER_EVENT}": "letter rendered",
        f"event.{MIGRATE_EVENT}": "moved to a newer version",
    }
)

DA: Mapping[str, str] = MappingProxyType(
    {
        "case": "Sag {number}: {title}",
        "workflow": "sagsgang",
        "version": "{workflow} (version {version})",
        "state": "status",
        "since": "{state} (siden {when})",
        "owner": "ansvarlig",
        "unassigned": "ikke fordelt",
        "deadline": "frist",
        "none": "ingen",
        "end_of_day": "{day} (dagens udgang, dansk tid)",
        "overdue": ": OVERSKREDET med {days}",
        "age": "alder",
        "in_state": "i {state} i {days}",
        "stale": ": HENLIGGER (efter {days})",
        "opened": "oprettet",
        "erased": "slettet",
        "erased.said": "personoplysninger, {at} af {by}: {why}",
        "yes": "ja",
        "no": "nej",
        "documents": "Dokumenter",
        "documents.head": "nummer|dato|retning|titel",
        "history": "Historik",
        "history.head": "#|virkning|registreret|hændelse|fra → til|af|via|frist",
        "same": "samme",
        "doc": "dok.",
        "stays": "{state} (uændret)",
        "assign": "fordelt {previous} → {owner}",
        "day": "{n} arbejdsdag",
        "days": "{n} arbejdsdage",
        "OVERDUE": "OVERSKREDET",
        "STALE": "HENLIGGER",
        "list.head": "nummer|sagsgang|status|frist|alder||ansvarlig|titel",
        "migrate.head": "sag|fra|status|frist|",
        "migrate.refused": "ikke flyttet: {why}",
        "migrate.moved": "{workflow}: {n} sag(er) flyttet til version {version}",
        "migrate.would": "{workflow}: {n} sag(er) kan flyttes til version {version}",
        "migrate.left": "; {n} ikke flyttet (vist ovenfor; de bliver på deres version)",
        "migrate.dry": " (prøvekørsel: intet ændret)",
        "direction.incoming": "indgående",
        "direction.outgoing": "udgående",
        "direction.note": "notat",
        f"event.{CHASE_EVENT}": "rykker",
        f"event.{ASSIGN_EVENT}": "fordeling",
        f"event.{CORRECTION_EVENT}": "rettelse",
        f"event.{ERASE_EVENT}": "sletning",
        f"event.{RENDER_EVENT}": "brev dannet",
        f"event.{MIGRATE_EVENT}": "flyttet til ny version",
    }
)

WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType({"en": EN, "da": DA})


class Words:
    """The command line's words in one language: `words("case", number=...)`."""

    def __init__(self, language: str) -> None:
        self.language = language if language in WORDS else "en"
        self._table = WORDS[self.language]

    def __call__(self, key: str, **values: object) -> str:
        return self._table[key].format(**values)

    def maybe(self, key: str, default: str) -> str:
        """The words for `key`, or `default` when there are none."""
        return self._table.get(key, default)

    def heads(self, key: str) -> tuple[str, ...]:
        """A table's column headings."""
        return tuple(self._table[key].split("|"))

    def days(self, n: int) -> str:
        return self("day" if n == 1 else "days", n=n)
