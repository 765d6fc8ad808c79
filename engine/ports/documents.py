"""Documents' content: bytes kept by their SHA-256, apart from the rows.

`ContentRecords` is what a transaction offers when its store keeps content
(the SQL store: in the database, or in `SAGSFLOW_DOCUMENT_DIR`; the memory
store: in a dict). Content is addressed by its SHA-256, written once and never
changed, so two documents with the same bytes share it. The store does not
check what it hands back: every reader checks the bytes against the digest the
chain sealed (`engine.cases.documents`), so content changed behind sagsflow's
back is named, never served.

Kept apart from `EngineTransaction` because not every store keeps content (a
write-behind store for the demo keeps none); `engine.cases.recorder` asks
`isinstance(tx, ContentRecords)` when a step brings content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class ContentRecords(Protocol):
    """Bytes by their SHA-256 (lower-case hex)."""

    def put_content(self, sha256: str, data: bytes) -> None:
        """Keep `data` under `sha256` (its digest); content kept already under
        that digest is left as it is."""
        ...

    def put_contents(self, contents: Sequence[tuple[str, bytes]]) -> None:
        """`put_content` for each (digest, data), written together."""
        ...

    def forget_contents(self, case_id: int, digests: Sequence[str]) -> int:
        """Delete the content kept under each of `digests` (a case's, as its
        personal data is erased) that no document of another case names;
        returns how many were deleted."""
        ...

    def content(self, sha256: str) -> bytes | None:
        """The bytes kept under `sha256`, as stored (unchecked); None if none."""
        ...
