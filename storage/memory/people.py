"""The record across cases in memory, the users, who read what, and settings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from engine.exceptions import DuplicateError, UsersChangedError
from engine.records import (
    Absence,
    AccessEntry,
    AuditEntry,
    AuditFilter,
    UnreadableEntry,
    User,
    UserChange,
)
from storage.memory.state import MemoryRows


class RecordMemory(MemoryRows):
    """`engine.ports.AuditReads`."""

    def audit_entries(self, selection: AuditFilter) -> Iterator[AuditEntry]:
        for case in sorted(self.s.cases.values(), key=lambda c: c.id or 0):
            if selection.case_number not in (None, case.number):
                continue
            for entry in sorted(
                self.s.audit.get(case.id or 0, []), key=lambda e: e.seq
            ):
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

    def verify_entries(self) -> Iterator[AuditEntry | UnreadableEntry]:
        yield from self.audit_entries(AuditFilter())

    def chain_heads(self) -> Iterator[tuple[int, str, int, str]]:
        for c in sorted(self.s.cases.values(), key=lambda c: c.id or 0):
            yield (c.id or 0, c.number, c.version, c.audit_head)

    def audit_counts(self, after: int) -> tuple[int, Sequence[tuple[str, str, int]]]:
        added = Counter(self.s.audit_order[after:])
        newest = max(after, len(self.s.audit_order))
        return newest, [(w, e, n) for (w, e), n in sorted(added.items())]


class PeopleMemory(MemoryRows):
    """`engine.ports.UserRecords`, `AccessLog` and `DatabaseSettings`."""

    def add_user(self, user: User) -> None:
        self._writing()
        if user.id in self.s.users:
            raise DuplicateError(f"user {user.id!r} already exists")
        self.s.users[user.id] = user

    def update_user(self, user: User) -> None:
        self._writing()
        self.s.users[user.id] = user

    def get_user(self, user_id: str) -> User | None:
        return self.s.users.get(user_id)

    def user_by_login(self, login: str) -> User | None:
        return next((u for u in self.s.users.values() if u.login == login), None)

    def list_users(self) -> Sequence[User]:
        return [self.s.users[k] for k in sorted(self.s.users)]

    def users_with_role(self, role: str) -> Sequence[User]:
        return [u for u in self.list_users() if role in u.roles and u.active]

    def append_user_change(self, change: UserChange) -> None:
        self._writing()
        if change.seq != len(self.s.user_changes) + 1:
            raise UsersChangedError()
        self.s.user_changes.append(change)

    def user_changes(self, user_id: str | None = None) -> Iterator[UserChange]:
        return iter([c for c in self.s.user_changes if user_id in (None, c.user_id)])

    def users_head(self) -> tuple[int, str]:
        if not self.s.user_changes:
            return 0, "0" * 64
        last = self.s.user_changes[-1]
        return last.seq, last.hash

    def add_absence(self, absence: Absence) -> None:
        self._writing()
        self.s.absences.append(replace(absence, id=len(self.s.absences) + 1))

    def absences(self, user_id: str | None = None) -> Sequence[Absence]:
        found = [a for a in self.s.absences if user_id in (None, a.user_id)]
        return sorted(found, key=lambda a: (a.user_id, a.starts, a.id or 0))

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

    def get_setting(self, key: str) -> str | None:
        found = self.s.settings.get(key)
        return found[0] if found is not None else None

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        self._writing()
        self.s.settings[key] = (value, at)
