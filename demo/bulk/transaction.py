"""`BulkTransaction`: one unit of work on a `BulkCaseStore` (demo/bulk/store.py).

It answers the engine from the store's memory and leaves what it writes there
(with an undo step for each), for the store to write in batches; what building
does not need is answered by the database (see demo/bulk/store.py's hazards).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

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
from storage.sql.store import SqlTransaction
from storage.tables import ACCESS, AUDIT, DOCUMENTS, OUTBOX

if TYPE_CHECKING:
    from demo.bulk.store import BulkCaseStore


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
