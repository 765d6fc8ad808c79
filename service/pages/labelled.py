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
        return self.spoken(workflow).field(name)

    def value(self, workflow: str, field: str, value: object) -> str:
        return self.spoken(workflow).value(field, value)
