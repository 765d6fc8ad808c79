"""The workflows' labels in the page's language, for the templates.

Every page gets `said`: `said.state(case.workflow, case.state)` is the state's
label in the page's language (`engine.workflow.labels`), from the newest
version of the case's workflow, so a case on an older version reads in the
same words; an identifier without a label shows as it is. The identifiers stay
in the markup's `data-*` attributes and in every link, for tests and tools.
"""

from __future__ import annotations

from starlette.requests import Request

from engine.workflow.labels import Spoken
from service.api.state import api_state

ENGINE_KEYS: dict[str, dict[str, str]] = {
    "owner": {"da": "Ansvarlig", "en": "Owner"},
    "previous": {"da": "Tidligere ansvarlig", "en": "Previous owner"},
    "reason": {"da": "Begrundelse", "en": "Reason"},
    "grounds": {"da": "Begrundelse", "en": "Grounds"},
    "rule": {"da": "Regel", "en": "Rule"},
    "erased": {"da": "Slettet", "en": "Erased"},
    "corrects": {"da": "Retter post", "en": "Corrects entry"},
    "changes": {"da": "Ændringer", "en": "Changes"},
    "document": {"da": "Dokument", "en": "Document"},
    "source_sha256": {"da": "Kildens SHA-256", "en": "Source SHA-256"},
    "sha256": {"da": "SHA-256", "en": "SHA-256"},
    "media_type": {"da": "Medietype", "en": "Media type"},
    "size": {"da": "Størrelse (bytes)", "en": "Size (bytes)"},
    "from_version": {"da": "Fra version", "en": "From version"},
    "to_version": {"da": "Til version", "en": "To version"},
    "mapping": {"da": "Tilstande flyttet", "en": "States mapped"},
    "due_before": {"da": "Frist før", "en": "Deadline before"},
    "due_after": {"da": "Frist efter", "en": "Deadline after"},
    "paused": {"da": "Frist standset", "en": "Deadline paused"},
    "resumed": {"da": "Frist genoptaget", "en": "Deadline resumed"},
}
"""The engine's own data keys (`engine.workflow.definition.ENGINE_EVENTS`'
steps), in words where a workflow field's label would stand."""


class Said:
    """Labels by workflow name, in one language; the registry read on first use."""

    def __init__(self, request: Request, language: str) -> None:
        self._request = request
        self.language = language
        self._spoken: dict[str, Spoken] = {}

    def spoken(self, workflow: str) -> Spoken:
        """`workflow`'s labels in the page's language."""
        found = self._spoken.get(workflow)
        if found is None:
            registry = api_state(self._request).engine.registry
            found = registry.labels(workflow).speaking(self.language)
            self._spoken[workflow] = found
        return found

    def state(self, workflow: str, name: str | None) -> str:
        return self.spoken(workflow).state(name)

    def event(self, workflow: str, name: str) -> str:
        return self.spoken(workflow).event(name)

    def field(self, workflow: str, name: str) -> str:
        """A data field's label; the engine's own keys (an assignment's owner,
        a render step's document) in the page's words."""
        said = self.spoken(workflow).field(name)
        if said != name:
            return said
        return ENGINE_KEYS.get(name, {}).get(self.language, name)

    def value(self, workflow: str, field: str, value: object) -> str:
        return self.spoken(workflow).value(field, value)

    def workflow(self, name: str) -> str:
        return self.spoken(name).workflow(name)

    def party(self, workflow: str, role: str) -> str:
        return self.spoken(workflow).party(role)

    def rung(self, workflow: str, name: str) -> str:
        return self.spoken(workflow).rung(name)

    def targets(self, workflow: str, names: list[str]) -> str:
        """Whom a rung notified, in words: party roles in their labels, the
        office's people (the owner, the advisor) in the page's."""
        return ", ".join(self.spoken(workflow).target(name) for name in names)
