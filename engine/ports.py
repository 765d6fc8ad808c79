"""The storage protocol the engine needs and `storage/` implements.

A `CaseStore` hands out transactions; everything written in one transaction is
committed together or not at all. Implementations raise the engine's errors:
`CaseNotFoundError`, `ConcurrentUpdateError` (an update whose expected version
is stale, or a second audit entry with the same (case, seq)), `DuplicateError`,
and `StorageError` for anything else, with the driver error as `__cause__`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Protocol

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
)


class CaseTransaction(Protocol):
    def next_case_number(self, year: int) -> str:
        """Allocate the next number of `year`: unique and gap-free under concurrency."""
        ...

    def reserve_case_number(self, number: str) -> None:
        """Claim an imported number; later allocations of its year go above it.

        Raises:
            DuplicateError: a case with that number exists.
        """
        ...

    def add_case(self, case: Case) -> Case:
        """Insert a new case; returns it with its id."""
        ...

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        """Raises CaseNotFoundError."""
        ...

    def update_case(self, case: Case, *, expected_version: int) -> None:
        """Write `case` if the stored version is still `expected_version`.

        Raises:
            ConcurrentUpdateError: someone else updated it first.
        """
        ...

    def append_audit(self, entry: AuditEntry) -> None: ...

    def add_document(self, document: Document) -> None: ...

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        """`append_audit` for each entry, in order, written together."""
        ...

    def add_documents(self, documents: Sequence[Document]) -> None:
        """`add_document` for each document, in order, written together."""
        ...

    def history(self, case_id: int) -> Sequence[AuditEntry]: ...

    def documents(self, case_id: int) -> Sequence[Document]: ...

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        """`history` of each case in `case_ids`, read together; every id is a key."""
        ...

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        """`documents` of each case in `case_ids`, read together; every id is a key."""
        ...

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]: ...

    def count_cases(self, selection: CaseFilter) -> int:
        """How many cases `list_cases` selects, leaving out its limit and offset."""
        ...

    def state_counts(
        self, *, due_before: date | None = None
    ) -> Sequence[tuple[str, str, int]]:
        """(workflow, state, cases) for every state that holds a case.

        With `due_before`, only the cases due before that date (overdue) count.
        An aggregate over the (workflow, state) or the deadline index.
        """
        ...

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        """Matching entries in order of case, then seq; streamed."""
        ...

    def add_user(self, user: User) -> None:
        """Raises DuplicateError."""
        ...

    def get_user(self, user_id: str) -> User | None: ...

    def list_users(self) -> Sequence[User]: ...

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        """Remember a declaration; returns the digest stored for (name, version)."""
        ...

    def workflow_text(self, name: str, version: int) -> str | None:
        """The declaration recorded for (name, version), if any."""
        ...

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        """Remember the rules behind a calendar id (idempotent)."""
        ...

    def record_access(self, entry: AccessEntry) -> None:
        """Log a read of personal data."""
        ...

    def access_entries(
        self, *, case_number: str | None = None, actor: str | None = None
    ) -> Iterator[AccessEntry]:
        """Logged reads, oldest first; streamed."""
        ...

    def purge_access(self, before: datetime) -> int:
        """Drop logged reads older than `before` (their retention ran out)."""
        ...

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        """The rules recorded for a calendar id."""
        ...

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        """Every audit entry by case and seq, for verification; streamed.

        A row whose values no longer read (a time that is not a time, JSON that
        is not JSON) comes as an `UnreadableEntry` instead of stopping the scan.
        """
        ...

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        """(case id, number, version, audit head) of every case by id; streamed."""
        ...

    # -- the chaser ---------------------------------------------------------------
    def chase_candidates(self, before: date, *, limit: int) -> Sequence[Case]:
        """Cases whose `chase_due` lies before `before`, oldest first, locked.

        Uses the index on `chase_due`, so the cost follows the number of overdue
        cases, not of all cases; on PostgreSQL rows another worker holds are
        skipped (FOR UPDATE SKIP LOCKED).
        """
        ...

    def overdue_cases(
        self, before: date, *, limit: int, offset: int = 0
    ) -> Sequence[OverdueCase]:
        """Cases whose `chase_due` lies before `before`, oldest first; not locked.

        The few columns a listing shows, read through the index on `chase_due`
        (the cost follows the overdue cases, not all cases).
        """
        ...

    def count_overdue(self, before: date) -> int:
        """How many cases `overdue_cases` would list without a limit."""
        ...

    def record_chase(self, chase: ChaseRecord) -> bool:
        """Claim a rung for one stay; False when it was fired already."""
        ...

    def users_with_role(self, role: str) -> Sequence[User]: ...

    # -- facts about the database itself (db_setting) ------------------------------
    def get_setting(self, key: str) -> str | None:
        """The value recorded for `key` (e.g. "kind": "demo"), if any."""
        ...

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        """Record `key` = `value` as of `at`, replacing an earlier value.

        Keys are at most 64 characters.
        """
        ...

    # -- the outbox ----------------------------------------------------------------
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

    def get_notification(self, notification_id: int) -> Notification | None: ...

    def list_notifications(
        self, *, status: str | None = None, limit: int | None = None
    ) -> Sequence[Notification]: ...

    def notification_counts(self) -> Mapping[str, int]:
        """How many notifications the outbox holds, by status."""
        ...

    # -- the HTTP API --------------------------------------------------------------
    def add_token(self, token: ApiToken) -> None:
        """Store a new API token (its digest only).

        Raises:
            DuplicateError: a token with that id exists.
        """
        ...

    def get_token(self, token_id: str) -> ApiToken | None: ...

    def list_tokens(self) -> Sequence[ApiToken]:
        """Every token, revoked and expired ones included, oldest first."""
        ...

    def revoke_token(self, token_id: str, at: datetime) -> ApiToken | None:
        """Mark a token revoked at `at` (an earlier revocation is kept).

        Returns the token as stored now, or None when there is no such token.
        """
        ...

    def claim_idempotency(
        self, record: IdempotencyRecord, *, expire_before: datetime
    ) -> IdempotencyRecord | None:
        """Claim (user, key) for a request about to run.

        Records created before `expire_before` are past their retention: they
        are dropped first, and their key is free again. Returns None when the
        claim is this request's, else the record that holds the key (in flight
        or answered); under concurrency exactly one claimant gets None.
        """
        ...

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
        """Store the answer of the request that holds the claim."""
        ...

    def release_idempotency(self, user_id: str, key: str) -> None:
        """Drop an unanswered claim (the request failed and fired nothing)."""
        ...

    def oldest_chase_due(self) -> date | None:
        """The earliest `chase_due` of any case (an index read), if any."""
        ...

    def audit_counts(self, after: int) -> tuple[int, Sequence[tuple[str, str, int]]]:
        """Audit entries added after position `after`, by (workflow, event).

        Returns the position of the newest entry (the `after` of the next call)
        and the counts. Positions only grow; with `after=0` every entry counts.
        The SQL store reads from the primary key's index, so a call costs what
        was added since the last one.
        """
        ...


class CaseStore(Protocol):
    def transaction(
        self, *, write: bool = True
    ) -> AbstractContextManager[CaseTransaction]:
        """A unit of work; commits on normal exit, rolls back on an exception."""
        ...


class Channel(Protocol):
    """A way out for notifications: e-mail, a webhook, the log."""

    def send(self, notification: Notification) -> None:
        """Deliver the message, passing its idempotency key downstream.

        Raises:
            DeliveryError: it could not be delivered (it will be retried).
        """
        ...


class Letters(Protocol):
    """Writes the letters and notices the chaser sends."""

    def pinned(self) -> Letters:
        """The letters one sweep uses from its start to its end.

        An implementation may read its templates once for the pass; one without
        such a cost returns itself.
        """
        ...

    def render(
        self,
        *,
        workflow: str,
        names: Sequence[str],
        language: str,
        context: Mapping[str, object],
    ) -> tuple[str, str]:
        """(subject, body) from the first template in `names` that exists.

        Raises:
            LookupError: none of the templates exists.
        """
        ...
