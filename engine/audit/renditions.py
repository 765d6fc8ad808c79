"""Letters rendered after their step, as the chain says: the render steps.

A render step (`engine.cases.renditions`) seals in its data which document
it rendered, from which source (the digest the document's own step sealed)
into which bytes (their digest, media type and size). `renditions` reads
them from a case's history; reading a document (`engine.cases.documents`)
and `audit verify` both go by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.records import AuditEntry
from engine.workflow.definition import RENDER_EVENT


@dataclass(frozen=True, kw_only=True, slots=True)
class Rendition:
    """A letter's rendering, as its render step sealed it."""

    number: str  # the document's number
    source_sha256: str  # the source rendered: the digest its step sealed
    sha256: str  # the rendered bytes'
    media_type: str
    size: int
    seq: int  # the render step's place in the case's chain


def renditions(history: Sequence[AuditEntry]) -> dict[str, Rendition]:
    """The case's rendered letters by document number (the first render step
    of each: a second is never recorded, and would not count)."""
    found: dict[str, Rendition] = {}
    for entry in history:
        if entry.event != RENDER_EVENT:
            continue
        data = entry.data
        number = str(data.get("document"))
        if number in found:
            continue
        try:
            found[number] = Rendition(
                number=number,
                source_sha256=str(data["source_sha256"]),
                sha256=str(data["sha256"]),
                media_type=str(data["media_type"]),
                size=int(str(data["size"])),
                seq=entry.seq,
            )
        except (KeyError, ValueError):
            continue  # a malformed render step renders nothing (verify names it)
    return found
