"""What a `BulkCaseStore` holds in memory, and what its transaction's parts share.

`BulkState` is the store's memory: what the engine reads (cases, the records of
cases still moving, users, rules, the chaser's and the outbox's bookkeeping)
and what waits to be written. The store (demo/bulk/store.py) loads it, writes
what waits and forgets what was written; a transaction (demo/bulk/transaction.py)
reads and changes it through `BulkRows`, which logs an undo step for each
change, and asks its store for the rest through `Backing`.

Hazards:
    * A transaction changes the state in place (there is no private copy, as
      storage/memory has): only the undo log stands between a transaction
      that raises and a changed store, so every change goes through
      `BulkRows`'s helpers or logs its own undo step.
    * `outbox` holds a notification until a flush has written it as it
      stands and it is no longer pending; `pending` holds the ids of the
      pending ones (what a claim looks through) and must follow every change
      of a notification's status. A flush replaces `outbox` (a new dict): read
      it from the state, never keep it across a database read.
    * `personal` follows `history`: a case's kept personal values leave memory
      when its record does (released, after a flush), so they are read
      through the store's `personal_of`, never from the state directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Table

from engine.records import (
    Absence,
    AccessEntry,
    AuditEntry,
    Case,
    ChaseRecord,
    Document,
    JsonDict,
    Notification,
    User,
    UserChange,
)
from storage.sql.store import SqlTransaction

Undo = Callable[[], object]
K = TypeVar("K")
V = TypeVar("V")


@dataclass(slots=True)
class BulkState:
    """The in-memory side of a `BulkCaseStore`: what the engine reads, what waits."""

    # what the engine reads
    cases: dict[str, Case] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)  # case id -> number
    # a case's record; absent when released (read back from the database)
    history: dict[int, list[AuditEntry]] = field(default_factory=dict)
    documents: dict[int, list[Document]] = field(default_factory=dict)
    # a case's kept personal values (commitment -> value); absent when released
    personal: dict[int, dict[str, object]] = field(default_factory=dict)
    chase_index: dict[date, set[int]] = field(default_factory=dict)  # chase_due -> ids
    chase_keys: set[tuple[int, int, str]] = field(default_factory=set)
    # notifications not yet flushed, or pending
    outbox: dict[int, Notification] = field(default_factory=dict)
    pending: dict[int, None] = field(default_factory=dict)  # pending ids, in order
    outbox_keys: set[str] = field(default_factory=set)
    users: dict[str, User] = field(default_factory=dict)
    users_head: tuple[int, str] = (0, "0" * 64)  # the users' chain's end
    absences: list[Absence] = field(default_factory=list)  # in the order recorded
    sequences: dict[int, int] = field(default_factory=dict)
    workflows: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    calendars: dict[str, JsonDict] = field(default_factory=dict)
    settings: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    next_ids: dict[str, int] = field(default_factory=dict)  # table -> its next id
    # what waits to be written
    released: set[int] = field(default_factory=set)  # records to drop after a flush
    new_cases: list[int] = field(default_factory=list)
    written_cases: set[int] = field(default_factory=set)
    dirty_cases: set[int] = field(default_factory=set)
    written_outbox: set[int] = field(default_factory=set)
    dirty_outbox: set[int] = field(default_factory=set)
    new_audit: list[tuple[int, AuditEntry]] = field(default_factory=list)
    new_documents: list[tuple[int, Document]] = field(default_factory=list)
    new_personal: list[tuple[int, str, object]] = field(default_factory=list)
    new_chases: list[ChaseRecord] = field(default_factory=list)
    new_access: list[AccessEntry] = field(default_factory=list)
    new_users: list[User] = field(default_factory=list)
    new_user_changes: list[UserChange] = field(default_factory=list)
    new_absences: list[Absence] = field(default_factory=list)
    new_workflows: list[tuple[str, int]] = field(default_factory=list)
    new_calendars: list[str] = field(default_factory=list)
    dirty_sequences: set[int] = field(default_factory=set)
    dirty_settings: set[str] = field(default_factory=set)

    def waiting(self) -> int:
        """How many rows wait to be written."""
        return (
            len(self.new_audit)
            + len(self.new_documents)
            + len(self.new_personal)
            + len(self.new_chases)
            + len(self.new_access)
            + len(self.new_absences)
            + len(self.new_cases)
            + len(self.outbox)
        )


class Backing(Protocol):
    """What a transaction asks of its store (a `BulkCaseStore`)."""

    def decided_case_id(self, case: Case) -> int | None:
        """The id of a new case if decided in advance; None: the next free id."""
        ...

    def record_of(self, case_id: int) -> tuple[list[AuditEntry], list[Document]]:
        """The case's record in memory, read back from the database if released."""
        ...

    def personal_of(self, case_ids: Sequence[int]) -> dict[int, dict[str, object]]:
        """The kept personal values of each case, in memory for the store's own
        (read back from the database if released), else read from it."""
        ...

    def database(self, *, write: bool) -> AbstractContextManager[SqlTransaction]:
        """A transaction of the database, once everything waiting is written."""
        ...


class BulkRows:
    """A transaction's view of the state: every change with its undo step.

    Args:
        state: the store's memory, changed in place.
        store: the store, for what memory does not hold.
        writable: whether the transaction may write.
    """

    def __init__(self, state: BulkState, store: Backing, *, writable: bool) -> None:
        self.s = state
        self.store = store
        self.writable = writable
        self._undo: list[Undo] | None = []  # None once the transaction is over

    def wrote(self) -> bool:
        """Whether the transaction has changed anything yet."""
        return bool(self._undo)

    def undo(self) -> None:
        """Take back every change, newest first."""
        for undo in reversed(self._undo or ()):
            undo()

    def close(self) -> None:
        """The transaction is over: a change after this is a mistake."""
        self._undo = None

    def _writing(self) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot write")

    def _log(self, undo: Undo) -> None:
        assert self._undo is not None, "a change outside a transaction"
        self._undo.append(undo)

    def _append(self, rows: list[Any], row: Any) -> None:
        rows.append(row)
        self._log(rows.pop)

    def _set(self, values: dict[K, V], dirty: set[K], key: K, value: V) -> None:
        """`values[key] = value`, marked to be written."""
        old = values.get(key)
        was_dirty = key in dirty
        values[key] = value
        dirty.add(key)

        def undo() -> None:
            if old is None:
                del values[key]
            else:
                values[key] = old
            if not was_dirty:
                dirty.discard(key)

        self._log(undo)

    def _take_id(self, table: Table) -> int:
        ids = self.s.next_ids
        new = ids[table.name]
        ids[table.name] = new + 1

        def undo() -> None:
            ids[table.name] = new

        self._log(undo)
        return new

    @contextmanager
    def _database(self, *, write: bool = False) -> Iterator[SqlTransaction]:
        """The database, for what memory does not answer (see demo/bulk/store.py)."""
        if self.wrote():
            raise RuntimeError(
                "BulkCaseStore answers this from the database: not in a "
                "transaction that has written"
            )
        with self.store.database(write=write) as tx:
            yield tx
