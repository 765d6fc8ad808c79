"""What the chaser and the dispatcher read and write in memory; the API's rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from engine.exceptions import (
    DuplicateError,
)
from engine.records import (
    ApiToken,
    Case,
    ChaseRecord,
    IdempotencyRecord,
    JsonDict,
    Notification,
    NotificationStatus,
    OverdueCase,
    overdue_of,
)
from storage.memory.state import MemoryRows


class ChaseMemory(MemoryRows):
    """`engine.ports.ChaseRecords` and `OutboxRecords`."""

    def chase_candidates(self, before: date, *, limit: int) -> Sequence[Case]:
        due = [
            c
            for c in self.s.cases.values()
            if c.chase_due is not None and c.chase_due < before
        ]
        due.sort(key=lambda c: (c.chase_due or before, c.id or 0))
        return due[:limit]

    def overdue_cases(
        self, before: date, *, limit: int, offset: int = 0
    ) -> Sequence[OverdueCase]:
        due = self.chase_candidates(before, limit=offset + limit)[offset:]
        return [overdue_of(c) for c in due]

    def count_overdue(self, before: date) -> int:
        return len(self.chase_candidates(before, limit=len(self.s.cases)))

    def record_chase(self, chase: ChaseRecord) -> bool:
        self._writing()
        key = (chase.case_id, chase.entry_seq, chase.rung)
        if key in self.s.chases:
            return False
        self.s.chases[key] = chase
        return True

    def oldest_chase_due(self) -> date | None:
        return min(
            (c.chase_due for c in self.s.cases.values() if c.chase_due is not None),
            default=None,
        )

    def add_notification(self, notification: Notification) -> bool:
        self._writing()
        if any(
            n.idempotency_key == notification.idempotency_key
            for n in self.s.outbox.values()
        ):
            return False
        stored = replace(notification, id=self.s.next_id)
        self.s.next_id += 1
        self.s.outbox[stored.id or 0] = stored
        return True

    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        return sum(self.add_notification(n) for n in notifications)

    def claim_notifications(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> Sequence[Notification]:
        self._writing()
        due = [
            n
            for n in sorted(self.s.outbox.values(), key=lambda n: n.id or 0)
            if n.status == NotificationStatus.PENDING
            and n.available_at <= now
            and (n.locked_until is None or n.locked_until < now)
        ][:limit]
        claimed = []
        for n in due:
            leased = replace(n, locked_until=lease_until, attempts=n.attempts + 1)
            self.s.outbox[n.id or 0] = leased
            claimed.append(leased)
        return claimed

    def renew_notification(
        self, notification_id: int, *, claimed_attempts: int, lease_until: datetime
    ) -> bool:
        self._writing()
        n = self.s.outbox[notification_id]
        if n.status != NotificationStatus.PENDING or n.attempts != claimed_attempts:
            return False
        self.s.outbox[notification_id] = replace(n, locked_until=lease_until)
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
        n = self.s.outbox[notification_id]
        if n.status == NotificationStatus.SENT or n.attempts != claimed_attempts:
            return False
        self.s.outbox[notification_id] = replace(
            n,
            status=status,
            locked_until=None,
            sent_at=sent_at,
            last_error=error,
            available_at=available_at or n.available_at,
        )
        return True

    def settle_notification(self, key: str, *, sent_at: datetime) -> bool:
        self._writing()
        for n in self.s.outbox.values():
            if n.idempotency_key != key or n.status == NotificationStatus.SENT:
                continue
            if n.locked_until is not None and n.locked_until >= sent_at:
                return False
            self.s.outbox[n.id or 0] = replace(
                n, status=NotificationStatus.SENT, sent_at=sent_at, locked_until=None
            )
            return True
        return False

    def get_notification(self, notification_id: int) -> Notification | None:
        return self.s.outbox.get(notification_id)

    def list_notifications(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Sequence[Notification]:
        found = [
            n
            for n in sorted(self.s.outbox.values(), key=lambda n: n.id or 0)
            if status is None or n.status == status
        ]
        return found[:limit] if limit is not None else found

    def notification_counts(self) -> Mapping[str, int]:
        return dict(Counter(n.status for n in self.s.outbox.values()))


class ApiMemory(MemoryRows):
    """The HTTP API's rows (`service.api.store`): tokens, idempotency keys."""

    def add_token(self, token: ApiToken) -> None:
        self._writing()
        if token.id in self.s.tokens:
            raise DuplicateError(f"token {token.id!r} already exists")
        self.s.tokens[token.id] = token

    def get_token(self, token_id: str) -> ApiToken | None:
        return self.s.tokens.get(token_id)

    def list_tokens(self) -> Sequence[ApiToken]:
        return sorted(self.s.tokens.values(), key=lambda t: (t.created_at, t.id))

    def revoke_token(self, token_id: str, at: datetime) -> ApiToken | None:
        self._writing()
        token = self.s.tokens.get(token_id)
        if token is not None and token.revoked_at is None:
            token = self.s.tokens[token_id] = replace(token, revoked_at=at)
        return token

    def claim_idempotency(
        self, record: IdempotencyRecord, *, expire_before: datetime
    ) -> IdempotencyRecord | None:
        self._writing()
        self.s.idempotency = {
            k: r for k, r in self.s.idempotency.items() if r.created_at >= expire_before
        }
        held = self.s.idempotency.setdefault((record.user_id, record.key), record)
        return None if held is record else held

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
        held = self.s.idempotency.get((user_id, key))
        if held is not None:
            self.s.idempotency[user_id, key] = replace(
                held, status=status, body=body, headers=dict(headers), completed_at=at
            )

    def release_idempotency(self, user_id: str, key: str) -> None:
        self._writing()
        held = self.s.idempotency.get((user_id, key))
        if held is not None and held.status is None:
            del self.s.idempotency[user_id, key]
