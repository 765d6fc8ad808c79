"""A bulk transaction's people and settings from memory.

`PeopleBulk` answers `engine.ports.UserRecords` (users and their absences),
the writing half of `AccessLog` (reads of the log are the database's:
demo/bulk/database.py) and `DatabaseSettings` from the store's `BulkState`,
with an undo step for each change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime

from demo.bulk.state import BulkRows
from engine.exceptions import DuplicateError, UsersChangedError
from engine.records import Absence, AccessEntry, User, UserChange
from storage.tables import ABSENCES, ACCESS


class PeopleBulk(BulkRows):
    """`engine.ports.UserRecords`, `DatabaseSettings`, `AccessLog.record_access`."""

    def add_user(self, user: User) -> None:
        self._writing()
        s = self.s
        if user.id in s.users:
            raise DuplicateError(f"user {user.id!r} already exists")
        s.users[user.id] = user
        self._log(lambda: s.users.pop(user.id))
        self._append(s.new_users, user)

    def update_user(self, user: User) -> None:
        raise NotImplementedError("the demo's bulk building adds users only")

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
        s = self.s
        if change.seq != s.users_head[0] + 1:
            raise UsersChangedError()
        before = s.users_head
        s.users_head = (change.seq, change.hash)

        def undo() -> None:
            s.users_head = before

        self._log(undo)
        self._append(s.new_user_changes, change)

    def user_changes(self, user_id: str | None = None) -> Iterator[UserChange]:
        raise NotImplementedError("the users' chain is read from the database")

    def users_head(self) -> tuple[int, str]:
        return self.s.users_head

    def add_absence(self, absence: Absence) -> None:
        self._writing()
        stored = replace(absence, id=self._take_id(ABSENCES))
        self._append(self.s.absences, stored)
        self._append(self.s.new_absences, stored)

    def absences(self, user_id: str | None = None) -> Sequence[Absence]:
        found = [a for a in self.s.absences if user_id in (None, a.user_id)]
        return sorted(found, key=lambda a: (a.user_id, a.starts, a.id or 0))

    def record_access(self, entry: AccessEntry) -> None:
        self._writing()
        self._append(self.s.new_access, replace(entry, id=self._take_id(ACCESS)))

    def get_setting(self, key: str) -> str | None:
        found = self.s.settings.get(key)
        return found[0] if found is not None else None

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        self._writing()
        self._set(self.s.settings, self.s.dirty_settings, key, (value, at))
