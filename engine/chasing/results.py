"""What a sweep reports: each rung fired, and the pass's counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, kw_only=True, slots=True)
class Chased:
    """One rung fired on one case."""

    number: str
    state: str
    rung: str
    due: date  # the deadline that was missed
    new_due: date | None
    working_days_overdue: int  # past the deadline on the chase's local date
    chaser_lag_working_days: int  # after the first working day it could have fired
    notifications: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SweepResult:
    examined: int
    chased: tuple[Chased, ...]  # every rung fired, if the sweep was to keep them
    skipped: str | None = None  # why the sweep did not run, if it did not
    oldest_due: date | None = None  # the oldest missed deadline it saw
    fired: int = 0  # rungs fired (kept or not)
    notifications: int = 0  # notifications queued by them
