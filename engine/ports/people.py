"""The people: users, their roles and absences, and who read personal data."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from engine.records import Absence, AccessEntry, User


class UserRecords(Protocol):
    def add_user(self, user: User) -> None:
        """Raises DuplicateError."""
        ...

    def get_user(self, user_id: str) -> User | None: ...

    def list_users(self) -> Sequence[User]: ...

    def users_with_role(self, role: str) -> Sequence[User]: ...

    def add_absence(self, absence: Absence) -> None: ...

    def absences(self, user_id: str | None = None) -> Sequence[Absence]:
        """Every absence (of `user_id`), by user then start, the newest set last."""
        ...


class AccessLog(Protocol):
    """Reads of personal data, kept for their retention period."""

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
