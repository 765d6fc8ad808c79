"""`SqlCaseStore`: the engine's store protocol over SQLModel/SQLAlchemy.

Rows are mapped to and from `engine.records` here, so no SQLModel object leaves
`storage/`. Driver errors are translated into the engine's errors (apscheduler's
`IntegrityError -> ConflictingIdError` idea): a second audit entry for one
(case, seq) or a stale version becomes `ConcurrentUpdateError`, everything else a
`StorageError` carrying the driver error as `__cause__`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
    EngineError,
    StorageError,
)
from engine.records import (
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    Document,
    JsonDict,
    Party,
    User,
    format_case_number,
    parse_case_number,
)
from storage.database import WRITE_OPTION
from storage.tables import (
    AuditRow,
    CalendarRow,
    CaseRow,
    CaseSequenceRow,
    DocumentRow,
    UserRow,
    WorkflowVersionRow,
)

_STREAM_BATCH = 1000


class SqlCaseStore:
    """The store on SQLite (default) or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[SqlTransaction]:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: write})
                with Session(bind=conn) as session, conn.begin():
                    yield SqlTransaction(session)
        except EngineError:
            raise
        except OperationalError as exc:
            raise StorageError(f"database error: {_reason(exc)}") from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {_reason(exc)}") from exc


class SqlTransaction:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    # -- case numbers ---------------------------------------------------------
    def next_case_number(self, year: int) -> str:
        self._ensure_year(year)
        last = self.session.execute(
            update(CaseSequenceRow)
            .where(CaseSequenceRow.year == year)  # type: ignore[arg-type]
            .values(last=CaseSequenceRow.last + 1)
            .returning(CaseSequenceRow.last)
        ).scalar_one()
        return format_case_number(year, last)

    def reserve_case_number(self, number: str) -> None:
        year, seq = parse_case_number(number)
        exists = self.session.execute(
            select(CaseRow.id).where(CaseRow.number == number)  # type: ignore[arg-type]
        ).first()
        if exists is not None:
            raise DuplicateError(f"case {number} already exists")
        self._ensure_year(year)
        self.session.execute(
            update(CaseSequenceRow)
            .where(CaseSequenceRow.year == year)  # type: ignore[arg-type]
            .values(
                last=func.max(CaseSequenceRow.last, seq)
                if not self.postgres
                else func.greatest(CaseSequenceRow.last, seq)
            )
        )

    def _ensure_year(self, year: int) -> None:
        table = CaseSequenceRow.__table__  # type: ignore[attr-defined]
        stmt: Any
        if self.postgres:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(table).values(year=year, last=0).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = (
                sqlite_insert(table).values(year=year, last=0).on_conflict_do_nothing()
            )
        self.session.execute(stmt)

    # -- cases ----------------------------------------------------------------
    def add_case(self, case: Case) -> Case:
        row = CaseRow(**_case_columns(case))
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise DuplicateError(f"case {case.number} already exists") from exc
        assert row.id is not None
        return _replace_id(case, row.id)

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        stmt = select(CaseRow).where(CaseRow.number == number)  # type: ignore[arg-type]
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).scalar_one_or_none()
        if row is None:
            raise CaseNotFoundError(number)
        return _case(row)

    def update_case(self, case: Case, *, expected_version: int) -> None:
        result = self.session.execute(
            update(CaseRow)
            .where(CaseRow.id == case.id)  # type: ignore[arg-type]
            .where(CaseRow.version == expected_version)  # type: ignore[arg-type]
            .values(**_case_columns(case))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            actual = self.session.execute(
                select(CaseRow.version).where(CaseRow.id == case.id)  # type: ignore[arg-type]
            ).scalar_one_or_none()
            raise ConcurrentUpdateError(case.number, expected_version, actual)

    def append_audit(self, entry: AuditEntry) -> None:
        try:
            with self.session.begin_nested():
                self.session.execute(insert(AuditRow).values(**_audit_columns(entry)))
        except IntegrityError as exc:
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1) from exc

    def add_document(self, document: Document) -> None:
        self.session.execute(
            insert(DocumentRow).values(
                case_id=document.case_id,
                seq=document.seq,
                number=document.number,
                title=document.title,
                direction=document.direction,
                date=document.date,
                recorded_at=document.recorded_at,
                event_seq=document.event_seq,
            )
        )

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        rows = self.session.execute(
            select(AuditRow).where(AuditRow.case_id == case_id).order_by(AuditRow.seq)  # type: ignore[arg-type]
        ).scalars()
        return [_audit(r) for r in rows]

    def documents(self, case_id: int) -> Sequence[Document]:
        rows = self.session.execute(
            select(DocumentRow)
            .where(DocumentRow.case_id == case_id)
            .order_by(DocumentRow.seq)  # type: ignore[arg-type]
        ).scalars()
        return [_document(r) for r in rows]

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        stmt = select(CaseRow).order_by(CaseRow.id)  # type: ignore[arg-type]
        if selection.workflow is not None:
            stmt = stmt.where(CaseRow.workflow == selection.workflow)  # type: ignore[arg-type]
        if selection.state is not None:
            stmt = stmt.where(CaseRow.state == selection.state)  # type: ignore[arg-type]
        if selection.due_before is not None:
            stmt = stmt.where(CaseRow.due < selection.due_before)  # type: ignore[arg-type,operator]
        if selection.offset:
            stmt = stmt.offset(selection.offset)
        if selection.limit is not None:
            stmt = stmt.limit(selection.limit)
        return [_case(r) for r in self.session.execute(stmt).scalars()]

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        stmt = select(AuditRow).order_by(AuditRow.case_id, AuditRow.seq)  # type: ignore[arg-type]
        if selection.case_number is not None:
            stmt = stmt.where(AuditRow.case_number == selection.case_number)  # type: ignore[arg-type]
        if selection.actor is not None:
            stmt = stmt.where(AuditRow.actor == selection.actor)  # type: ignore[arg-type]
        if selection.since is not None:
            stmt = stmt.where(AuditRow.at >= selection.since)  # type: ignore[arg-type,operator]
        if selection.until is not None:
            stmt = stmt.where(AuditRow.at < selection.until)  # type: ignore[arg-type,operator]
        result = self.session.execute(
            stmt.execution_options(yield_per=_STREAM_BATCH)
        ).scalars()
        for row in result:
            yield _audit(row)

    # -- users, workflows, calendars --------------------------------------------
    def add_user(self, user: User) -> None:
        if self.session.get(UserRow, user.id) is not None:
            raise DuplicateError(f"user {user.id!r} already exists")
        self.session.add(
            UserRow(
                id=user.id,
                roles=list(user.roles),
                email=user.email,
                created_at=user.created_at,
            )
        )
        self.session.flush()

    def get_user(self, user_id: str) -> User | None:
        row = self.session.get(UserRow, user_id)
        return _user(row) if row is not None else None

    def list_users(self) -> Sequence[User]:
        rows = self.session.execute(select(UserRow).order_by(UserRow.id)).scalars()  # type: ignore[arg-type]
        return [_user(r) for r in rows]

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        row = self.session.get(WorkflowVersionRow, (name, version))
        if row is None:
            self.session.add(
                WorkflowVersionRow(name=name, version=version, digest=digest, text=text)
            )
            self.session.flush()
            return digest
        return row.digest

    def workflow_text(self, name: str, version: int) -> str | None:
        row = self.session.get(WorkflowVersionRow, (name, version))
        return row.text if row is not None else None

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        if self.session.get(CalendarRow, calendar_id) is None:
            self.session.add(CalendarRow(id=calendar_id, spec=spec))
            self.session.flush()


# -- mapping ------------------------------------------------------------------
def _case_columns(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "workflow": case.workflow,
        "workflow_version": case.workflow_version,
        "title": case.title,
        "state": case.state,
        "version": case.version,
        "parties": [
            {"role": p.role, "name": p.name, "email": p.email} for p in case.parties
        ],
        "data": dict(case.data),
        "due": case.due,
        "calendar": case.calendar,
        "chase_position": case.chase_position,
        "state_entered_at": case.state_entered_at,
        "opened_at": case.opened_at,
        "last_event_at": case.last_event_at,
        "updated_at": case.updated_at,
        "documents_count": case.documents_count,
    }


def _replace_id(case: Case, case_id: int) -> Case:
    from dataclasses import replace

    return replace(case, id=case_id)


def _case(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        number=row.number,
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        title=row.title,
        state=row.state,
        version=row.version,
        parties=tuple(
            Party(role=p["role"], name=p["name"], email=p.get("email"))
            for p in row.parties
        ),
        data=dict(row.data),
        due=_date(row.due),
        calendar=row.calendar,
        chase_position=row.chase_position,
        state_entered_at=row.state_entered_at,
        opened_at=row.opened_at,
        last_event_at=row.last_event_at,
        updated_at=row.updated_at,
        documents_count=row.documents_count,
    )


def _audit_columns(entry: AuditEntry) -> dict[str, Any]:
    return {
        "case_id": entry.case_id,
        "case_number": entry.case_number,
        "seq": entry.seq,
        "event": entry.event,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "actor": entry.actor,
        "role": entry.role,
        "at": entry.at,
        "recorded_at": entry.recorded_at,
        "data": dict(entry.data),
        "due_before": entry.due_before,
        "due_after": entry.due_after,
        "calendar": entry.calendar,
        "workflow": entry.workflow,
        "workflow_version": entry.workflow_version,
        "document": entry.document,
    }


def _audit(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        case_id=row.case_id,
        case_number=row.case_number,
        seq=row.seq,
        event=row.event,
        from_state=row.from_state,
        to_state=row.to_state,
        actor=row.actor,
        role=row.role,
        at=row.at,
        recorded_at=row.recorded_at,
        data=dict(row.data),
        due_before=_date(row.due_before),
        due_after=_date(row.due_after),
        calendar=row.calendar,
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        document=row.document,
    )


def _document(row: DocumentRow) -> Document:
    return Document(
        case_id=row.case_id,
        seq=row.seq,
        number=row.number,
        title=row.title,
        direction=row.direction,
        date=row.date,
        recorded_at=row.recorded_at,
        event_seq=row.event_seq,
    )


def _user(row: UserRow) -> User:
    return User(
        id=row.id, roles=tuple(row.roles), email=row.email, created_at=row.created_at
    )


def _date(value: date | None) -> date | None:
    return value


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]
