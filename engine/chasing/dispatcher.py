"""The dispatcher: delivers what the outbox holds, at least once.

A pass claims a batch of pending notifications with a lease (committed before
any network I/O, so no transaction is held open while mail goes out), sends
each through its channel, and records the outcome: sent, or back to pending
with an exponential backoff, or, after the last try, failed: visible in
`outbox list` until someone retries it. Nothing is dropped silently. Each
message's lease is renewed just before it is sent, so a batch that outlasts
its lease never sends what another worker took over meanwhile; a crash
between sending and recording re-sends after the lease runs out; receivers
de-duplicate by the idempotency key every channel passes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from engine.clock import Clock
from engine.exceptions import DeliveryError, InvalidInputError, NotFoundError
from engine.ports import Channel, OutboxRecords, Store
from engine.records import Notification, NotificationStatus

log = structlog.get_logger()

DEFAULT_BATCH = 20
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=6)


@dataclass(frozen=True, kw_only=True, slots=True)
class DispatchResult:
    sent: int
    retrying: int
    failed: int  # gave up: out of attempts

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed ones: 1, 2, 4 ... min."""
    doublings = min(max(attempts - 1, 0), 20)
    return min(BACKOFF_BASE * (1 << doublings), BACKOFF_CAP)


class Dispatcher:
    """Delivers the outbox through the configured channels."""

    def __init__(
        self,
        *,
        store: Store[OutboxRecords],
        clock: Clock,
        channels: Mapping[str, Channel],
        batch: int = DEFAULT_BATCH,
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.channels = dict(channels)
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts

    def dispatch(self, now: datetime | None = None) -> DispatchResult:
        """Deliver every notification that is due, batch after batch."""
        sent = retrying = failed = 0
        while True:
            moment = now or self.clock.now()
            with self.store.transaction() as tx:
                claimed = tx.claim_notifications(
                    moment, limit=self.batch, lease_until=moment + self.lease
                )
            for notification in claimed:
                outcome = self._deliver(notification)
                sent += outcome == NotificationStatus.SENT
                failed += outcome == NotificationStatus.FAILED
                retrying += outcome == NotificationStatus.PENDING
            if len(claimed) < self.batch:
                return DispatchResult(sent=sent, retrying=retrying, failed=failed)

    def retry(self, notification_id: int) -> Notification:
        """Put a failed (or pending) notification back in line, now.

        Raises:
            NotFoundError: no such notification.
            InvalidInputError: it was sent already.
        """
        now = self.clock.now()
        with self.store.transaction() as tx:
            found = tx.get_notification(notification_id)
            if found is None:
                raise NotFoundError(f"no notification {notification_id} in the outbox")
            if found.status == NotificationStatus.SENT:
                raise InvalidInputError(
                    f"notification {notification_id} was sent at "
                    f"{found.sent_at.isoformat() if found.sent_at else '?'}"
                )
            if found.locked_until is not None and found.locked_until > now:
                raise InvalidInputError(
                    f"notification {notification_id} is being delivered right now "
                    f"(until {found.locked_until.isoformat()}); look again after that"
                )
            tx.finish_notification(
                notification_id,
                claimed_attempts=found.attempts,
                status=NotificationStatus.PENDING,
                error=found.last_error,
                available_at=now,
            )
            again = tx.get_notification(notification_id)
        assert again is not None
        return again

    def _deliver(self, n: Notification) -> str | None:
        """Send `n` and record how it went; None when it is no longer ours."""
        assert n.id is not None
        with self.store.transaction() as tx:  # still ours? then hold it anew
            ours = tx.renew_notification(
                n.id,
                claimed_attempts=n.attempts,
                lease_until=self.clock.now() + self.lease,
            )
        if not ours:  # the batch outlasted the lease and another worker took it
            log.warning(
                "notification_taken_over", case=n.case_number, notification=n.id
            )
            return None
        channel = self.channels.get(n.channel)
        error: str | None = None
        if channel is None:
            error = f"no {n.channel!r} channel is configured"
        else:
            try:
                channel.send(n)
            except DeliveryError as exc:
                error = str(exc)
        done = self.clock.now()
        status = NotificationStatus.SENT
        retry_at: datetime | None = None
        if error is not None and n.attempts >= self.max_attempts:
            status = NotificationStatus.FAILED
        elif error is not None:
            status = NotificationStatus.PENDING
            retry_at = done + backoff(n.attempts)
        with structlog.contextvars.bound_contextvars(
            case=n.case_number, notification=n.id, channel=n.channel
        ):
            with self.store.transaction() as tx:
                recorded = tx.finish_notification(
                    n.id,
                    claimed_attempts=n.attempts,
                    status=status,
                    sent_at=done if error is None else None,
                    error=error,
                    available_at=retry_at,
                )
            if not recorded:  # our lease ran out and another worker took over
                log.warning("notification_outcome_stale", outcome=status, error=error)
                return status
            if status == NotificationStatus.SENT:
                log.info("notification_sent", attempts=n.attempts)
            elif status == NotificationStatus.FAILED:
                log.error("notification_failed", attempts=n.attempts, error=error)
            else:
                log.warning("notification_retrying", attempts=n.attempts, error=error)
            return status
