"""`BulkCaseStore`: build a database in bulk, row for row what the engine writes.

The engine, the chaser and the dispatcher run on it as on any store: it is an
`engine.ports.CaseStore`, and its `BulkTransaction` (demo/bulk/transaction.py)
plays every role of the port. It answers them from memory (`BulkState`,
demo/bulk/state.py: the cases, the records of cases still moving, users, the
chaser's and the outbox's bookkeeping), and this class writes what they wrote
to the database in large batches: when `batch_rows` rows are waiting, after the
transaction that made them, in one database transaction of executemany inserts.
A case (or notification) row is inserted as it stands at its first batch and
brought up to date once, by `finish()`. Every row gets the id the database
would have given it one transaction at a time, so the result is what the
per-transition path writes (tests/demo/test_office.py compares the two).

Hazards:
    * For building only: the database must have the schema and no cases, and
      nothing else may write to it until `finish()` has returned.
    * What building does not need (`list_cases`, `audit_entries`, the
      verification streams, the access log's reads, the outbox's listings:
      demo/bulk/database.py) is answered by the database, after a complete
      flush, in a database transaction of its own: only in a transaction that
      has not written yet (RuntimeError otherwise), and a write made that way
      (`purge_access`) is not undone with the transaction. Erasing personal
      data is refused (demo/bulk/personal.py). The HTTP API's rows are not
      offered; a method the port gains must be added to the transaction (the
      type checker, holding this class to `CaseStore`, says so).
    * Until `finish()` the database is incomplete (case rows lag behind their
      records, the last batch is in memory only); if the process dies it stays
      so, and the caller decides what a half-built database is (the demo marks
      its database finished only at the end).
    * A case the caller `release`s keeps only its row in memory after the next
      flush; should it move again, its record (and its kept personal values)
      is read back from the database.
    * A transaction that raises is undone step by step (its undo log, run
      here), so the store stays as it was, like the other stores.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, func, select

from demo.bulk.rows import (
    ID_TABLES,
    RowBatch,
    Rows,
    advance_id_sequences,
    write_rows,
)
from demo.bulk.state import BulkState
from demo.bulk.transaction import BulkTransaction
from engine.ports import CaseStore
from engine.records import AuditEntry, Case, Document, NotificationStatus
from storage.database import WRITE_OPTION
from storage.sql.store import SqlCaseStore, SqlTransaction
from storage.tables import CALENDARS, CASES, OUTBOX, SEQUENCES, SETTINGS, WORKFLOWS

DEFAULT_BATCH_ROWS = 200_000


class BulkCaseStore(CaseStore):
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
        self._open: BulkTransaction | None = None
        self._postgres = engine.dialect.name == "postgresql"
        self.state = BulkState()
        self._load(with_cases=with_cases)

    # -- the unit of work ------------------------------------------------------
    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[BulkTransaction]:
        with self._lock:
            if self._open is not None:
                raise RuntimeError("BulkCaseStore transactions do not nest")
            tx = self._open = BulkTransaction(self.state, self, writable=write)
            try:
                yield tx
            except BaseException:
                tx.undo()
                raise
            finally:
                tx.close()
                self._open = None
            if self.state.waiting() >= self.batch_rows:
                self.flush()

    def wrote(self) -> bool:
        """Whether the open transaction has changed anything yet."""
        return self._open is not None and self._open.wrote()

    def finish(self) -> None:
        """Write everything that waits; the database is then complete."""
        with self._lock:
            self.flush(complete=True)

    # -- loading ---------------------------------------------------------------
    def _load(self, *, with_cases: bool) -> None:
        s = self.state
        with self.sql.transaction(write=False) as tx:
            conn = tx.conn
            cases = conn.execute(select(func.count()).select_from(CASES)).scalar_one()
            if cases and not with_cases:
                raise ValueError("bulk building needs a database without cases")
            s.users = {u.id: u for u in tx.list_users()}
            s.users_head = tx.users_head()
            s.absences = sorted(tx.absences(), key=lambda a: a.id or 0)
            for year, last in conn.execute(select(SEQUENCES.c.year, SEQUENCES.c.last)):
                s.sequences[year] = last
            for name, version, digest, body in conn.execute(
                select(
                    WORKFLOWS.c.name,
                    WORKFLOWS.c.version,
                    WORKFLOWS.c.digest,
                    WORKFLOWS.c.text,
                )
            ):
                s.workflows[name, version] = (digest, body)
            for key, spec in conn.execute(select(CALENDARS.c.id, CALENDARS.c.spec)):
                s.calendars[key] = dict(spec)
            for key, value, at in conn.execute(
                select(SETTINGS.c.key, SETTINGS.c.value, SETTINGS.c.set_at)
            ):
                s.settings[key] = (value, at)
            s.next_ids = {
                table.name: int(
                    conn.execute(
                        select(func.coalesce(func.max(table.c.id), 0))
                    ).scalar_one()
                )
                + 1
                for table in ID_TABLES
            }
            s.outbox_keys = set(
                conn.execute(select(OUTBOX.c.idempotency_key)).scalars()
            )

    # -- what a transaction asks of the store (`demo.bulk.state.Backing`) --------
    def decided_case_id(self, case: Case) -> int | None:
        """The id of a new case if decided in advance (a subclass may), else None."""
        return None

    def record_of(self, case_id: int) -> tuple[list[AuditEntry], list[Document]]:
        """The in-memory record of a case, read back from the database if released."""
        s = self.state
        if case_id not in s.history:
            # Released right after a flush, and reloaded before any new row:
            # every row of its record is in the database.
            with self.sql.transaction(write=False) as tx:
                s.history[case_id] = list(tx.history(case_id))
                s.documents[case_id] = list(tx.documents(case_id))
        return s.history[case_id], s.documents[case_id]

    def personal_of(self, case_ids: Sequence[int]) -> dict[int, dict[str, object]]:
        """The kept personal values of each case: in memory for the store's own
        cases, read back from the database (and kept) if released; any other
        id is read from the database (and not kept)."""
        s = self.state
        missing = [i for i in case_ids if i not in s.personal]
        read: dict[int, dict[str, object]] = {}
        if missing:
            # Released right after a flush, and reloaded before any new row:
            # every value of theirs is in the database.
            with self.sql.transaction(write=False) as tx:
                for case_id, values in tx.personal_values(missing).items():
                    read[case_id] = dict(values)
                    if case_id in s.numbers:
                        s.personal[case_id] = read[case_id]
        return {i: s.personal[i] if i in s.personal else read[i] for i in case_ids}

    def forget(self) -> str:
        """`SqlCaseStore.forget` on the database (the store itself erases nothing)."""
        return self.sql.forget()

    @contextmanager
    def database(self, *, write: bool) -> Iterator[SqlTransaction]:
        """Write everything that waits, then a transaction of the database."""
        self.flush(complete=True)
        with self.sql.transaction(write=write) as tx:
            yield tx

    def release(self, number: str) -> None:
        """A hint: case `number` will not move again soon.

        Its record (history, documents, kept personal values) leaves memory
        after the next flush; its row stays. Nothing changes for the engine:
        should the case move again, its record is read back from the database.
        """
        case = self.state.cases.get(number)
        if case is not None and case.id is not None:
            self.state.released.add(case.id)

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
            self.state.dirty_cases.clear()
            self.state.dirty_outbox.clear()
            if self._postgres:
                advance_id_sequences(rows, self.state.next_ids)

    def batch(self, *, complete: bool) -> RowBatch:
        """What waits to be written, as rows with their ids."""
        s = self.state
        return RowBatch(
            users=list(s.new_users),
            user_changes=list(s.new_user_changes),
            absences=list(s.new_absences),
            workflows=[(n, v, *s.workflows[n, v]) for n, v in s.new_workflows],
            calendars=[(c, s.calendars[c]) for c in s.new_calendars],
            sequences={y: s.sequences[y] for y in sorted(s.dirty_sequences)},
            settings={k: s.settings[k] for k in sorted(s.dirty_settings)},
            cases=[s.cases[s.numbers[i]] for i in s.new_cases],
            audit=list(s.new_audit),
            documents=list(s.new_documents),
            personal=list(s.new_personal),
            chases=list(s.new_chases),
            access=list(s.new_access),
            outbox=[
                (i, n) for i, n in sorted(s.outbox.items()) if i not in s.written_outbox
            ],
            case_updates=[s.cases[s.numbers[i]] for i in sorted(s.dirty_cases)]
            if complete
            else [],
            outbox_updates=[(i, s.outbox[i]) for i in sorted(s.dirty_outbox)]
            if complete
            else [],
        )

    def _forget(self) -> None:
        """After a flush: nothing waits; drop what the engine will not read soon."""
        s = self.state
        s.written_cases.update(s.new_cases)
        s.new_cases.clear()
        s.written_outbox.update(s.outbox)
        # A notification is kept while pending or not yet updated in the database.
        s.outbox = {
            i: n
            for i, n in s.outbox.items()
            if n.status == NotificationStatus.PENDING or i in s.dirty_outbox
        }
        s.written_outbox.intersection_update(s.outbox)
        for appended in (
            s.new_audit,
            s.new_documents,
            s.new_personal,
            s.new_chases,
            s.new_access,
            s.new_users,
            s.new_user_changes,
            s.new_absences,
            s.new_workflows,
            s.new_calendars,
        ):
            appended.clear()
        s.dirty_sequences.clear()
        s.dirty_settings.clear()
        for case_id in s.released:
            s.history.pop(case_id, None)
            s.documents.pop(case_id, None)
            s.personal.pop(case_id, None)
        s.released.clear()
