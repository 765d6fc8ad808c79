"""A bulk transaction's chasing and outbox from memory.

`OutboxBulk` answers `engine.ports.ChaseRecords` and `OutboxRecords` from the
store's `BulkState` (overdue cases by its chase index, pending notifications
by its `pending` ids), with an undo step for each change; what memory does not
hold (the earliest deadline, listings and counts of the outbox) is the
database's (demo/bulk/database.py).

Hazards:
    * A notification leaves memory at a flush once it is sent or failed and
      its row is up to date: `get_notification` then reads the database (so
      only in a transaction that has not written), and `finish_notification`
      leaves it alone, as it is no longer one anybody claimed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from demo.bulk.state import BulkRows
from engine.records import (
    Case,
    ChaseRecord,
    Notification,
    NotificationStatus,
    OverdueCase,
    overdue_of,
)
from storage.tables import OUTBOX


class OutboxBulk(BulkRows):
    """`engine.ports.ChaseRecords` and `OutboxRecords`, less what the database reads."""

    # -- the chaser ----------------------------------------------------------------
    def chase_candidates(self, before: date, *, limit: int) -> Sequence[Case]:
        s = self.s
        found: list[Case] = []
        for day in sorted(d for d in s.chase_index if d < before):
            for case_id in sorted(s.chase_index[day]):
                found.append(s.cases[s.numbers[case_id]])
                if len(found) == limit:
                    return found
        return found

    def overdue_cases(
        self, before: date, *, limit: int, offset: int = 0
    ) -> Sequence[OverdueCase]:
        due = self.chase_candidates(before, limit=offset + limit)[offset:]
        return [overdue_of(c) for c in due]

    def count_overdue(self, before: date) -> int:
        return sum(len(ids) for day, ids in self.s.chase_index.items() if day < before)

    def record_chase(self, chase: ChaseRecord) -> bool:
        self._writing()
        s = self.s
        key = (chase.case_id, chase.entry_seq, chase.rung)
        if key in s.chase_keys:
            return False
        s.chase_keys.add(key)
        self._log(lambda: s.chase_keys.discard(key))
        self._append(s.new_chases, chase)
        return True

    # -- the outbox -------------------------------------------------------------------
    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        return sum(self.add_notification(n) for n in notifications)

    def add_notification(self, notification: Notification) -> bool:
        self._writing()
        s = self.s
        key = notification.idempotency_key
        if key in s.outbox_keys:
            return False
        stored = replace(notification, id=self._take_id(OUTBOX))
        s.outbox_keys.add(key)
        s.outbox[stored.id or 0] = stored
        if stored.status == NotificationStatus.PENDING:
            s.pending[stored.id or 0] = None

        def undo() -> None:
            s.outbox_keys.discard(key)
            del s.outbox[stored.id or 0]
            s.pending.pop(stored.id or 0, None)

        self._log(undo)
        return True

    def _put_notification(self, notification: Notification) -> None:
        s = self.s
        row_id = notification.id or 0
        old = s.outbox[row_id]
        was_dirty = row_id in s.dirty_outbox
        s.outbox[row_id] = notification
        if notification.status == NotificationStatus.PENDING:
            s.pending[row_id] = None
        else:
            s.pending.pop(row_id, None)
        if row_id in s.written_outbox:  # else it is inserted as it is now
            s.dirty_outbox.add(row_id)

        def undo() -> None:
            s.outbox[row_id] = old
            if old.status == NotificationStatus.PENDING:
                s.pending[row_id] = None
            else:
                s.pending.pop(row_id, None)
            if not was_dirty:
                s.dirty_outbox.discard(row_id)

        self._log(undo)

    def claim_notifications(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> Sequence[Notification]:
        self._writing()
        claimed: list[Notification] = []
        for row_id in sorted(self.s.pending):
            n = self.s.outbox[row_id]
            if n.available_at <= now and (
                n.locked_until is None or n.locked_until < now
            ):
                leased = replace(n, locked_until=lease_until, attempts=n.attempts + 1)
                self._put_notification(leased)
                claimed.append(leased)
                if len(claimed) == limit:
                    break
        return claimed

    def renew_notification(
        self, notification_id: int, *, claimed_attempts: int, lease_until: datetime
    ) -> bool:
        self._writing()
        n = self.s.outbox.get(notification_id)
        if n is None or n.status != NotificationStatus.PENDING:
            return False  # flushed as sent or failed: not ours
        if n.attempts != claimed_attempts:
            return False
        self._put_notification(replace(n, locked_until=lease_until))
        return True

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
        n = self.s.outbox.get(notification_id)
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

    def settle_notification(self, key: str, *, sent_at: datetime) -> bool:
        """The bulk store keeps no letters' content: nothing is ever rendered,
        so there is no render item to settle."""
        return False

    def get_notification(self, notification_id: int) -> Notification | None:
        found = self.s.outbox.get(notification_id)
        if found is not None:
            return found
        with self._database() as tx:
            return tx.get_notification(notification_id)
