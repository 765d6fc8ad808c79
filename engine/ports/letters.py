"""The letters and notices the engine writes (templates live outside the engine)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from engine.records import Content


class Letters(Protocol):
    """Writes the letters and notices the chaser sends."""

    def pinned(self) -> Letters:
        """The letters one sweep uses from its start to its end.

        An implementation may read its templates once for the pass; one without
        such a cost returns itself.
        """
        ...

    def render(
        self,
        *,
        workflow: str,
        names: Sequence[str],
        language: str,
        context: Mapping[str, object],
    ) -> tuple[str, str]:
        """(subject, body) from the first template in `names` that exists.

        Raises:
            LookupError: none of the templates exists.
        """
        ...


class Renderer(Protocol):
    """Turns a letter's source into the document that is kept and sent."""

    def render(self, source: bytes) -> Content:
        """The rendered letter (a PDF), the same bytes for the same source."""
        ...
