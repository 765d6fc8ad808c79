"""The outbox (messages waiting, sent or failed) and the channels they leave by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from engine.records import Notification


@runtime_checkable
class OutboxRecords(Protocol):
    def add_notification(self, notification: Notification) -> bool:
        """Queue a message; False when its idempotency key is queued already."""
        ...

    def add_notifications(self, notifications: Sequence[Notification]) -> int:
        """`add_notification` for each, written together; how many were new."""
        ...

    def claim_notifications(
        self, now: datetime, *, limit: int, lease_until: datetime
    ) -> Sequence[Notification]:
        """Pending messages due by `now` and not leased: lease them, count a try."""
        ...

    def renew_notification(
        self, notification_id: int, *, claimed_attempts: int, lease_until: datetime
    ) -> bool:
        """Hold the lease on a claimed message until `lease_until`, if it is
        still this claim's (not sent, still at `claimed_attempts`): a worker
        renews each message just before it sends it, so one whose batch took
        longer than the lease never sends a message another worker took over.
        Returns whether it is still this claim's."""
        ...

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
        """Record the outcome of a delivery attempt and release the lease.

        Only while the row is not sent and still at `claimed_attempts` (the count
        the claim left it at): a worker whose lease ran out, and which another
        worker has since overtaken, cannot overwrite that worker's outcome.
        Returns whether the outcome was recorded.
        """
        ...

    def settle_notification(self, key: str, *, sent_at: datetime) -> bool:
        """Mark the notification with idempotency key `key` sent, its work done
        by other means (a letter rendered by the step's own command), unless it
        is sent or leased to a worker now; whether it was marked."""
        ...

    def get_notification(self, notification_id: int) -> Notification | None: ...

    def list_notifications(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Sequence[Notification]: ...

    def notification_counts(self) -> Mapping[str, int]:
        """How many notifications the outbox holds, by status."""
        ...


class Channel(Protocol):
    """A way out for notifications: e-mail, a webhook, the log."""

    def send(self, notification: Notification) -> None:
        """Deliver the message, passing its idempotency key downstream.

        Raises:
            DeliveryError: it could not be delivered (it will be retried).
        """
        ...
