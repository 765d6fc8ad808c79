"""Read the times people type: ISO 8601 instants, dates and ranges.

A time without an offset is read as local time in Europe/Copenhagen (that is the
office's clock); a bare date means the start of that local day. The result is
always an aware UTC instant. A local time the clock skips (02:30 on the night
it springs forward) is refused; one it shows twice (02:30 on the night it falls
back) is refused unless it carries its offset (+02:00 the first time, +01:00
the second): the zone's `fold` tells the two apart.

A range (`parse_range`) includes both its ends: a bare date as its end means
the whole of that local day, a full time that very instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from engine.dates.calendars import COPENHAGEN
from engine.exceptions import InvalidInputError, InvalidTimeError

_ONE_TICK = timedelta(microseconds=1)  # the finest time the record keeps


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """Parse `text` as an instant.

    Raises:
        InvalidTimeError: the text is not an ISO 8601 date or date-time, or is
            a local time that does not exist or is ambiguous without an offset.
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
        parsed = _local(parsed, text, what)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed past the calendar by the offset
        raise InvalidTimeError(
            f"{what} {text!r} is out of range: in UTC it falls outside the years "
            "1 to 9999"
        ) from None


def _local(naive: datetime, text: str, what: str) -> datetime:
    """`naive` on the Copenhagen clock, if that clock shows it exactly once."""
    first = naive.replace(tzinfo=COPENHAGEN, fold=0)
    second = naive.replace(tzinfo=COPENHAGEN, fold=1)
    try:
        shown = first.astimezone(UTC).astimezone(COPENHAGEN).replace(tzinfo=None)
    except OverflowError:  # at the calendar's very ends: no clock change there
        return first
    if shown != naive:
        raise InvalidTimeError(
            f"{what} {text!r} does not exist in Copenhagen: the clocks skip that "
            "hour when summer time begins"
        )
    if first.utcoffset() != second.utcoffset():
        one, two = (_offset(first), _offset(second))
        raise InvalidTimeError(
            f"{what} {text!r} happens twice in Copenhagen, when summer time ends; "
            f"give its offset: {one} the first time, {two} the second"
        )
    return first


def _offset(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")[-6:]


def parse_range(
    since: str | None,
    until: str | None,
    *,
    since_what: str = "since",
    until_what: str = "until",
) -> tuple[datetime | None, datetime | None]:
    """The range people give, as [start, end) instants; both ends are included.

    A bare date as `until` runs to the end of that local day (`end` is the
    start of the next one); a full time includes that instant.

    Raises:
        InvalidTimeError: either end does not parse, or lies out of range.
        InvalidInputError: `since` is after `until`.
    """
    start = parse_instant(since, what=since_what) if since is not None else None
    end = None
    if until is not None:
        value = until.strip()
        try:
            if len(value) == 10:
                day = parse_date(value, what=until_what) + timedelta(days=1)
                end = datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC)
            else:
                end = parse_instant(value, what=until_what) + _ONE_TICK
        except OverflowError:
            raise InvalidTimeError(
                f"{until_what} {until!r} lies out of range"
            ) from None
    if start is not None and end is not None and start >= end:
        raise InvalidInputError(
            f"the period must not start after it ends: {since_what} {since!r} is "
            f"after {until_what} {until!r} (both its ends are included)"
        )
    return start, end


def parse_date(text: str, *, what: str = "date") -> date:
    """Parse `YYYY-MM-DD`.

    Raises:
        InvalidTimeError: anything else.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidTimeError(f"{what} {text!r} is not a date (YYYY-MM-DD)") from None
