"""Facts about the database itself (`db_setting`): what kind of database it is."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class DatabaseSettings(Protocol):
    def get_setting(self, key: str) -> str | None:
        """The value recorded for `key` (e.g. "kind": "demo"), if any."""
        ...

    def set_setting(self, key: str, value: str, *, at: datetime) -> None:
        """Record `key` = `value` as of `at`, replacing an earlier value.

        Keys are at most 64 characters.
        """
        ...
