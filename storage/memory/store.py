"""`InMemoryCaseStore`: the store contract over dicts, for fast unit tests.

A transaction holds one lock for its whole life (like SQLite's BEGIN IMMEDIATE)
and works on a private copy of what it changes; commit applies the changes,
an exception discards them, so nothing is ever half-written. It plays every
role of the port, one class each: `CaseMemory` (cases.py), `RecordMemory` and
`PeopleMemory` (people.py), `ChaseMemory` and `ApiMemory` (outbox.py),
`PersonalMemory` (personal.py), `SearchMemory` (search.py),
`SessionMemory` (sessions.py) and `ContentMemory` (contents.py).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from storage.memory.cases import CaseMemory
from storage.memory.contents import ContentMemory
from storage.memory.outbox import ApiMemory, ChaseMemory
from storage.memory.people import PeopleMemory, RecordMemory
from storage.memory.personal import PersonalMemory
from storage.memory.search import SearchMemory
from storage.memory.sessions import SessionMemory
from storage.memory.state import MemoryState


class InMemoryCaseStore:
    """The same behaviour as `SqlCaseStore`, kept in memory."""

    def __init__(self) -> None:
        self._state = MemoryState()
        self._lock = threading.RLock()

    def forget(self) -> str:
        """Nothing to rewrite: an erased value is gone with the dict entry."""
        return "nothing to rewrite in memory"

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_MemoryTransaction]:
        with self._lock:
            work = copy.deepcopy(self._state) if write else self._state
            yield _MemoryTransaction(work, writable=write)
            if write:
                self._state = work


class _MemoryTransaction(
    CaseMemory,
    RecordMemory,
    PeopleMemory,
    ChaseMemory,
    ApiMemory,
    PersonalMemory,
    SearchMemory,
    SessionMemory,
    ContentMemory,
):
    """One unit of work: every role of the store's port."""
