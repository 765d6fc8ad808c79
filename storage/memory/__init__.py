"""The in-memory store: the SQL store's behaviour over dicts."""

from __future__ import annotations

from storage.memory.store import InMemoryCaseStore

__all__ = ["InMemoryCaseStore"]
