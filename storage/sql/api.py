"""The HTTP API's rows on SQL: bearer tokens and idempotency keys.

The API owns their protocols (`service.api.store`); `ApiRows` matches them
without importing the service.

The idempotency claim is an INSERT that does nothing on a conflicting primary
key (user, key) and RETURNING: of two concurrent requests with one key, on
SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (the second
insert waits for the first's commit, then sees the conflict) exactly one gets
the row back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Connection,
    RowMapping,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from engine.exceptions import DuplicateError
from engine.records import ApiToken, IdempotencyRecord, JsonDict
from storage.sql.base import Rows
from storage.tables import IDEMPOTENCY_KEYS, TOKENS


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
    conn.execute(
        delete(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.created_at < expire_before)
    )
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    claimed = conn.execute(
        dialect_insert(IDEMPOTENCY_KEYS)
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
        .returning(IDEMPOTENCY_KEYS.c.key)  # psycopg reports no rowcount here
    ).first()
    if claimed is not None:
        return None
    row = (
        conn.execute(
            select(IDEMPOTENCY_KEYS)
            .where(IDEMPOTENCY_KEYS.c.user_id == record.user_id)
            .where(IDEMPOTENCY_KEYS.c.key == record.key)
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
        update(IDEMPOTENCY_KEYS)
        .where(IDEMPOTENCY_KEYS.c.user_id == user_id)
        .where(IDEMPOTENCY_KEYS.c.key == key)
        .values(status=status, body=body, headers=dict(headers), completed_at=at)
    )


def release_idempotency(conn: Connection, user_id: str, key: str) -> None:
    conn.execute(
        delete(IDEMPOTENCY_KEYS)
        .where(IDEMPOTENCY_KEYS.c.user_id == user_id)
        .where(IDEMPOTENCY_KEYS.c.key == key)
        .where(IDEMPOTENCY_KEYS.c.status.is_(None))
    )


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


class ApiRows(Rows):
    """The HTTP API's rows (`service.api.store`: tokens, idempotency keys)."""

    def add_token(self, token: ApiToken) -> None:
        self._writing()
        add_token(self.conn, token)

    def get_token(self, token_id: str) -> ApiToken | None:
        return get_token(self.conn, token_id)

    def list_tokens(self) -> Sequence[ApiToken]:
        return list_tokens(self.conn)

    def revoke_token(self, token_id: str, at: datetime) -> ApiToken | None:
        self._writing()
        return revoke_token(self.conn, token_id, at)

    def claim_idempotency(
        self, record: IdempotencyRecord, *, expire_before: datetime
    ) -> IdempotencyRecord | None:
        self._writing()
        return claim_idempotency(self.conn, record, expire_before=expire_before)

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
        finish_idempotency(
            self.conn, user_id, key, status=status, body=body, headers=headers, at=at
        )

    def release_idempotency(self, user_id: str, key: str) -> None:
        self._writing()
        release_idempotency(self.conn, user_id, key)
