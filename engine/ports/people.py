"""The people: users, their roles and absences, and who read personal data."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from engine.records import Absence, AccessEntry, User, UserChange


class UserRecords(Protocol):
    def add_user(self, user: User) -> None:
        """Raises DuplicateError."""
        ...

    def update_user(self, user: User) -> None:
        """Store the user's new state (always with a users' chain entry)."""
        ...

    def get_user(self, user_id: str) -> User | None:
        """The user as committed now: a change made by another process since
        this store last looked is seen (storage/sql/people.py)."""
        ...

    def user_by_login(self, login: str) -> User | None: ...

    def list_users(self) -> Sequence[User]: ...

    def users_with_role(self, role: str) -> Sequence[User]:
        """The active users holding `role`."""
        ...

    def append_user_change(self, change: UserChange) -> None:
        """Add a sealed entry to the users' chain.

        Raises:
            ConcurrentUpdateError: another entry took its place first.
        """
        ...

    def user_changes(self, user_id: str | None = None) -> Iterator[UserChange]:
        """The users' chain (of `user_id`), oldest first; streamed."""
        ...

    def users_head(self) -> tuple[int, str]:
        """The users' chain's length and last hash (GENESIS when empty)."""
        ...

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
