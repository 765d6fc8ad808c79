"""A memoising office calendar for generating large offices.

The engine places every deadline and rung with `add_working_days` (and the
chaser counts days late with `working_days_between`), scanning day by day; an
office of a million cases asks the same few thousand questions millions of
times. The answers are pure functions of the rules and the arguments, so they
are cached here; the calendar's id, and so the record, stays the same.
"""

from __future__ import annotations

from datetime import date

from engine.dates.calendars import BusinessCalendar, CalendarSpec


class MemoCalendar(BusinessCalendar):
    """`BusinessCalendar` with its counting answers cached."""

    __slots__ = ("_added", "_between")

    def __init__(self, spec: CalendarSpec | None = None) -> None:
        super().__init__(spec)
        self._added: dict[tuple[date, int], date] = {}
        self._between: dict[tuple[date, date], int] = {}

    @classmethod
    def like(cls, calendar: BusinessCalendar) -> MemoCalendar:
        """The same rules as `calendar`, memoised."""
        return cls(calendar.spec)

    def add_working_days(self, start: date, n: int) -> date:
        key = (start, n)
        found = self._added.get(key)
        if found is None:
            found = self._added[key] = super().add_working_days(start, n)
        return found

    def working_days_between(self, start: date, end: date) -> int:
        key = (start, end)
        found = self._between.get(key)
        if found is None:
            found = self._between[key] = super().working_days_between(start, end)
        return found
