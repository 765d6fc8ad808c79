"""Documents' content in memory: bytes by their SHA-256, as the SQL store keeps
them (`engine.ports.documents.ContentRecords`)."""

from __future__ import annotations

from collections.abc import Sequence

from storage.memory.state import MemoryRows


class ContentMemory(MemoryRows):
    def put_content(self, sha256: str, data: bytes) -> None:
        self._writing()
        self.s.contents.setdefault(sha256, bytes(data))

    def put_contents(self, contents: Sequence[tuple[str, bytes]]) -> None:
        for sha256, data in contents:
            self.put_content(sha256, data)

    def forget_contents(self, case_id: int, digests: Sequence[str]) -> int:
        self._writing()
        shared = {
            d.sha256
            for docs in self.s.documents.values()
            for d in docs
            if d.case_id != case_id
        }
        gone = [d for d in set(digests) - shared if d in self.s.contents]
        for sha256 in gone:
            del self.s.contents[sha256]
        return len(gone)

    def content(self, sha256: str) -> bytes | None:
        return self.s.contents.get(sha256)
