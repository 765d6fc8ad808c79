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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, insert, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
    StorageError,
)
from engine.records import (
    AccessEntry,
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    ChaseRecord,
    Document,
    JsonDict,
    Notification,
    NotificationStatus,
    OverdueCase,
    UnreadableEntry,
    User,
    format_case_number,
    overdue_of,
    parse_case_number,
)
from storage.database import WRITE_OPTION
from storage.sql import (
    ACCESS,
    AUDIT,
    CALENDARS,
    CASES,
    CHASES,
    DOCUMENTS,
    OUTBOX,
    SEQUENCES,
    SETTINGS,
    USERS,
    WORKFLOWS,
    SqlCaseStore,
    SqlTransaction,
)

DEFAULT_BATCH_ROWS = 200_000
ID_TABLES = (CASES, AUDIT, DOCUMENTS, OUTBOX, ACCESS)

Undo = Callable[[], object]


class BulkCaseStore:
    """A write-behind store for building a new database quickly.

    Args:
        engine: the database, migrated and without cases.
        batch_rows: flush when this many rows are waiting.
        with_cases: accept a database that holds cases (their rows are not
            read: only for `storage.bulk_shards`, whose cases are new).

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


@dataclass(slots=True)
class RowBatch:
    """Rows for one database transaction, with their ids (see `write_rows`)."""

    users: list[User] = field(default_factory=list)
    workflows: list[tuple[str, int, str, str]] = field(default_factory=list)
    calendars: list[tuple[str, JsonDict]] = field(default_factory=list)
    sequences: dict[int, int] = field(default_factory=dict)  # year -> last
    settings: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)  # new, ids set
    audit: list[tuple[int, AuditEntry]] = field(default_factory=list)
    documents: list[tuple[int, Document]] = field(default_factory=list)
    chases: list[ChaseRecord] = field(default_factory=list)
    access: list[AccessEntry] = field(default_factory=list)  # ids set
    outbox: list[tuple[int, Notification]] = field(default_factory=list)
    case_updates: list[Case] = field(default_factory=list)
    outbox_updates: list[tuple[int, Notification]] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.cases)
            + len(self.audit)
            + len(self.documents)
            + len(self.chases)
            + len(self.access)
            + len(self.outbox)
            + len(self.case_updates)
            + len(self.outbox_updates)
        )


def write_rows(rows: Rows, batch: RowBatch) -> None:
    """Insert (and update) `batch`'s rows, parents before children."""
    rows.insert(USERS, [_user_row(u) for u in batch.users])
    rows.insert(
        WORKFLOWS,
        [
            {"name": n, "version": v, "digest": digest, "text": body}
            for n, v, digest, body in batch.workflows
        ],
    )
    rows.insert(CALENDARS, [{"id": c, "spec": spec} for c, spec in batch.calendars])
    rows.upsert(
        SEQUENCES, "year", [{"year": y, "last": n} for y, n in batch.sequences.items()]
    )
    rows.upsert(
        SETTINGS,
        "key",
        [
            {"key": k, "value": value, "set_at": at}
            for k, (value, at) in batch.settings.items()
        ],
    )
    rows.insert(CASES, [_case_row(c) | {"id": c.id} for c in batch.cases])
    rows.insert(AUDIT, [_audit_row(e) | {"id": i} for i, e in batch.audit])
    rows.insert(DOCUMENTS, [_row(d, DOCUMENTS) | {"id": i} for i, d in batch.documents])
    rows.insert(CHASES, [_row(c, CHASES) for c in batch.chases])
    rows.insert(ACCESS, [_row(a, ACCESS) | {"id": a.id} for a in batch.access])
    rows.insert(OUTBOX, [_row(n, OUTBOX) | {"id": i} for i, n in batch.outbox])
    rows.update(CASES, [_case_row(c) | {"id": c.id} for c in batch.case_updates])
    rows.update(OUTBOX, [_row(n, OUTBOX) | {"id": i} for i, n in batch.outbox_updates])


def advance_id_sequences(rows: Rows, next_ids: dict[str, int]) -> None:
    """PostgreSQL: explicit ids leave the id sequences behind; bring them up."""
    for table in ID_TABLES:
        last = next_ids[table.name] - 1
        if last:
            rows.conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                {"t": table.name, "v": last},
            )


class Rows:
    """Many rows at once through the driver's executemany.

    Values go through the bind processors SQLAlchemy uses for these columns
    (JSON text, the UTC datetime type, dates), so what is stored is what the
    `SqlCaseStore`'s own statements store; only the per-row overhead goes.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._many(insert(table), table, rows, list(rows[0]))

    def update(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows by their "id" column."""
        if rows:
            stmt = sql_update(table).where(table.c.id == bindparam("row_id"))
            keys = [k for k in rows[0] if k != "id"]
            named = [{**r, "row_id": r["id"]} for r in rows]
            self._many(stmt, table, named, keys, where={"row_id": table.c.id})

    def upsert(self, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
        postgres = self.dialect.name == "postgresql"
        dialect_insert = pg_insert if postgres else sqlite_insert
        for row in rows:  # a handful: one statement each
            stmt = dialect_insert(table).values(**row)
            self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[key],
                    set_={k: v for k, v in row.items() if k != key},
                )
            )

    def _many(
        self,
        stmt: Any,
        table: Table,
        rows: list[dict[str, Any]],
        keys: list[str],
        where: dict[str, Any] | None = None,
    ) -> None:
        compiled = stmt.compile(dialect=self.dialect, column_keys=keys)
        columns = {k: table.c[k] for k in keys} | (where or {})
        process = {
            name: column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
            for name, column in columns.items()
        }
        names = (
            list(compiled.positiontup or ()) if compiled.positional else list(columns)
        )
        params = [
            [process[n](row[n]) if process[n] is not None else row[n] for n in names]
            for row in rows
        ]
        if compiled.positional:
            self.conn.exec_driver_sql(compiled.string, [tuple(p) for p in params])
        else:
            named = [dict(zip(names, p, strict=True)) for p in params]
            self.conn.exec_driver_sql(compiled.string, named)


class BulkTransaction:
    """One unit of work on a `BulkCaseStore` (see its docstring)."""

    def __init__(self, store: BulkCaseStore, *, writable: bool) -> None:
        self.b = store
        self.writable = writable

    def _writing(self) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot write")

    # -- case numbers ------------------------------------------------------------
    def next_case_number(self, year: int) -> str:
        self._writing()
        last = self.b.sequences.get(year, 0) + 1
        self._set_sequence(year, last)
        return format_case_number(year, last)

    def reserve_case_number(self, number: str) -> None:
        self._writing()
        year, seq = parse_case_number(number)
        if number in self.b.cases:
            raise DuplicateError(f"case {number} already exists")
        self._set_sequence(year, max(self.b.sequences.get(year, 0), seq))

    def _set_sequence(self, year: int, last: int) -> None:
        b = self.b
        old = b.sequences.get(year)
        was_dirty = year in b.dirty_sequences
        b.sequences[year] = last
        b.dirty_sequences.add(year)

        def undo() -> None:
            if old is None:
                del b.sequences[year]
            else:
                b.sequences[year] = old
            if not was_dirty:
                b.dirty_sequences.discard(year)

        b.log(undo)

    # -- cases -----------------------------------------------------------------
    def add_case(self, case: Case) -> Case:
        self._writing()
        b = self.b
        if case.number in b.cases:
            raise DuplicateError(f"case {case.number} already exists")
        stored = replace(case, id=b.new_case_id(case))
        b.put_case(stored)
        case_id = stored.id or 0
        b.history[case_id] = []
        b.documents[case_id] = []
        b.new_cases.append(case_id)

        def undo() -> None:
            b.history.pop(case_id, None)
            b.documents.pop(case_id, None)
            b.new_cases.pop()

        b.log(undo)
        return stored

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        try:
            return self.b.cases[number]
        except KeyError:
            raise CaseNotFoundError(number) from None

    def update_case(self, case: Case, *, expected_version: int) -> None:
        self._writing()
        number = self.b.numbers.get(case.id or 0)
        current = self.b.cases[number] if number is not None else None
        if current is None or current.version != expected_version:
            actual = current.version if current is not None else None
            raise ConcurrentUpdateError(case.number, expected_version, actual)
        self.b.put_case(case)

    def append_audit(self, entry: AuditEntry) -> None:
        self._writing()
        history, _ = self.b.record_of(entry.case_id)
        if history and history[-1].seq >= entry.seq:
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1)
        row_id = self.b.take_id(AUDIT)
        self.b.append(history, entry)
        self.b.append(self.b.new_audit, (row_id, entry))

    def add_document(self, document: Document) -> None:
        self._writing()
        _, documents = self.b.record_of(document.case_id)
        if documents and documents[-1].seq >= document.seq:
            raise StorageError(
                f"database error: document {document.number} is journalised already"
            )
        row_id = self.b.take_id(DOCUMENTS)
        self.b.append(documents, document)
        self.b.append(self.b.new_documents, (row_id, document))

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.append_audit(entry)

    def add_documents(self, documents: Sequence[Document]) -> None:
        for document in documents:
            self.add_document(document)

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        return tuple(self.b.record_of(case_id)[0])

    def documents(self, case_id: int) -> Sequence[Document]:
        return tuple(self.b.record_of(case_id)[1])

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        return {i: self.history(i) for i in case_ids}

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        return {i: self.documents(i) for i in case_ids}

    # -- what only the database answers ---------------------------------------------
    def __getattr__(self, name: str) -> Any:
        """Any other method of the store protocol, run on the database."""
        if name.startswith("_") or not callable(getattr(SqlTransaction, name, None)):
            raise AttributeError(name)

        def on_database(*args: Any, **kwargs: Any) -> Any:
            with self._database(write=self.writable) as tx:
                result = getattr(tx, name)(*args, **kwargs)
                return list(result) if isinstance(result, Iterator) else result

        return on_database

    @contextmanager
    def _database(self, *, write: bool = False) -> Iterator[SqlTransaction]:
        if self.b.wrote():
            raise RuntimeError(
                "BulkCaseStore answers this from the database: not in a "
                "transaction that has written"
            )
        self.b.flush(complete=True)
        with self.b.sql.transaction(write=write) as tx:
            yield tx

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        with self._database() as tx:
            return tx.list_cases(selection)

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        with self._database() as tx:
            yield from tx.audit_entries(selection)

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        with self._database() as tx:
            yield from tx.verify_entries()

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        with self._database() as tx:
            yield from tx.chain_heads()

    def access_entries(
        self, *, case_number: str | None = None, actor: str | None = None
    ) -> Iterator[AccessEntry]:
        with self._database() as tx:
            yield from tx.access_entries(case_number=case_number, actor=actor)

    def purge_access(self, before: datetime) -> int:
        self._writing()
        with self._database(write=True) as tx:
            return tx.purge_access(before)

    def get_notification(self, notification_id: int) -> Notification | None:
        found = self.b.outbox.get(notification_id)
        if found is not None:
            return found
        with self._database() as tx:
            return tx.get_notification(notification_id)

    def list_notifications(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Sequence[Notification]:
        with self._database() as tx:
            return tx.list_notifications(status=status, limit=limit)

    # -- users, workflows, calendars, access, settings ----------------------------
    def add_user(self, user: User) -> None:
        self._writing()
        b = self.b
        if user.id in b.users:
            raise DuplicateError(f"user {user.id!r} already exists")
        b.users[user.id] = user
        b.log(lambda: b.users.pop(user.id))
        b.append(b.new_users, user)

    def get_user(self, user_id: str) -> User | None:
        return self.b.users.get(user_id)

    def list_users(self) -> Sequence[User]:
        return [self.b.users[k] for k in sorted(self.b.users)]

    def users_with_role(self, role: str) -> Sequence[User]:
        return [u for u in self.list_users() if role in u.roles]

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        self._writing()
        b = self.b
        stored = b.workflows.get((name, version))
        if stored is not None:
            return stored[0]
        b.workflows[name, version] = (digest, text)
        b.log(lambda: b.workflows.pop((name, version)))
        b.append(b.new_workflows, (name, version))
        return digest

    def workflow_text(self, name: str, version: int) -> str | None:
        found = self.b.workflows.get((name, version))
        return found[1] if found else None

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        self._writing()
        b = self.b
        if calendar_id in b.calendars:
            return
        b.calendars[calendar_id] = spec
        b.log(lambda: b.calendars.pop(calendar_id))
        b.append(b.new_calendars, calendar_id)

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        return self.b.calendars.get(calendar_id)

    def record_access(self, entry: AccessEntry) -> None:
        self._writing()
        self.b.append(self.b.new_access, replace(entry, id=self.b.take_id(ACCESS)))

    def get_setting(self, key: str) -> str | None:
        found = self.b.settings.get(key)
        return found[0] if found is not None else None

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        self._writing()
        b = self.b
        old = b.settings.get(key)
        was_dirty = key in b.dirty_settings
        b.settings[key] = (value, at)
        b.dirty_settings.add(key)

        def undo() -> None:
            if old is None:
                del b.settings[key]
            else:
                b.settings[key] = old
            if not was_dirty:
                b.dirty_settings.discard(key)

        b.log(undo)

    # -- the chaser ----------------------------------------------------------------
    def chase_candidates(self, before: date, *, limit: int) -> Sequence[Case]:
        b = self.b
        found: list[Case] = []
        for day in sorted(d for d in b.chase_index if d < before):
            for case_id in sorted(b.chase_index[day]):
                found.append(b.cases[b.numbers[case_id]])
                if len(found) == limit:
                    return found
        return found

    def overdue_cases(
        self, before: date, *, limit: int, offset: int = 0
    ) -> Sequence[OverdueCase]:
        due = self.chase_candidates(before, limit=offset + limit)[offset:]
        return [overdue_of(c) for c in due]

    def count_overdue(self, before: date) -> int:
        return sum(len(ids) for day, ids in self.b.chase_index.items() if day < before)

    def record_chase(self, chase: ChaseRecord) -> bool:
        self._writing()
        b = self.b
        key = (chase.case_id, chase.entry_seq, chase.rung)
        if key in b.chase_keys:
            return False
        b.chase_keys.add(key)
        b.log(lambda: b.chase_keys.discard(key))
        b.append(b.new_chases, chase)
        return True

    # -- the outbox -------------------------------------------------------------------
    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        return sum(self.add_notification(n) for n in notifications)

    def add_notification(self, notification: Notification) -> bool:
        self._writing()
        b = self.b
        key = notification.idempotency_key
        if key in b.outbox_keys:
            return False
        stored = replace(notification, id=b.take_id(OUTBOX))
        b.outbox_keys.add(key)
        b.outbox[stored.id or 0] = stored
        if stored.status == NotificationStatus.PENDING:
            b.pending[stored.id or 0] = None

        def undo() -> None:
            b.outbox_keys.discard(key)
            del b.outbox[stored.id or 0]
            b.pending.pop(stored.id or 0, None)

        b.log(undo)
        return True

    def _put_notification(self, notification: Notification) -> None:
        b = self.b
        row_id = notification.id or 0
        old = b.outbox[row_id]
        was_dirty = row_id in b.dirty_outbox
        b.outbox[row_id] = notification
        if notification.status == NotificationStatus.PENDING:
            b.pending[row_id] = None
        else:
            b.pending.pop(row_id, None)
        if row_id in b.written_outbox:  # else it is inserted as it is now
            b.dirty_outbox.add(row_id)

        def undo() -> None:
            b.outbox[row_id] = old
            if old.status == NotificationStatus.PENDING:
                b.pending[row_id] = None
            else:
                b.pending.pop(row_id, None)
            if not was_dirty:
                b.dirty_outbox.discard(row_id)

        b.log(undo)

    def claim_notifications(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> Sequence[Notification]:
        self._writing()
        claimed: list[Notification] = []
        for row_id in sorted(self.b.pending):
            n = self.b.outbox[row_id]
            if n.available_at <= now and (
                n.locked_until is None or n.locked_until < now
            ):
                leased = replace(n, locked_until=lease_until, attempts=n.attempts + 1)
                self._put_notification(leased)
                claimed.append(leased)
                if len(claimed) == limit:
                    break
        return claimed

    def finish_notification(
        self,
        notification_id: int,
        *,
        claimed_attempts: int,
        status: str,
        sent_at: datetime | None = None,
        error: str | None = None,
        available_at: datetime | None = None,
    ) -> bool:
        self._writing()
        n = self.b.outbox.get(notification_id)
        if n is None:  # flushed as sent or failed: it is not ours to finish
            return False
        if n.status == NotificationStatus.SENT or n.attempts != claimed_attempts:
            return False
        self._put_notification(
            replace(
                n,
                status=status,
                locked_until=None,
                sent_at=sent_at,
                last_error=error,
                available_at=available_at or n.available_at,
            )
        )
        return True


def _user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "roles": list(user.roles),
        "email": user.email,
        "created_at": user.created_at,
    }


# -- rows ----------------------------------------------------------------------
# The mapping of storage.sql (`_columns`, `_case_columns`, `_audit_columns`),
# with each table's column names looked up once instead of once a row.
_NAMES: dict[str, tuple[str, ...]] = {
    t.name: tuple(c.name for c in t.columns if c.name != "id")
    for t in (CASES, AUDIT, DOCUMENTS, CHASES, ACCESS, OUTBOX)
}


def _row(record: object, table: Table) -> dict[str, Any]:
    return {name: getattr(record, name) for name in _NAMES[table.name]}


def _case_row(case: Case) -> dict[str, Any]:
    return _row(case, CASES) | {
        "parties": [
            {"role": p.role, "name": p.name, "email": p.email} for p in case.parties
        ],
        "data": dict(case.data),
    }


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return _row(entry, AUDIT) | {"data": dict(entry.data)}
