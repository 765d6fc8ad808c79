"""Calendar periods: when a retention rule lets personal data go.

A retention period is counted on the plain calendar, not the office's: no
working days, no rolling off weekends or holidays (nobody is asked to act on
the day, the data is simply no longer kept from it). Months and years land on
the same day number of the target month, or on that month's last day when it
has none: 31 January + 1 month is 28 (or 29) February, 29 February 2024 +
1 year is 28 February 2025.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from engine.workflow.definition import Period, PeriodUnit, Retention

__all__ = ["add_period", "retention_ends"]


def add_period(day: date, period: Period) -> date:
    """The day `period` after `day` (calendar days; months and years clamped).

    Raises:
        OverflowError: the result lies after 31 December 9999.
    """
    if period.unit is PeriodUnit.DAYS:
        return day + timedelta(days=period.amount)
    months = period.amount * (12 if period.unit is PeriodUnit.YEARS else 1)
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if year > date.max.year:
        raise OverflowError(f"{period} after {day.isoformat()} is after year 9999")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def retention_ends(retention: Retention, entered_on: date) -> date:
    """The first day a case's personal data is no longer kept.

    `entered_on` is the (local) day the case last entered the rule's final
    state; the data is kept through the day before the returned one. A case
    closed on 20 November 2024 under `after: 5 years` keeps its personal data
    until 19 November 2029 and loses it from 20 November 2029.
    """
    return add_period(entered_on, retention.after)
