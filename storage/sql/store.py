"""`SqlCaseStore`: the engine's store protocol over SQLModel/SQLAlchemy.

Rows are mapped to and from `engine.records` here, so no SQLModel object leaves
`storage/`. Driver errors are translated into the engine's errors (apscheduler's
`IntegrityError -> ConflictingIdError` idea): a second audit entry for one
(case, seq) or a stale version becomes `ConcurrentUpdateError`, everything else a
`StorageError` carrying the driver error as `__cause__`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
    EngineError,
    StorageError,
)
from engine.records import (
    AccessEntry,
    ApiToken,
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    ChaseRecord,
    Document,
    IdempotencyRecord,
    JsonDict,
    Notification,
    OverdueCase,
    UnreadableEntry,
    User,
    format_case_number,
    parse_case_number,
)
from storage.database import WRITE_OPTION, error_reason
from storage.sql import api as sql_tokens
from storage.sql import outbox as sql_outbox
from storage.sql import statements as stm
from storage.sql.driver import Driver
from storage.sql.mapping import (
    audit_columns,
    audit_of,
    case_columns,
    case_of,
    columns_of,
    document_of,
    record_of,
    user_of,
)
from storage.tables import (
    AccessRow,
    AuditRow,
    CalendarRow,
    CaseRow,
    CaseSequenceRow,
    ChaseRow,
    DocumentRow,
    OutboxRow,
    SettingRow,
    UserRow,
    WorkflowVersionRow,
)

_STREAM_BATCH = 1000
IN_LIST_SIZE = 500  # ids per IN list: far below SQLite's limit of bound values


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


CASES = _table(CaseRow)
AUDIT = _table(AuditRow)
DOCUMENTS = _table(DocumentRow)
USERS = _table(UserRow)
SEQUENCES = _table(CaseSequenceRow)
WORKFLOWS = _table(WorkflowVersionRow)
CALENDARS = _table(CalendarRow)
CHASES = _table(ChaseRow)
OUTBOX = _table(OutboxRow)
ACCESS = _table(AccessRow)
SETTINGS = _table(SettingRow)


class SqlCaseStore:
    """The store on SQLite (default) or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Users as committed: a user is never changed or removed once added, so
        # one read serves the store's life (every transition reads its actor).
        self.known_users: dict[str, User] = {}

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[SqlTransaction]:
        """A transaction; a read one reads one snapshot of the database throughout.

        SQLite's read transaction has one by nature; on PostgreSQL a read runs
        REPEATABLE READ (it cannot fail as a writer can), so a case read with its
        record, or a report's pages, never mix states before and after a commit.
        """
        try:
            with self.engine.connect() as conn:
                options: dict[str, object] = {WRITE_OPTION: write}
                if not write and conn.dialect.name == "postgresql":
                    options["isolation_level"] = "REPEATABLE READ"
                conn.execution_options(**options)
                with conn.begin():
                    yield SqlTransaction(
                        conn, writable=write, known_users=self.known_users
                    )
        except EngineError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {error_reason(exc)}") from exc


class SqlTransaction:
    def __init__(
        self,
        conn: Connection,
        *,
        writable: bool,
        known_users: dict[str, User] | None = None,
    ) -> None:
        self.conn = conn
        self.writable = writable
        self._known_users = {} if known_users is None else known_users
        self._added_users = False  # a user this transaction added may roll back
        self.postgres = conn.dialect.name == "postgresql"
        self.dialect = "postgresql" if self.postgres else "sqlite"
        self._users: Sequence[User] | None = None  # read once per transaction
        self.driver = Driver(conn)  # the hot path's statements (storage/sql/driver.py)

    def _writing(self) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot write")

    # -- case numbers ---------------------------------------------------------
    def next_case_number(self, year: int) -> str:
        self._writing()
        rows = self.driver.rows(stm.NEXT_CASE_NUMBER, {"which_year": year})
        if not rows:  # the year's first case
            self._ensure_year(year)
            rows = self.driver.rows(stm.NEXT_CASE_NUMBER, {"which_year": year})
        return format_case_number(year, rows[0]["last"])

    def reserve_case_number(self, number: str) -> None:
        self._writing()
        year, seq = parse_case_number(number)
        found = self.conn.execute(
            select(CASES.c.id).where(CASES.c.number == number)
        ).first()
        if found is not None:
            raise DuplicateError(f"case {number} already exists")
        self._ensure_year(year)
        bigger = func.greatest if self.postgres else func.max
        self.conn.execute(
            update(SEQUENCES)
            .where(SEQUENCES.c.year == year)
            .values(last=bigger(SEQUENCES.c.last, seq))
        )

    def _ensure_year(self, year: int) -> None:
        dialect_insert = pg_insert if self.postgres else sqlite_insert
        self.conn.execute(
            dialect_insert(SEQUENCES).values(year=year, last=0).on_conflict_do_nothing()
        )

    # -- cases ----------------------------------------------------------------
    def add_case(self, case: Case) -> Case:
        self._writing()
        try:  # no savepoint needed: a refusal rolls the whole transaction back
            (row,) = self.driver.rows(
                stm.INSERT_CASE, case_columns(case), stm.CASE_KEYS
            )
            new_id = row["id"]
        except IntegrityError as exc:
            raise DuplicateError(f"case {case.number} already exists") from exc
        return replace(case, id=new_id)

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        stmt = stm.CASE_BY_NUMBER_FOR_UPDATE if for_update else stm.CASE_BY_NUMBER
        rows = self.driver.rows(stmt, {"number": number})
        if not rows:
            raise CaseNotFoundError(number)
        return case_of(rows[0])

    def update_case(self, case: Case, *, expected_version: int) -> None:
        self._writing()
        changed = self.driver.count(
            stm.UPDATE_CASE,
            case_columns(case)
            | {"where_id": case.id, "where_version": expected_version},
            stm.UPDATE_CASE_KEYS,
        )
        if changed != 1:
            actual = self.conn.execute(
                stm.CASE_VERSION, {"id": case.id}
            ).scalar_one_or_none()
            raise ConcurrentUpdateError(case.number, expected_version, actual)

    def append_audit(self, entry: AuditEntry) -> None:
        self._writing()
        try:
            self.driver.count(stm.INSERT_AUDIT, audit_columns(entry), stm.AUDIT_KEYS)
        except IntegrityError as exc:
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1) from exc

    def add_document(self, document: Document) -> None:
        self._writing()
        self.driver.count(
            stm.INSERT_DOCUMENT, columns_of(document, DOCUMENTS), stm.DOCUMENT_KEYS
        )

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        self._writing()
        try:  # one executemany: the driver's batch, not a statement per row
            self.driver.many(
                stm.INSERT_AUDIT, [audit_columns(e) for e in entries], stm.AUDIT_KEYS
            )
        except IntegrityError as exc:
            first = entries[0]
            raise ConcurrentUpdateError(first.case_number, first.seq - 1) from exc

    def add_documents(self, documents: Sequence[Document]) -> None:
        if not documents:
            return
        self._writing()
        self.driver.many(
            stm.INSERT_DOCUMENT,
            [columns_of(d, DOCUMENTS) for d in documents],
            stm.DOCUMENT_KEYS,
        )

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        rows = self.driver.rows(stm.HISTORY, {"case_id": case_id})
        return [audit_of(r) for r in rows]

    def documents(self, case_id: int) -> Sequence[Document]:
        rows = self.driver.rows(stm.DOCUMENTS_OF_CASE, {"case_id": case_id})
        return [document_of(r) for r in rows]

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        found: dict[int, list[AuditEntry]] = {i: [] for i in case_ids}
        for chunk in _chunks(list(found)):
            rows = self.conn.execute(stm.HISTORIES, {"ids": chunk}).mappings()
            for row in rows:
                found[row["case_id"]].append(audit_of(row))
        return found

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        found: dict[int, list[Document]] = {i: [] for i in case_ids}
        for chunk in _chunks(list(found)):
            rows = self.conn.execute(stm.DOCUMENTS_OF_CASES, {"ids": chunk}).mappings()
            for row in rows:
                found[row["case_id"]].append(document_of(row))
        return found

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        order = (CASES.c.due, CASES.c.id) if selection.by_due else (CASES.c.id,)
        stmt = _case_filter(select(CASES), selection).order_by(*order)
        if selection.offset:
            stmt = stmt.offset(selection.offset)
        if selection.limit is not None:
            stmt = stmt.limit(selection.limit)
        return [case_of(r) for r in self.conn.execute(stmt).mappings()]

    def count_cases(self, selection: CaseFilter) -> int:
        stmt = _case_filter(select(func.count()).select_from(CASES), selection)
        return int(self.conn.execute(stmt).scalar_one())

    def state_counts(
        self, *, due_before: date | None = None
    ) -> Sequence[tuple[str, str, int]]:
        stmt = select(CASES.c.workflow, CASES.c.state, func.count()).group_by(
            CASES.c.workflow, CASES.c.state
        )
        if due_before is not None:
            stmt = stmt.where(CASES.c.due < due_before)
        rows = self.conn.execute(stmt.order_by(CASES.c.workflow, CASES.c.state))
        return [(str(w), str(s), int(n)) for w, s, n in rows]

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        stmt = select(AUDIT).order_by(AUDIT.c.case_id, AUDIT.c.seq)
        if selection.case_number is not None:
            stmt = stmt.where(AUDIT.c.case_number == selection.case_number)
        if selection.actor is not None:
            stmt = stmt.where(AUDIT.c.actor == selection.actor)
        if selection.since is not None:
            stmt = stmt.where(AUDIT.c.at >= selection.since)
        if selection.until is not None:
            stmt = stmt.where(AUDIT.c.at < selection.until)
        for column, wanted in (
            (AUDIT.c.event, selection.event),
            (AUDIT.c.to_state, selection.state),
            (AUDIT.c.workflow, selection.workflow),
            (AUDIT.c.role, selection.role),
        ):
            if wanted is not None:
                stmt = stmt.where(column == wanted)
        result = self.conn.execution_options(yield_per=_STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield audit_of(row)

    # -- users, workflows, calendars --------------------------------------------
    def add_user(self, user: User) -> None:
        self._writing()
        if self.get_user(user.id) is not None:
            raise DuplicateError(f"user {user.id!r} already exists")
        self._users = None
        self._added_users = True
        self.conn.execute(
            insert(USERS).values(
                id=user.id,
                roles=list(user.roles),
                email=user.email,
                created_at=user.created_at,
            )
        )

    def get_user(self, user_id: str) -> User | None:
        known = self._known_users.get(user_id)
        if known is not None:
            return known
        rows = self.driver.rows(stm.USER_BY_ID, {"id": user_id})
        if not rows:
            return None  # not remembered: another process may add them
        user = user_of(rows[0])
        if not self._added_users:  # committed, so it stays as read
            self._known_users[user_id] = user
        return user

    def list_users(self) -> Sequence[User]:
        if self._users is None:
            rows = self.conn.execute(stm.ALL_USERS).mappings()
            self._users = tuple(user_of(r) for r in rows)
        return list(self._users)

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        self._writing()
        where = (WORKFLOWS.c.name == name) & (WORKFLOWS.c.version == version)
        stored = self.conn.execute(
            select(WORKFLOWS.c.digest).where(where)
        ).scalar_one_or_none()
        if stored is None:
            self.conn.execute(
                insert(WORKFLOWS).values(
                    name=name, version=version, digest=digest, text=text
                )
            )
            return digest
        return str(stored)

    def workflow_text(self, name: str, version: int) -> str | None:
        where = (WORKFLOWS.c.name == name) & (WORKFLOWS.c.version == version)
        text = self.conn.execute(
            select(WORKFLOWS.c.text).where(where)
        ).scalar_one_or_none()
        return str(text) if text is not None else None

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        self._writing()
        dialect_insert = pg_insert if self.postgres else sqlite_insert
        self.conn.execute(
            dialect_insert(CALENDARS)
            .values(id=calendar_id, spec=spec)
            .on_conflict_do_nothing()
        )

    def record_access(self, entry: AccessEntry) -> None:
        self._writing()
        self.conn.execute(insert(ACCESS).values(**columns_of(entry, ACCESS)))

    def access_entries(
        self, *, case_number: str | None = None, actor: str | None = None
    ) -> Iterator[AccessEntry]:
        stmt = select(ACCESS).order_by(ACCESS.c.at, ACCESS.c.id)
        if case_number is not None:
            stmt = stmt.where(ACCESS.c.case_number == case_number)
        if actor is not None:
            stmt = stmt.where(ACCESS.c.actor == actor)
        result = self.conn.execution_options(yield_per=_STREAM_BATCH).execute(stmt)
        for row in result.mappings():
            yield record_of(AccessEntry, row)

    def purge_access(self, before: datetime) -> int:
        self._writing()
        result = self.conn.execute(delete(ACCESS).where(ACCESS.c.at < before))
        return int(result.rowcount)

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        spec = self.conn.execute(
            select(CALENDARS.c.spec).where(CALENDARS.c.id == calendar_id)
        ).scalar_one_or_none()
        return dict(spec) if spec is not None else None

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        after = (0, 0)  # (case_id, seq) of the last row handed out
        order = (AUDIT.c.case_id, AUDIT.c.seq)
        while True:
            stmt = select(AUDIT).where(tuple_(*order) > after).order_by(*order)
            result = self.conn.execution_options(yield_per=_STREAM_BATCH).execute(stmt)
            try:
                for row in result.mappings():
                    entry = audit_of(row)
                    yield entry
                    after = (entry.case_id, entry.seq)
                return
            except (ValueError, TypeError, KeyError) as exc:  # a value that won't read
                result.close()
                bad = self.conn.execute(
                    select(AUDIT.c.case_id, AUDIT.c.case_number, AUDIT.c.seq)
                    .where(tuple_(*order) > after)
                    .order_by(*order)
                    .limit(1)
                ).first()
                if bad is None:
                    raise
                yield UnreadableEntry(
                    case_id=bad[0], case_number=bad[1], seq=bad[2], error=str(exc)
                )
                after = (bad[0], bad[2])

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        stmt = select(
            CASES.c.id, CASES.c.number, CASES.c.version, CASES.c.audit_head
        ).order_by(CASES.c.id)
        result = self.conn.execution_options(yield_per=_STREAM_BATCH).execute(stmt)
        for row in result:
            yield (row[0], row[1], row[2], row[3])

    # -- the chaser ---------------------------------------------------------------
    def chase_candidates(self, before: date, *, limit: int) -> Sequence[Case]:
        stmt = (
            select(CASES)
            .where(CASES.c.chase_due < before)
            .order_by(CASES.c.chase_due, CASES.c.id)
            .limit(limit)
        )
        if self.postgres:  # SQLite serialises writers with BEGIN IMMEDIATE instead
            stmt = stmt.with_for_update(skip_locked=True)
        return [case_of(r) for r in self.conn.execute(stmt).mappings()]

    def overdue_cases(
        self, before: date, *, limit: int, offset: int = 0
    ) -> Sequence[OverdueCase]:
        rows = self.driver.tuples(
            stm.OVERDUE, {"before": before, "limit": limit, "offset": offset}
        )
        return [
            OverdueCase(
                id=id_,
                number=number,
                workflow=workflow,
                workflow_version=version,
                state=state,
                title=title,
                due=due,
                chase_due=chase_due,
                chase_position=position,
            )
            for (
                id_,
                number,
                workflow,
                version,
                state,
                title,
                due,
                chase_due,
                position,
            ) in rows
        ]

    def count_overdue(self, before: date) -> int:
        return int(
            self.conn.execute(stm.COUNT_OVERDUE, {"before": before}).scalar_one()
        )

    def record_chase(self, chase: ChaseRecord) -> bool:
        self._writing()
        # RETURNING yields the row only when it was inserted, not on a conflict.
        inserted = self.driver.rows(
            stm.INSERT_CHASE[self.dialect], columns_of(chase, CHASES), stm.CHASE_KEYS
        )
        return bool(inserted)

    def users_with_role(self, role: str) -> Sequence[User]:
        return [u for u in self.list_users() if role in u.roles]

    # -- facts about the database itself (db_setting) ------------------------------
    def get_setting(self, key: str) -> str | None:
        value = self.conn.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.key == key)
        ).scalar_one_or_none()
        return str(value) if value is not None else None

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        self._writing()
        dialect_insert = pg_insert if self.postgres else sqlite_insert
        self.conn.execute(
            dialect_insert(SETTINGS)
            .values(key=key, value=value, set_at=at)
            .on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "set_at": at}
            )
        )

    # -- the outbox -------------------------------------------------------------------
    def add_notification(self, notification: Notification) -> bool:
        self._writing()
        return (
            self.driver.count(
                stm.INSERT_NOTIFICATION[self.dialect],
                columns_of(notification, OUTBOX),
                stm.OUTBOX_KEYS,
            )
            == 1
        )

    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        if not notifications:
            return 0
        self._writing()
        # One executemany; both drivers sum the rows it changed.
        return self.driver.many(
            stm.INSERT_NOTIFICATION[self.dialect],
            [columns_of(n, OUTBOX) for n in notifications],
            stm.OUTBOX_KEYS,
        )

    def claim_notifications(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> Sequence[Notification]:
        self._writing()
        return sql_outbox.claim(
            self.conn, now, limit=limit, lease_until=lease_until, postgres=self.postgres
        )

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
        return sql_outbox.finish(
            self.conn,
            notification_id,
            claimed_attempts=claimed_attempts,
            status=status,
            sent_at=sent_at,
            error=error,
            available_at=available_at,
        )

    def get_notification(self, notification_id: int) -> Notification | None:
        return sql_outbox.get(self.conn, notification_id)

    def list_notifications(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Sequence[Notification]:
        return sql_outbox.listed(self.conn, status=status, limit=limit)

    # -- the HTTP API (storage/sql/api.py) ----------------------------------
    def notification_counts(self) -> Mapping[str, int]:
        return sql_tokens.notification_counts(self.conn)

    def add_token(self, token: ApiToken) -> None:
        self._writing()
        sql_tokens.add_token(self.conn, token)

    def get_token(self, token_id: str) -> ApiToken | None:
        return sql_tokens.get_token(self.conn, token_id)

    def list_tokens(self) -> Sequence[ApiToken]:
        return sql_tokens.list_tokens(self.conn)

    def revoke_token(self, token_id: str, at: datetime) -> ApiToken | None:
        self._writing()
        return sql_tokens.revoke_token(self.conn, token_id, at)

    def claim_idempotency(
        self, record: IdempotencyRecord, *, expire_before: datetime
    ) -> IdempotencyRecord | None:
        self._writing()
        return sql_tokens.claim_idempotency(
            self.conn, record, expire_before=expire_before
        )

    def finish_idempotency(
        self,
        user_id: str,
        key: str,
        *,
        status: int,
        body: str,
        headers: JsonDict,
        at: datetime,
    ) -> None:
        self._writing()
        sql_tokens.finish_idempotency(
            self.conn, user_id, key, status=status, body=body, headers=headers, at=at
        )

    def release_idempotency(self, user_id: str, key: str) -> None:
        self._writing()
        sql_tokens.release_idempotency(self.conn, user_id, key)

    def oldest_chase_due(self) -> date | None:
        return sql_tokens.oldest_chase_due(self.conn)

    def audit_counts(self, after: int) -> tuple[int, Sequence[tuple[str, str, int]]]:
        return sql_tokens.audit_counts(self.conn, after)


def _case_filter(stmt: Select[Any], selection: CaseFilter) -> Select[Any]:
    """`stmt` narrowed to the cases `selection` names (not paged, not ordered)."""
    if selection.workflow is not None:
        stmt = stmt.where(CASES.c.workflow == selection.workflow)
    if selection.state is not None:
        stmt = stmt.where(CASES.c.state == selection.state)
    if selection.due_before is not None:
        stmt = stmt.where(CASES.c.due < selection.due_before)
    if selection.after_id is not None:
        stmt = stmt.where(CASES.c.id > selection.after_id)
    return stmt


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in slices small enough for one IN list on every backend."""
    for start in range(0, len(ids), IN_LIST_SIZE):
        yield ids[start : start + IN_LIST_SIZE]
