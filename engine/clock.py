"""The one place that reads the wall clock.

Everything else receives a `Clock` and calls `now()` once per operation, so a
case row, its deadline and its audit entry share one instant. Tests inject
`engine.testing.FakeClock` and never sleep.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of the current instant."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)
