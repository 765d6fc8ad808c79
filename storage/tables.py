"""The SQLModel tables of the record, the people and the chaser.

With `storage.tables_web` (the HTTP API's and the pages' tables, re-exported
here) and `storage.columns` (the metadata and shared column types) this is
where tables are defined; everything else imports them from here.

No `from __future__ import annotations` here: SQLModel resolves annotations at
class creation (fastapi/sqlmodel#196). Datetimes use SQLModel 0.0.50's default
UTC type, which refuses naive values and returns aware ones even on SQLite
(docs/libraries.md §3.1: never `DateTime(timezone=True)`, which drops the offset on
SQLite). JSON columns are JSONB on PostgreSQL.
"""

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    Table,
    UniqueConstraint,
    true,
)
from sqlmodel import Field, SQLModel

from storage.columns import ID as _ID
from storage.columns import json_type as _json
from storage.columns import metadata as metadata


class CaseRow(SQLModel, table=True):
    __tablename__ = "wf_case"
    __table_args__ = (
        Index("ix_wf_case_due_open", "due"),
        Index("ix_wf_case_chase_due", "chase_due"),
        Index("ix_wf_case_workflow_state", "workflow", "state"),
        Index("ix_wf_case_owner", "owner"),
    )

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    number: str = Field(max_length=32, unique=True)
    workflow: str = Field(max_length=64)
    workflow_version: int
    title: str
    state: str = Field(max_length=64)
    version: int
    parties: list[dict[str, Any]] = Field(sa_type=_json())
    data: dict[str, Any] = Field(sa_type=_json())
    due: dt.date | None = None
    calendar: str | None = Field(default=None, max_length=128)
    chase_position: int = 0
    chase_due: dt.date | None = None
    state_entry_seq: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    state_entered_at: dt.datetime
    opened_at: dt.datetime
    last_event_at: dt.datetime
    updated_at: dt.datetime
    documents_count: int = 0
    audit_head: str = Field(
        default="0" * 64, max_length=64, sa_column_kwargs={"server_default": "0" * 64}
    )
    personal_key: str | None = Field(default=None, max_length=64)
    erased: dict[str, Any] | None = Field(default=None, sa_type=_json())
    owner: str | None = Field(default=None, max_length=128)  # a user id, or unassigned


class AuditRow(SQLModel, table=True):
    """Append-only: triggers refuse UPDATE and DELETE (see the migration)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_audit_entry_case_seq"),
        Index("ix_audit_entry_actor", "actor"),
        Index("ix_audit_entry_at", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    case_id: int = Field(
        sa_column=Column(_ID, ForeignKey("wf_case.id"), nullable=False)
    )
    case_number: str = Field(max_length=32)
    seq: int
    event: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=64)
    to_state: str = Field(max_length=64)
    actor: str = Field(max_length=128)
    role: str = Field(max_length=32)
    at: dt.datetime
    recorded_at: dt.datetime
    data: dict[str, Any] = Field(sa_type=_json())
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    calendar: str | None = Field(default=None, max_length=128)
    workflow: str = Field(max_length=64)
    workflow_version: int
    document: str | None = Field(default=None, max_length=48)
    prev_hash: str = Field(max_length=64, sa_column_kwargs={"server_default": ""})
    hash: str = Field(max_length=64, sa_column_kwargs={"server_default": ""})
    chain_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    sealed: dict[str, Any] | None = Field(default=None, sa_type=_json())
    via: dict[str, Any] | None = Field(default=None, sa_type=_json())


class PersonalValueRow(SQLModel, table=True):
    """A personal value a chain entry holds a commitment to (engine.audit.personal).

    Not part of the record: erasing a case's personal data deletes its rows.
    """

    __tablename__ = "personal_value"

    case_id: int = Field(
        sa_column=Column(_ID, ForeignKey("wf_case.id"), primary_key=True)
    )
    commitment: str = Field(primary_key=True, max_length=64)
    value: Any = Field(sa_type=_json())


class DocumentRow(SQLModel, table=True):
    """Append-only like the audit table: a correction is a new document."""

    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_document_case_seq"),)

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    case_id: int = Field(
        sa_column=Column(_ID, ForeignKey("wf_case.id"), nullable=False)
    )
    seq: int
    number: str = Field(max_length=48, unique=True)
    title: str
    direction: str = Field(max_length=16)
    date: dt.date
    recorded_at: dt.datetime
    event_seq: int
    # the content's SHA-256 (sealed by the entry), size and media type; the
    # bytes are in `document_content` (or SAGSFLOW_DOCUMENT_DIR) by the digest
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = Field(default=None, sa_type=BigInteger)
    media_type: str | None = Field(default=None, max_length=128)


class DocumentContentRow(SQLModel, table=True):
    """A document's bytes, content-addressed: written once, never changed.

    Many documents may share one row (the same bytes journalised twice)."""

    __tablename__ = "document_content"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int = Field(sa_type=BigInteger)
    data: bytes = Field(sa_type=LargeBinary)


class UserRow(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (Index("ix_app_user_login", "login", unique=True),)

    id: str = Field(primary_key=True, max_length=128)
    roles: list[str] = Field(sa_type=_json())
    email: str | None = Field(default=None, max_length=320)
    created_at: dt.datetime
    name: str | None = Field(default=None, max_length=200)
    login: str | None = Field(default=None, max_length=128)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class UserChangeRow(SQLModel, table=True):
    """The users' hash chain: every change to a user, append-only (triggers)."""

    __tablename__ = "user_change"
    __table_args__ = (Index("ix_user_change_user_id", "user_id"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    user_id: str = Field(max_length=128)
    change: str = Field(max_length=32)
    actor: str = Field(max_length=128)
    at: dt.datetime
    reason: str | None = None
    state: dict[str, Any] = Field(sa_type=_json())
    via: dict[str, Any] | None = Field(default=None, sa_type=_json())
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AbsenceRow(SQLModel, table=True):
    """A period a user is away (both days included), and who deputises."""

    __tablename__ = "user_absence"
    __table_args__ = (Index("ix_user_absence_user_id", "user_id"),)

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    user_id: str = Field(max_length=128, foreign_key="app_user.id")
    starts: dt.date
    ends: dt.date
    deputy: str | None = Field(default=None, max_length=128, foreign_key="app_user.id")
    created_by: str = Field(max_length=128)
    created_at: dt.datetime


class CaseSequenceRow(SQLModel, table=True):
    """The last case number handed out per year (row-locked while allocating)."""

    __tablename__ = "case_sequence"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int


class WorkflowVersionRow(SQLModel, table=True):
    """Each workflow declaration cases were opened under, kept verbatim."""

    __tablename__ = "workflow_version"

    name: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    digest: str = Field(max_length=64)
    text: str


class CalendarRow(SQLModel, table=True):
    """The rules behind each calendar id that computed a deadline."""

    __tablename__ = "calendar"

    id: str = Field(primary_key=True, max_length=128)
    spec: dict[str, Any] = Field(sa_type=_json())


class ChaseRow(SQLModel, table=True):
    """One rung fired on one stay in a state: the chaser's idempotency key.

    The primary key (case, the audit seq that entered the state, rung) makes a
    second sweep, a re-run after a crash or an overlapping worker unable to
    chase the same rung twice.
    """

    __tablename__ = "chase"

    case_id: int = Field(
        sa_column=Column(_ID, ForeignKey("wf_case.id"), primary_key=True)
    )
    entry_seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    rung: str = Field(primary_key=True, max_length=64)
    audit_seq: int
    due_missed: dt.date
    fired_at: dt.datetime


class OutboxRow(SQLModel, table=True):
    """A notification to deliver, written in the transaction that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_available", "status", "available_at"),)

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    idempotency_key: str = Field(max_length=200, unique=True)
    case_id: int = Field(
        sa_column=Column(_ID, ForeignKey("wf_case.id"), nullable=False)
    )
    case_number: str = Field(max_length=32)
    channel: str = Field(max_length=16)  # email | webhook | log
    recipient: str = Field(max_length=320)
    kind: str = Field(max_length=32)
    subject: str
    body: str
    payload: dict[str, Any] = Field(sa_type=_json())
    status: str = Field(max_length=16)  # pending | sent | failed
    attempts: int = 0
    available_at: dt.datetime
    locked_until: dt.datetime | None = None
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    last_error: str | None = None


class AccessRow(SQLModel, table=True):
    """Who read which case or record, and when (kept for its retention period).

    Not part of the audit chain: the data protection authority expects reads of
    personal data to be logged, and the log to be purged after a set time.
    """

    __tablename__ = "access_entry"
    __table_args__ = (
        Index("ix_access_entry_case_number", "case_number"),
        Index("ix_access_entry_at", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_ID, primary_key=True))
    at: dt.datetime
    actor: str = Field(max_length=128)
    action: str = Field(max_length=32)
    case_number: str | None = Field(default=None, max_length=32)
    via: dict[str, Any] | None = Field(default=None, sa_type=_json())


class SettingRow(SQLModel, table=True):
    """Facts about the database itself, such as "this is a demo office".

    Written by commands that create a database of a kind (`sagsflow demo`),
    read by commands that must refuse to touch a database of another kind.
    """

    __tablename__ = "db_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str
    set_at: dt.datetime


# The HTTP API's and the pages' tables, defined in storage.tables_web.
from storage.tables_web import ApiTokenRow as ApiTokenRow  # noqa: E402
from storage.tables_web import IdempotencyRow as IdempotencyRow  # noqa: E402
from storage.tables_web import PageSessionRow as PageSessionRow  # noqa: E402
from storage.tables_web import PendingSignInRow as PendingSignInRow  # noqa: E402


# -- the tables as SQLAlchemy Core handles, for the SQL store's statements -------
def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


CASES = _table(CaseRow)
AUDIT = _table(AuditRow)
DOCUMENTS = _table(DocumentRow)
CONTENTS = _table(DocumentContentRow)
PERSONAL = _table(PersonalValueRow)
USERS = _table(UserRow)
USER_CHANGES = _table(UserChangeRow)
ABSENCES = _table(AbsenceRow)
SEQUENCES = _table(CaseSequenceRow)
WORKFLOWS = _table(WorkflowVersionRow)
CALENDARS = _table(CalendarRow)
CHASES = _table(ChaseRow)
OUTBOX = _table(OutboxRow)
ACCESS = _table(AccessRow)
SETTINGS = _table(SettingRow)
TOKENS = _table(ApiTokenRow)
IDEMPOTENCY_KEYS = _table(IdempotencyRow)
PAGE_SESSIONS = _table(PageSessionRow)
PENDING_SIGN_INS = _table(PendingSignInRow)
