"""Documents' content in memory: bytes by their SHA-256, as the SQL store keeps
them (`engine.ports.documents.ContentRecords`)."""

from __future__ import annotations

from storage.memory.state import MemoryRows


class ContentMemory(MemoryRows):
    def put_content(self, sha256: str, data: bytes) -> None:
        self._writing()
        self.s.contents.setdefault(sha256, bytes(data))

    def content(self, sha256: str) -> bytes | None:
        return self.s.contents.get(sha256)
