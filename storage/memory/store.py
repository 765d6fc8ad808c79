"""`InMemoryCaseStore`: the store contract over dicts, for fast unit tests.

A transaction holds one lock for its whole life (like SQLite's BEGIN IMMEDIATE)
and works on a private copy of what it changes; commit applies the changes,
an exception discards them, so nothing is ever half-written.
"""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DuplicateError,
)
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
    NotificationStatus,
    OverdueCase,
    UnreadableEntry,
    User,
    format_case_number,
    overdue_of,
    parse_case_number,
)


@dataclass
class _State:
    cases: dict[str, Case] = field(default_factory=dict)
    audit: dict[int, list[AuditEntry]] = field(default_factory=dict)
    documents: dict[int, list[Document]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    sequences: dict[int, int] = field(default_factory=dict)
    workflows: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    calendars: dict[str, JsonDict] = field(default_factory=dict)
    chases: dict[tuple[int, int, str], ChaseRecord] = field(default_factory=dict)
    outbox: dict[int, Notification] = field(default_factory=dict)
    access: list[AccessEntry] = field(default_factory=list)
    # the HTTP API's tokens and idempotency keys; (workflow, event) of each entry
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    audit_order: list[tuple[str, str]] = field(default_factory=list)
    settings: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    next_id: int = 1


class InMemoryCaseStore:
    """The same behaviour as `SqlCaseStore`, kept in memory."""

    def __init__(self) -> None:
        self._state = _State()
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_MemoryTransaction]:
        with self._lock:
            work = copy.deepcopy(self._state) if write else self._state
            yield _MemoryTransaction(work, writable=write)
            if write:
                self._state = work


class _MemoryTransaction:
    def __init__(self, state: _State, *, writable: bool) -> None:
        self.s = state
        self.writable = writable

    def _writing(self) -> None:
        if not self.writable:
            raise RuntimeError("a read transaction cannot write")

    def next_case_number(self, year: int) -> str:
        self._writing()
        self.s.sequences[year] = self.s.sequences.get(year, 0) + 1
        return format_case_number(year, self.s.sequences[year])

    def reserve_case_number(self, number: str) -> None:
        self._writing()
        if number in self.s.cases:
            raise DuplicateError(f"case {number} already exists")
        year, seq = parse_case_number(number)
        self.s.sequences[year] = max(self.s.sequences.get(year, 0), seq)

    def add_case(self, case: Case) -> Case:
        self._writing()
        if case.number in self.s.cases:
            raise DuplicateError(f"case {case.number} already exists")
        stored = replace(case, id=self.s.next_id)
        self.s.next_id += 1
        self.s.cases[case.number] = stored
        return stored

    def get_case(self, number: str, *, for_update: bool = False) -> Case:
        try:
            return self.s.cases[number]
        except KeyError:
            raise CaseNotFoundError(number) from None

    def update_case(self, case: Case, *, expected_version: int) -> None:
        self._writing()
        current = self.get_case(case.number)
        if current.version != expected_version:
            raise ConcurrentUpdateError(case.number, expected_version, current.version)
        self.s.cases[case.number] = case

    def append_audit(self, entry: AuditEntry) -> None:
        self._writing()
        entries = self.s.audit.setdefault(entry.case_id, [])
        if any(e.seq == entry.seq for e in entries):
            raise ConcurrentUpdateError(entry.case_number, entry.seq - 1)
        entries.append(entry)
        self.s.audit_order.append((entry.workflow, entry.event))

    def add_document(self, document: Document) -> None:
        self._writing()
        self.s.documents.setdefault(document.case_id, []).append(document)

    def append_audits(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.append_audit(entry)

    def add_documents(self, documents: Sequence[Document]) -> None:
        for document in documents:
            self.add_document(document)

    def history(self, case_id: int) -> Sequence[AuditEntry]:
        return sorted(self.s.audit.get(case_id, []), key=lambda e: e.seq)

    def documents(self, case_id: int) -> Sequence[Document]:
        return sorted(self.s.documents.get(case_id, []), key=lambda d: d.seq)

    def histories(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[AuditEntry]]:
        return {i: self.history(i) for i in case_ids}

    def documents_of(self, case_ids: Sequence[int]) -> Mapping[int, Sequence[Document]]:
        return {i: self.documents(i) for i in case_ids}

    def list_cases(self, selection: CaseFilter) -> Sequence[Case]:
        found = sorted(self._selected(selection), key=lambda c: c.id or 0)
        if selection.by_due:  # a stable sort: by id within a day
            found.sort(key=lambda c: c.due or date.max)
        end = None if selection.limit is None else selection.offset + selection.limit
        return found[selection.offset : end]

    def count_cases(self, selection: CaseFilter) -> int:
        return sum(1 for _ in self._selected(selection))

    def state_counts(
        self, *, due_before: date | None = None
    ) -> Sequence[tuple[str, str, int]]:
        counted = Counter(
            (c.workflow, c.state)
            for c in self._selected(CaseFilter(due_before=due_before))
        )
        return [(w, s, n) for (w, s), n in sorted(counted.items())]

    def _selected(self, selection: CaseFilter) -> Iterator[Case]:
        return (
            c
            for c in self.s.cases.values()
            if (selection.workflow is None or c.workflow == selection.workflow)
            and (selection.state is None or c.state == selection.state)
            and (
                selection.due_before is None
                or (c.due is not None and c.due < selection.due_before)
            )
            and (selection.after_id is None or (c.id or 0) > selection.after_id)
        )

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        for case in sorted(self.s.cases.values(), key=lambda c: c.id or 0):
            if selection.case_number not in (None, case.number):
                continue
            for entry in self.history(case.id or 0):
                if selection.actor not in (None, entry.actor):
                    continue
                if selection.since is not None and entry.at < selection.since:
                    continue
                if selection.until is not None and entry.at >= selection.until:
                    continue
                if any(
                    wanted is not None and value != wanted
                    for value, wanted in (
                        (entry.event, selection.event),
                        (entry.to_state, selection.state),
                        (entry.workflow, selection.workflow),
                        (entry.role, selection.role),
                    )
                ):
                    continue
                yield entry

    def add_user(self, user: User) -> None:
        self._writing()
        if user.id in self.s.users:
            raise DuplicateError(f"user {user.id!r} already exists")
        self.s.users[user.id] = user

    def get_user(self, user_id: str) -> User | None:
        return self.s.users.get(user_id)

    def list_users(self) -> Sequence[User]:
        return [self.s.users[k] for k in sorted(self.s.users)]

    def record_workflow(self, name: str, version: int, digest: str, text: str) -> str:
        self._writing()
        stored = self.s.workflows.setdefault((name, version), (digest, text))
        return stored[0]

    def workflow_text(self, name: str, version: int) -> str | None:
        found = self.s.workflows.get((name, version))
        return found[1] if found else None

    def record_calendar(self, calendar_id: str, spec: JsonDict) -> None:
        self._writing()
        self.s.calendars.setdefault(calendar_id, spec)

    def record_access(self, entry: AccessEntry) -> None:
        self._writing()
        self.s.access.append(replace(entry, id=len(self.s.access) + 1))

    def access_entries(
        self, *, case_number: str | None = None, actor: str | None = None
    ) -> Iterator[AccessEntry]:
        for entry in sorted(self.s.access, key=lambda e: (e.at, e.id or 0)):
            if case_number not in (None, entry.case_number):
                continue
            if actor not in (None, entry.actor):
                continue
            yield entry

    def purge_access(self, before: datetime) -> int:
        self._writing()
        kept = [e for e in self.s.access if e.at >= before]
        purged = len(self.s.access) - len(kept)
        self.s.access = kept
        return purged

    def calendar_spec(self, calendar_id: str) -> JsonDict | None:
        return self.s.calendars.get(calendar_id)

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        yield from self.audit_entries(AuditFilter())

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        for c in sorted(self.s.cases.values(), key=lambda c: c.id or 0):
            yield (c.id or 0, c.number, c.version, c.audit_head)

    # -- the chaser ---------------------------------------------------------------
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

    def users_with_role(self, role: str) -> Sequence[User]:
        return [u for u in self.list_users() if role in u.roles]

    # -- facts about the database itself (db_setting) ------------------------------
    def get_setting(self, key: str) -> str | None:
        found = self.s.settings.get(key)
        return found[0] if found is not None else None

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        self._writing()
        self.s.settings[key] = (value, at)

    # -- the outbox -------------------------------------------------------------------
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

    # -- the HTTP API ------------------------------------------------------------------
    def notification_counts(self) -> Mapping[str, int]:
        return dict(Counter(n.status for n in self.s.outbox.values()))

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

    def oldest_chase_due(self) -> date | None:
        return min(
            (c.chase_due for c in self.s.cases.values() if c.chase_due is not None),
            default=None,
        )

    def audit_counts(self, after: int) -> tuple[int, Sequence[tuple[str, str, int]]]:
        added = Counter(self.s.audit_order[after:])
        newest = max(after, len(self.s.audit_order))
        return newest, [(w, e, n) for (w, e), n in sorted(added.items())]
