"""`BulkCaseStore`: build a database in bulk, row for row what the engine writes.

The engine, the chaser and the dispatcher run on it as on any store. It answers
them from memory (the cases, the records of cases still moving, users, the
chaser's and the outbox's bookkeeping) and writes what they wrote to the
database in large batches: when `batch_rows` rows are waiting, after the
transaction that made them, in one database transaction of executemany inserts.
A case (or notification) row is inserted as it stands at its first batch and
brought up to date once, by `finish()`. Every row gets the id the database
would have given it one transaction at a time, so the result is what the
per-transition path writes (tests/demo/test_office.py compares the two).

Hazards:
    * For building only: the database must have the schema and no cases, and
      nothing else may write to it until `finish()` has returned.
    * What building does not need (`list_cases`, `audit_entries`, the API's
      tokens, any method the protocol gains later) is answered by the
      database, after a flush, in a database transaction of its own: only in
      a transaction that has not written yet (RuntimeError otherwise), and a
      write made that way is not undone with the transaction. So the class
      is not declared a `CaseStore` to the type checker; callers cast it.
    * Until `finish()` the database is incomplete (case rows lag behind their
      records, the last batch is in memory only); if the process dies it stays
      so, and the caller decides what a half-built database is (the demo marks
      its database finished only at the end).
    * A case the caller `release`s keeps only its row in memory after the next
      flush; should it move again, its record is read back from the database.
    * A transaction that raises is undone step by step (an undo log), so the
      store stays as it was, like the other stores.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select

from demo.bulk.rows import (
    ID_TABLES,
    RowBatch,
    Rows,
    advance_id_sequences,
    write_rows,
)
from demo.bulk.transaction import BulkTransaction
from engine.records import (
    AccessEntry,
    AuditEntry,
    Case,
    ChaseRecord,
    Document,
    JsonDict,
    Notification,
    NotificationStatus,
    User,
)
from storage.database import WRITE_OPTION
from storage.sql.store import SqlCaseStore
from storage.tables import CALENDARS, CASES, OUTBOX, SEQUENCES, SETTINGS, WORKFLOWS

DEFAULT_BATCH_ROWS = 200_000

Undo = Callable[[], object]


class BulkCaseStore:
    """A write-behind store for building a new database quickly.

    Args:
        engine: the database, migrated and without cases.
        batch_rows: flush when this many rows are waiting.
        with_cases: accept a database that holds cases (their rows are not
            read: only for `demo.bulk.shards`, whose cases are new).

    Raises:
        ValueError: the database holds cases already.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        with_cases: bool = False,
    ) -> None:
        self.engine = engine
        self.sql = SqlCaseStore(engine)
        self.batch_rows = batch_rows
        self._lock = threading.RLock()
        self._undo: list[Undo] | None = None  # the open transaction's undo log
        self._postgres = engine.dialect.name == "postgresql"
        # what the engine reads
        self.cases: dict[str, Case] = {}
        self.numbers: dict[int, str] = {}  # case id -> number
        self.history: dict[int, list[AuditEntry]] = {}  # absent: released
        self.documents: dict[int, list[Document]] = {}
        self.chase_index: dict[date, set[int]] = {}  # chase_due -> case ids
        self.chase_keys: set[tuple[int, int, str]] = set()
        self.outbox: dict[int, Notification] = {}  # not yet flushed, or pending
        self.pending: dict[int, None] = {}  # ids of pending notifications, in order
        self.outbox_keys: set[str] = set()
        self.users: dict[str, User] = {}
        self.sequences: dict[int, int] = {}
        self.workflows: dict[tuple[str, int], tuple[str, str]] = {}
        self.calendars: dict[str, JsonDict] = {}
        self.settings: dict[str, tuple[str, datetime]] = {}
        # what waits to be written
        self.released: set[int] = set()  # records to drop after the next flush
        self.new_cases: list[int] = []
        self.written_cases: set[int] = set()
        self.dirty_cases: set[int] = set()
        self.written_outbox: set[int] = set()
        self.dirty_outbox: set[int] = set()
        self.new_audit: list[tuple[int, AuditEntry]] = []
        self.new_documents: list[tuple[int, Document]] = []
        self.new_chases: list[ChaseRecord] = []
        self.new_access: list[AccessEntry] = []
        self.new_users: list[User] = []
        self.new_workflows: list[tuple[str, int]] = []
        self.new_calendars: list[str] = []
        self.dirty_sequences: set[int] = set()
        self.dirty_settings: set[str] = set()
        self._load(with_cases=with_cases)

    # -- the unit of work ------------------------------------------------------
    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[BulkTransaction]:
        with self._lock:
            if self._undo is not None:
                raise RuntimeError("BulkCaseStore transactions do not nest")
            self._undo = []
            try:
                yield BulkTransaction(self, writable=write)
            except BaseException:
                for undo in reversed(self._undo):
                    undo()
                raise
            finally:
                self._undo = None
            if self.waiting() >= self.batch_rows:
                self.flush()

    def wrote(self) -> bool:
        """Whether the open transaction has changed anything yet."""
        return bool(self._undo)

    def log(self, undo: Undo) -> None:
        assert self._undo is not None, "a change outside a transaction"
        self._undo.append(undo)

    def waiting(self) -> int:
        """How many rows wait to be written."""
        return (
            len(self.new_audit)
            + len(self.new_documents)
            + len(self.new_chases)
            + len(self.new_access)
            + len(self.new_cases)
            + len(self.outbox)
        )

    def finish(self) -> None:
        """Write everything that waits; the database is then complete."""
        with self._lock:
            self.flush(complete=True)

    # -- loading ---------------------------------------------------------------
    def _load(self, *, with_cases: bool) -> None:
        with self.sql.transaction(write=False) as tx:
            conn = tx.conn
            cases = conn.execute(select(func.count()).select_from(CASES)).scalar_one()
            if cases and not with_cases:
                raise ValueError("bulk building needs a database without cases")
            self.users = {u.id: u for u in tx.list_users()}
            for year, last in conn.execute(select(SEQUENCES.c.year, SEQUENCES.c.last)):
                self.sequences[year] = last
            for name, version, digest, body in conn.execute(
                select(
                    WORKFLOWS.c.name,
                    WORKFLOWS.c.version,
                    WORKFLOWS.c.digest,
                    WORKFLOWS.c.text,
                )
            ):
                self.workflows[name, version] = (digest, body)
            for key, spec in conn.execute(select(CALENDARS.c.id, CALENDARS.c.spec)):
                self.calendars[key] = dict(spec)
            for key, value, at in conn.execute(
                select(SETTINGS.c.key, SETTINGS.c.value, SETTINGS.c.set_at)
            ):
                self.settings[key] = (value, at)
            self.next_ids = {
                table.name: int(
                    conn.execute(
                        select(func.coalesce(func.max(table.c.id), 0))
                    ).scalar_one()
                )
                + 1
                for table in ID_TABLES
            }
            self.outbox_keys = set(
                conn.execute(select(OUTBOX.c.idempotency_key)).scalars()
            )

    def new_case_id(self, case: Case) -> int:
        """The id of a new case (a subclass may decide them in advance)."""
        return self.take_id(CASES)

    def take_id(self, table: Table) -> int:
        new = self.next_ids[table.name]
        self.next_ids[table.name] = new + 1

        def undo() -> None:
            self.next_ids[table.name] = new

        self.log(undo)
        return new

    # -- cases in memory -------------------------------------------------------
    def put_case(self, case: Case) -> None:
        """Store `case` (new or changed), keeping the chase index and undo log."""
        assert case.id is not None
        old = self.cases.get(case.number)
        self.cases[case.number] = case
        self.numbers[case.id] = case.number
        self._index(old, case)
        was_dirty = case.id in self.dirty_cases
        if case.id in self.written_cases:
            self.dirty_cases.add(case.id)

        def undo() -> None:
            self._index(case, old)
            if not was_dirty:
                self.dirty_cases.discard(case.id or 0)
            if old is None:
                del self.cases[case.number]
                del self.numbers[case.id or 0]
            else:
                self.cases[case.number] = old

        self.log(undo)

    def _index(self, old: Case | None, new: Case | None) -> None:
        before = old.chase_due if old is not None else None
        after = new.chase_due if new is not None else None
        if before == after:
            return
        if before is not None and old is not None:
            ids = self.chase_index[before]
            ids.discard(old.id or 0)
            if not ids:
                del self.chase_index[before]
        if after is not None and new is not None:
            self.chase_index.setdefault(after, set()).add(new.id or 0)

    def release(self, number: str) -> None:
        """A hint: case `number` will not move again soon.

        Its record (history and documents) leaves memory after the next flush;
        its row stays. Nothing changes for the engine: should the case move
        again, its record is read back from the database.
        """
        case = self.cases.get(number)
        if case is not None and case.id is not None:
            self.released.add(case.id)

    def record_of(self, case_id: int) -> tuple[list[AuditEntry], list[Document]]:
        """The in-memory record of a case, read back from the database if released."""
        if case_id not in self.history:
            # Released right after a flush, and reloaded before any new row:
            # every row of its record is in the database.
            with self.sql.transaction(write=False) as tx:
                self.history[case_id] = list(tx.history(case_id))
                self.documents[case_id] = list(tx.documents(case_id))
        return self.history[case_id], self.documents[case_id]

    def append(self, rows: list[Any], row: Any) -> None:
        rows.append(row)
        self.log(rows.pop)

    # -- writing ---------------------------------------------------------------
    def flush(self, *, complete: bool = False) -> None:
        """Write what waits, in one database transaction, then release memory.

        Rows are appended; a case or notification row is inserted as it is at
        its first flush and updated only by a `complete` flush (`finish()` and
        before the database answers a read), so a case moving all year is not
        rewritten at every batch.
        """
        if self.wrote():
            raise RuntimeError("cannot flush in the middle of a transaction")
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                self._write(Rows(conn), complete=complete)
        self._forget()

    def _write(self, rows: Rows, *, complete: bool) -> None:
        batch = self.batch(complete=complete)
        write_rows(rows, batch)
        if complete:
            self.dirty_cases.clear()
            self.dirty_outbox.clear()
            if self._postgres:
                advance_id_sequences(rows, self.next_ids)

    def batch(self, *, complete: bool) -> RowBatch:
        """What waits to be written, as rows with their ids."""
        return RowBatch(
            users=list(self.new_users),
            workflows=[(n, v, *self.workflows[n, v]) for n, v in self.new_workflows],
            calendars=[(c, self.calendars[c]) for c in self.new_calendars],
            sequences={y: self.sequences[y] for y in sorted(self.dirty_sequences)},
            settings={k: self.settings[k] for k in sorted(self.dirty_settings)},
            cases=[self.cases[self.numbers[i]] for i in self.new_cases],
            audit=list(self.new_audit),
            documents=list(self.new_documents),
            chases=list(self.new_chases),
            access=list(self.new_access),
            outbox=[
                (i, n)
                for i, n in sorted(self.outbox.items())
                if i not in self.written_outbox
            ],
            case_updates=[self.cases[self.numbers[i]] for i in sorted(self.dirty_cases)]
            if complete
            else [],
            outbox_updates=[(i, self.outbox[i]) for i in sorted(self.dirty_outbox)]
            if complete
            else [],
        )

    def _forget(self) -> None:
        """After a flush: nothing waits; drop what the engine will not read soon."""
        self.written_cases.update(self.new_cases)
        self.new_cases.clear()
        self.written_outbox.update(self.outbox)
        # A notification is kept while pending or not yet updated in the database.
        self.outbox = {
            i: n
            for i, n in self.outbox.items()
            if n.status == NotificationStatus.PENDING or i in self.dirty_outbox
        }
        self.written_outbox.intersection_update(self.outbox)
        for appended in (
            self.new_audit,
            self.new_documents,
            self.new_chases,
            self.new_access,
            self.new_users,
            self.new_workflows,
            self.new_calendars,
        ):
            appended.clear()
        self.dirty_sequences.clear()
        self.dirty_settings.clear()
        for case_id in self.released:
            self.history.pop(case_id, None)
            self.documents.pop(case_id, None)
        self.released.clear()
