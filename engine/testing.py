"""Test helpers shipped with the engine (like `structlog.testing`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from engine.cases.engine import CaseEngine
from engine.chasing.chaser import Chaser, ChaseSettings
from engine.ports import Letters


@dataclass
class FakeClock:
    """A clock that stands still until told to move."""

    current: datetime = field(default_factory=lambda: datetime(2025, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware instant")
        self.current = instant.astimezone(UTC)


def chaser_for(
    engine: CaseEngine,
    *,
    letters: Letters | None = None,
    settings: ChaseSettings | None = None,
) -> Chaser:
    """A chaser on `engine`'s store, clock, calendar and rule book.

    For tests and tools that hold an engine; a service composes its chaser
    from the parts.
    """
    return Chaser(
        store=engine.store,
        clock=engine.clock,
        calendar=engine.calendar,
        rules=engine.rules,
        letters=letters,
        settings=settings,
    )
