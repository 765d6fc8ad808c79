"""Read the times people type: ISO 8601 instants and dates.

A time without an offset is read as local time in Europe/Copenhagen (that is the
office's clock); a bare date means the start of that local day. The result is
always an aware UTC instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from engine.dates.calendars import COPENHAGEN
from engine.exceptions import InvalidTimeError


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """Parse `text` as an instant.

    Raises:
        InvalidTimeError: the text is not an ISO 8601 date or date-time.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(0), COPENHAGEN)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidTimeError(
            f"{what} {text!r} does not parse; use ISO 8601, e.g. 2024-10-09 "
            "or 2024-10-09T10:00:00+02:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=COPENHAGEN)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by the offset
        raise InvalidTimeError(
            f"{what} {text!r} is out of range: in UTC it falls outside the years "
            "1 to 9999"
        ) from None


def parse_date(text: str, *, what: str = "date") -> date:
    """Parse `YYYY-MM-DD`.

    Raises:
        InvalidTimeError: anything else.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidTimeError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None
