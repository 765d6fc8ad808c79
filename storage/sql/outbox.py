"""The outbox's rows on SQL: claiming, finishing and reading notifications.

`OutboxRows` is the transaction's part; adding notifications goes through the
driver (the chaser's path). A claim selects due rows and marks them leased in the same
transaction; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers claim apart.
Finishing checks the attempt it claimed, so a lease that ran out and was
claimed again by another worker is not finished twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, update

from engine.records import Notification, NotificationStatus
from storage.sql import statements as stm
from storage.sql.base import Rows
from storage.sql.mapping import columns_of, notification_of
from storage.tables import OUTBOX


def claim(
    conn: Connection,
    now: datetime,
    *,
    limit: int,
    lease_until: datetime,
    postgres: bool,
) -> Sequence[Notification]:
    """Lease up to `limit` due, pending notifications until `lease_until`."""
    due = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.status == NotificationStatus.PENDING)
        .where(OUTBOX.c.available_at <= now)
        .where(or_(OUTBOX.c.locked_until.is_(None), OUTBOX.c.locked_until < now))
        .order_by(OUTBOX.c.id)
        .limit(limit)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
    ids = list(conn.execute(due).scalars())
    if not ids:
        return []
    # The claim marks the rows in the same transaction that selected them.
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(ids))
        .values(locked_until=lease_until, attempts=OUTBOX.c.attempts + 1)
    )
    rows = conn.execute(
        select(OUTBOX).where(OUTBOX.c.id.in_(ids)).order_by(OUTBOX.c.id)
    ).mappings()
    return [notification_of(r) for r in rows]


def finish(
    conn: Connection,
    notification_id: int,
    *,
    claimed_attempts: int,
    status: str,
    sent_at: datetime | None = None,
    error: str | None = None,
    available_at: datetime | None = None,
) -> bool:
    """Record the outcome of the attempt claimed; False if it is no longer ours."""
    values: dict[str, Any] = {
        "status": status,
        "locked_until": None,
        "sent_at": sent_at,
        "last_error": error,
    }
    if available_at is not None:
        values["available_at"] = available_at
    result = conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == notification_id)
        .where(OUTBOX.c.status != NotificationStatus.SENT)
        .where(OUTBOX.c.attempts == claimed_attempts)
        .values(**values)
    )
    return bool(result.rowcount == 1)


def get(conn: Connection, notification_id: int) -> Notification | None:
    row = (
        conn.execute(select(OUTBOX).where(OUTBOX.c.id == notification_id))
        .mappings()
        .first()
    )
    return notification_of(row) if row is not None else None


def listed(
    conn: Connection, *, status: str | None = None, limit: int | None = None
) -> Sequence[Notification]:
    stmt = select(OUTBOX).order_by(OUTBOX.c.id)
    if status is not None:
        stmt = stmt.where(OUTBOX.c.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [notification_of(r) for r in conn.execute(stmt).mappings()]


class OutboxRows(Rows):
    """`engine.ports.OutboxRecords`."""

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
        return claim(
            self.conn, now, limit=limit, lease_until=lease_until, postgres=self.postgres
        )

    def renew_notification(
        self, notification_id: int, *, claimed_attempts: int, lease_until: datetime
    ) -> bool:
        self._writing()
        result = self.conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == notification_id)
            .where(OUTBOX.c.status == NotificationStatus.PENDING)
            .where(OUTBOX.c.attempts == claimed_attempts)
            .values(locked_until=lease_until)
        )
        return bool(result.rowcount == 1)

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
        return finish(
            self.conn,
            notification_id,
            claimed_attempts=claimed_attempts,
            status=status,
            sent_at=sent_at,
            error=error,
            available_at=available_at,
        )

    def settle_notification(self, key: str, *, sent_at: datetime) -> bool:
        self._writing()
        result = self.conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.idempotency_key == key)
            .where(OUTBOX.c.status != NotificationStatus.SENT)
            .where(
                or_(OUTBOX.c.locked_until.is_(None), OUTBOX.c.locked_until < sent_at)
            )
            .values(status=NotificationStatus.SENT, sent_at=sent_at, locked_until=None)
        )
        return bool(result.rowcount == 1)

    def get_notification(self, notification_id: int) -> Notification | None:
        return get(self.conn, notification_id)

    def list_notifications(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Sequence[Notification]:
        return listed(self.conn, status=status, limit=limit)

    def notification_counts(self) -> Mapping[str, int]:
        rows = self.conn.execute(
            select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
        )
        return {str(status): int(n) for status, n in rows}
