"""The HTTP API's rows on SQL: tokens, idempotency keys, and the cheap counts
`/health` and `/metrics` read. `SqlTransaction` delegates here, so `sql.py`
keeps to the case record.

The idempotency claim is an INSERT that does nothing on a conflicting primary
key (user, key) and RETURNING: of two concurrent requests with one key, on
SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (the second
insert waits for the first's commit, then sees the conflict) exactly one gets
the row back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    Connection,
    RowMapping,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from engine.exceptions import DuplicateError
from engine.records import ApiToken, IdempotencyRecord, JsonDict
from storage.tables import (
    ApiTokenRow,
    AuditRow,
    CaseRow,
    IdempotencyRow,
    OutboxRow,
)

TOKENS = cast(Table, ApiTokenRow.__table__)  # type: ignore[attr-defined]
KEYS = cast(Table, IdempotencyRow.__table__)  # type: ignore[attr-defined]
_AUDIT = cast(Table, AuditRow.__table__)  # type: ignore[attr-defined]
_CASES = cast(Table, CaseRow.__table__)  # type: ignore[attr-defined]
_OUTBOX = cast(Table, OutboxRow.__table__)  # type: ignore[attr-defined]


def add_token(conn: Connection, token: ApiToken) -> None:
    try:
        conn.execute(
            insert(TOKENS).values(
                id=token.id,
                user_id=token.user_id,
                digest=token.digest,
                created_at=token.created_at,
                expires_at=token.expires_at,
                revoked_at=token.revoked_at,
            )
        )
    except IntegrityError as exc:
        raise DuplicateError(f"token {token.id!r} already exists") from exc


def get_token(conn: Connection, token_id: str) -> ApiToken | None:
    row = conn.execute(select(TOKENS).where(TOKENS.c.id == token_id)).mappings()
    found = row.first()
    return _token(found) if found is not None else None


def list_tokens(conn: Connection) -> Sequence[ApiToken]:
    rows = conn.execute(select(TOKENS).order_by(TOKENS.c.created_at, TOKENS.c.id))
    return [_token(r) for r in rows.mappings()]


def revoke_token(conn: Connection, token_id: str, at: datetime) -> ApiToken | None:
    conn.execute(
        update(TOKENS)
        .where(TOKENS.c.id == token_id)
        .where(TOKENS.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return get_token(conn, token_id)


def claim_idempotency(
    conn: Connection, record: IdempotencyRecord, *, expire_before: datetime
) -> IdempotencyRecord | None:
    conn.execute(delete(KEYS).where(KEYS.c.created_at < expire_before))
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    claimed = conn.execute(
        dialect_insert(KEYS)
        .values(
            user_id=record.user_id,
            key=record.key,
            fingerprint=record.fingerprint,
            created_at=record.created_at,
            status=None,
            body=None,
            headers={},
            completed_at=None,
        )
        .on_conflict_do_nothing()
        .returning(KEYS.c.key)  # psycopg reports no rowcount here
    ).first()
    if claimed is not None:
        return None
    row = (
        conn.execute(
            select(KEYS)
            .where(KEYS.c.user_id == record.user_id)
            .where(KEYS.c.key == record.key)
        )
        .mappings()
        .one()
    )
    return _record(row)


def finish_idempotency(
    conn: Connection,
    user_id: str,
    key: str,
    *,
    status: int,
    body: str,
    headers: JsonDict,
    at: datetime,
) -> None:
    conn.execute(
        update(KEYS)
        .where(KEYS.c.user_id == user_id)
        .where(KEYS.c.key == key)
        .values(status=status, body=body, headers=dict(headers), completed_at=at)
    )


def release_idempotency(conn: Connection, user_id: str, key: str) -> None:
    conn.execute(
        delete(KEYS)
        .where(KEYS.c.user_id == user_id)
        .where(KEYS.c.key == key)
        .where(KEYS.c.status.is_(None))
    )


def oldest_chase_due(conn: Connection) -> date | None:
    value = conn.execute(select(func.min(_CASES.c.chase_due))).scalar_one()
    return cast(date | None, value)


def audit_counts(
    conn: Connection, after: int
) -> tuple[int, Sequence[tuple[str, str, int]]]:
    newest = conn.execute(select(func.max(_AUDIT.c.id))).scalar_one()
    if newest is None or newest <= after:
        return after, []
    rows = conn.execute(
        select(_AUDIT.c.workflow, _AUDIT.c.event, func.count())
        .where(_AUDIT.c.id > after)
        .where(_AUDIT.c.id <= newest)
        .group_by(_AUDIT.c.workflow, _AUDIT.c.event)
        .order_by(_AUDIT.c.workflow, _AUDIT.c.event)
    )
    return int(newest), [(str(w), str(e), int(n)) for w, e, n in rows]


def notification_counts(conn: Connection) -> Mapping[str, int]:
    rows = conn.execute(
        select(_OUTBOX.c.status, func.count()).group_by(_OUTBOX.c.status)
    )
    return {str(status): int(n) for status, n in rows}


def _token(row: RowMapping) -> ApiToken:
    return ApiToken(
        id=row["id"],
        user_id=row["user_id"],
        digest=row["digest"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


def _record(row: RowMapping) -> IdempotencyRecord:
    return IdempotencyRecord(
        user_id=row["user_id"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        created_at=row["created_at"],
        status=row["status"],
        body=row["body"],
        headers=dict(row["headers"] or {}),
        completed_at=row["completed_at"],
    )
