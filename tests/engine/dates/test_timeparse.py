"""The times people type: the clock's changes, and ranges with both ends in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.dates.timeparse import parse_instant, parse_range
from engine.exceptions import InvalidInputError, InvalidTimeError


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, 0, micro, tzinfo=UTC)


def test_a_time_the_clock_skips_is_refused() -> None:
    """02:00 -> 03:00 on 30 March 2025: 02:30 never shows in Copenhagen."""
    with pytest.raises(InvalidTimeError, match="does not exist in Copenhagen"):
        parse_instant("2025-03-30T02:30", what="--at")
    assert parse_instant("2025-03-30T01:59") == utc(2025, 3, 30, 0, 59)
    assert parse_instant("2025-03-30T03:00") == utc(2025, 3, 30, 1, 0)
    assert parse_instant("2025-03-30") == utc(2025, 3, 29, 23, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-10-26T02:30+02:00", utc(2025, 10, 26, 0, 30)),  # the first time
        ("2025-10-26T02:30+01:00", utc(2025, 10, 26, 1, 30)),  # the second
        ("2025-10-26T00:30Z", utc(2025, 10, 26, 0, 30)),
    ],
)
def test_a_time_shown_twice_is_taken_with_its_offset(
    text: str, expected: datetime
) -> None:
    assert parse_instant(text) == expected


def test_a_time_shown_twice_without_an_offset_is_refused() -> None:
    """03:00 -> 02:00 on 26 October 2025: 02:30 shows twice."""
    with pytest.raises(InvalidTimeError, match="happens twice") as raised:
        parse_instant("2025-10-26T02:30", what="at")
    assert "+02:00 the first time, +01:00 the second" in str(raised.value)
    assert parse_instant("2025-10-26T01:59") == utc(2025, 10, 25, 23, 59)
    assert parse_instant("2025-10-26T03:00") == utc(2025, 10, 26, 2, 0)


def test_a_range_includes_both_ends() -> None:
    # a date as `until`: all of that local day (summer time: UTC+2)
    assert parse_range("2024-10-09", "2024-10-09") == (
        utc(2024, 10, 8, 22),
        utc(2024, 10, 9, 22),
    )
    # a full time as `until`: that instant, included
    start, end = parse_range(None, "2024-10-09T14:00:00+02:00")
    assert start is None
    assert end is not None
    assert utc(2024, 10, 9, 12) < end <= utc(2024, 10, 9, 12, 0, 1)
    assert parse_range(None, None) == (None, None)


@pytest.mark.parametrize(
    ("since", "until", "error", "fragment"),
    [
        ("2024-10-10", "2024-10-09", InvalidInputError, "is after"),
        ("2024-10-09T12:00", "2024-10-09T11:59", InvalidInputError, "is after"),
        ("2024-10-09", "9 Oct", InvalidTimeError, "does not parse"),
        (None, "9999-12-31", InvalidTimeError, "out of range"),
        (None, "2025-10-26T02:30", InvalidTimeError, "happens twice"),
    ],
)
def test_a_bad_range_is_refused(
    since: str | None, until: str, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        parse_range(since, until)
