"""What the chaser reads and claims: overdue cases and the rungs fired on them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from engine.records import Case, ChaseRecord, OverdueCase


class ChaseRecords(Protocol):
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

    def oldest_chase_due(self) -> date | None:
        """The earliest `chase_due` of any case (an index read), if any."""
        ...

    def record_chase(self, chase: ChaseRecord) -> bool:
        """Claim a rung for one stay; False when it was fired already."""
        ...
