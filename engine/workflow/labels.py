"""How a workflow's identifiers read to people, in Danish and English.

A workflow names its states, events, data fields and choice values with
identifiers (`awaiting_reply`, `no_further_action`, `reply_by`), and so are
the workflow itself, its party roles and its ladders' rungs: they are what
the rules, the record and the JSON say. People read labels: `labels: {da:
Afventer svar, en: Awaiting reply}` declared next to the thing labelled
(`engine.workflow.labelreader` reads them). `Labels` answers a label in a
language, and the identifier itself where none is declared, so a workflow
without labels still shows, in its identifiers.

Labels are presentation, not rules: the declaration's digest and the text kept
for its version are taken with the labels cut out, so adding or rewording a
label neither raises the version nor changes what a database recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("da", "en")
STATE = "state"
EVENT = "event"
FIELD = "field"
VALUE = "value"  # a choice value (or a value `sets` records), by field
WORKFLOW = "workflow"  # the workflow itself: its title in words
PARTY = "party"  # a party role
RUNG = "rung"  # a chase ladder's rung
DOCUMENT = "document"  # the default title of the document an event journals
YES_NO = {"da": ("ja", "nej"), "en": ("yes", "no")}


@dataclass(frozen=True, slots=True)
class Label:
    """One identifier's words in Danish and in English."""

    da: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.da


OFFICE_TARGETS = {
    "owner": Label(da="ansvarlig", en="owner"),
    "advisor": Label(da="rådgiver", en="advisor"),
}
"""The office's people a rung may notify besides the parties (`notify:`)."""


@dataclass(frozen=True, slots=True)
class Labels:
    """A workflow's labels by (kind, identifier); a choice value's by field too."""

    entries: tuple[tuple[tuple[str, str, str], Label], ...] = ()

    def find(self, kind: str, name: str, value: str = "") -> Label | None:
        for key, label in self.entries:
            if key == (kind, name, value):
                return label
        return None

    def _say(self, kind: str, name: str, value: str, language: str) -> str:
        label = self.find(kind, name, value)
        if label is None:
            return value or name
        return label.text(language)

    def state(self, name: str, language: str) -> str:
        """The state's label, or its identifier when it has none."""
        return self._say(STATE, name, "", language)

    def event(self, name: str, language: str) -> str:
        """The event's label, or its identifier when it has none."""
        return self._say(EVENT, name, "", language)

    def field(self, name: str, language: str) -> str:
        """The data field's label, or its identifier when it has none."""
        return self._say(FIELD, name, "", language)

    def value(self, field: str, value: object, language: str) -> str:
        """A value of `field` in words: a labelled choice value's label, yes or
        no for a flag, else the value as it is (a date, a number, a text)."""
        if isinstance(value, bool):
            yes, no = YES_NO.get(language, YES_NO["da"])
            return yes if value else no
        if not isinstance(value, str):
            return str(value)
        return self._say(VALUE, field, value, language)

    def workflow(self, name: str, language: str) -> str:
        """The workflow's label, or its identifier when it has none."""
        return self._say(WORKFLOW, name, "", language)

    def party(self, role: str, language: str) -> str:
        """The party role's label, or its identifier when it has none."""
        return self._say(PARTY, role, "", language)

    def rung(self, name: str, language: str) -> str:
        """The rung's label, or its identifier when it has none."""
        return self._say(RUNG, name, "", language)

    def target(self, name: str, language: str) -> str:
        """Whom a rung notifies: a party role's label, or the office's person
        (the case's owner, the advisor) in words."""
        person = OFFICE_TARGETS.get(name)
        return person.text(language) if person else self.party(name, language)

    def speaking(self, language: str) -> Spoken:
        """These labels in one language, for a surface that speaks it."""
        return Spoken(self, language)

    def identifiers(self) -> tuple[str, ...]:
        """Every identifier labelled (states, events, fields and values)."""
        return tuple(
            dict.fromkeys(value or name for (_, name, value), _ in self.entries)
        )


@dataclass(frozen=True, slots=True)
class Spoken:
    """A workflow's labels in one language: `spoken.state("awaiting_reply")`."""

    labels: Labels
    language: str

    def state(self, name: str | None) -> str:
        return self.labels.state(name, self.language) if name else ""

    def event(self, name: str) -> str:
        return self.labels.event(name, self.language)

    def field(self, name: str) -> str:
        return self.labels.field(name, self.language)

    def value(self, field: str, value: object) -> str:
        return self.labels.value(field, value, self.language)

    def workflow(self, name: str) -> str:
        return self.labels.workflow(name, self.language)

    def party(self, role: str) -> str:
        return self.labels.party(role, self.language)

    def rung(self, name: str) -> str:
        return self.labels.rung(name, self.language)

    def target(self, name: str) -> str:
        return self.labels.target(name, self.language)
