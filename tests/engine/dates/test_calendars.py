"""Tests for engine.dates.calendars: Danish working days, deadline expiry, local dates.

Every expected date below was checked by hand against a calendar (weekdays, Easter
dates, the Danish public holidays) rather than taken from the code.
"""

from __future__ import annotations

import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dates import calendars, holidays_dk
from engine.dates.calendars import (
    COPENHAGEN,
    DEFAULT_CLOSED_DAYS,
    BusinessCalendar,
    CalendarSpec,
    end_of_day,
    is_overdue,
    local_date,
)

D = date.fromisoformat
DEFAULT = BusinessCalendar()
# Copenhagen's staff work 24 Dec; this office also closes 1 May.
WORKS_XMAS_EVE = BusinessCalendar(
    CalendarSpec(name="kk", closed_days=("06-05", "12-31"))
)
CLOSED_MAY_1 = BusinessCalendar(
    CalendarSpec(name="may", closed_days=(*DEFAULT_CLOSED_DAYS, "05-01"))
)


def utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    sec: int = 0,
    us: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, sec, us, tzinfo=UTC)


# ---------------------------------------------------------------- closed days


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        # 2023: Easter Sunday 9 April; Store Bededag still a holiday.
        pytest.param("2023-01-01", "New Year's Day", id="2023-new-year-on-sunday"),
        pytest.param("2023-04-06", "Maundy Thursday", id="2023-maundy-thursday"),
        pytest.param("2023-04-07", "Good Friday", id="2023-good-friday"),
        pytest.param("2023-04-09", "Easter Sunday", id="2023-easter-sunday"),
        pytest.param("2023-04-10", "Easter Monday", id="2023-easter-monday"),
        pytest.param("2023-05-01", None, id="2023-may-1-open"),
        pytest.param("2023-05-05", "Great Prayer Day", id="2023-store-bededag"),
        pytest.param("2023-05-18", "Ascension Day", id="2023-ascension"),
        pytest.param("2023-05-28", "Pentecost", id="2023-whit-sunday"),
        pytest.param("2023-05-29", "Pentecost Monday", id="2023-whit-monday"),
        pytest.param("2023-06-05", "Constitution Day", id="2023-june-5-monday"),
        pytest.param("2023-12-24", "Sunday", id="2023-christmas-eve-on-sunday"),
        pytest.param("2023-12-25", "Christmas Day", id="2023-christmas-day"),
        pytest.param("2023-12-26", "Second Day of Christmas", id="2023-boxing-day"),
        pytest.param("2023-12-31", "Sunday", id="2023-new-years-eve-on-sunday"),
        # 2024: Easter Sunday 31 March; Store Bededag abolished (was 26 April).
        pytest.param("2024-01-01", "New Year's Day", id="2024-new-year"),
        pytest.param("2024-03-28", "Maundy Thursday", id="2024-maundy-thursday"),
        pytest.param("2024-03-29", "Good Friday", id="2024-good-friday"),
        pytest.param("2024-03-31", "Easter Sunday", id="2024-easter-sunday"),
        pytest.param("2024-04-01", "Easter Monday", id="2024-easter-monday"),
        pytest.param("2024-04-26", None, id="2024-no-store-bededag"),
        pytest.param("2024-05-01", None, id="2024-may-1-open"),
        pytest.param("2024-05-09", "Ascension Day", id="2024-ascension"),
        pytest.param("2024-05-10", None, id="2024-friday-after-ascension-open"),
        pytest.param("2024-05-20", "Pentecost Monday", id="2024-whit-monday"),
        pytest.param("2024-06-05", "Constitution Day", id="2024-june-5-wednesday"),
        pytest.param("2024-10-09", None, id="2024-founding-wednesday"),
        pytest.param("2024-11-09", "Saturday", id="2024-saturday"),
        pytest.param("2024-11-10", "Sunday", id="2024-sunday"),
        pytest.param("2024-12-24", "Christmas Eve", id="2024-christmas-eve"),
        pytest.param("2024-12-25", "Christmas Day", id="2024-christmas-day"),
        pytest.param("2024-12-26", "Second Day of Christmas", id="2024-boxing-day"),
        pytest.param("2024-12-27", None, id="2024-friday-between"),
        pytest.param("2024-12-31", "New Year's Eve", id="2024-new-years-eve"),
        # 2025: Easter Sunday 20 April.
        pytest.param("2025-01-01", "New Year's Day", id="2025-new-year"),
        pytest.param("2025-04-17", "Maundy Thursday", id="2025-maundy-thursday"),
        pytest.param("2025-04-18", "Good Friday", id="2025-good-friday"),
        pytest.param("2025-04-20", "Easter Sunday", id="2025-easter-sunday"),
        pytest.param("2025-04-21", "Easter Monday", id="2025-easter-monday"),
        pytest.param("2025-05-01", None, id="2025-may-1-open"),
        pytest.param("2025-05-16", None, id="2025-no-store-bededag"),
        pytest.param("2025-05-29", "Ascension Day", id="2025-ascension"),
        pytest.param("2025-06-05", "Constitution Day", id="2025-june-5-thursday"),
        pytest.param("2025-06-09", "Pentecost Monday", id="2025-whit-monday"),
        pytest.param("2025-12-24", "Christmas Eve", id="2025-christmas-eve"),
        pytest.param("2025-12-25", "Christmas Day", id="2025-christmas-day"),
        pytest.param("2025-12-26", "Second Day of Christmas", id="2025-boxing-day"),
        pytest.param("2025-12-31", "New Year's Eve", id="2025-new-years-eve"),
        # 2026: Easter Sunday 5 April.
        pytest.param("2026-01-01", "New Year's Day", id="2026-new-year"),
        pytest.param("2026-04-02", "Maundy Thursday", id="2026-maundy-thursday"),
        pytest.param("2026-04-03", "Good Friday", id="2026-good-friday"),
        pytest.param("2026-04-05", "Easter Sunday", id="2026-easter-sunday"),
        pytest.param("2026-04-06", "Easter Monday", id="2026-easter-monday"),
        pytest.param("2026-05-01", None, id="2026-may-1-open"),
        pytest.param("2026-05-14", "Ascension Day", id="2026-ascension"),
        pytest.param("2026-05-25", "Pentecost Monday", id="2026-whit-monday"),
        pytest.param("2026-06-05", "Constitution Day", id="2026-june-5-friday"),
        pytest.param("2026-06-06", "Saturday", id="2026-saturday"),
        pytest.param("2026-12-24", "Christmas Eve", id="2026-christmas-eve"),
        pytest.param("2026-12-25", "Christmas Day", id="2026-christmas-day"),
        pytest.param(
            "2026-12-26", "Second Day of Christmas", id="2026-boxing-saturday"
        ),
        pytest.param("2026-12-31", "New Year's Eve", id="2026-new-years-eve"),
    ],
)
def test_default_calendar_days(day: str, reason: str | None) -> None:
    assert DEFAULT.closed_reason(D(day)) == reason
    assert DEFAULT.is_working_day(D(day)) is (reason is None)
    assert DEFAULT.is_expiry_day(D(day)) is (reason is None)


# ----------------------------------------------------------- adding deadlines


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param("2024-10-09", 20, "2024-11-06", id="founding-case-20"),
        pytest.param("2024-11-06", 10, "2024-11-20", id="first-reminder-10"),
        pytest.param("2024-11-10", 1, "2024-11-11", id="received-on-sunday"),
        pytest.param("2025-04-16", 5, "2025-04-28", id="easter-2025-from-wednesday"),
        pytest.param("2025-04-11", 5, "2025-04-23", id="easter-2025-from-friday"),
        pytest.param("2024-12-20", 5, "2025-01-03", id="christmas-new-year-2024"),
        pytest.param("2024-12-25", 1, "2024-12-27", id="start-on-holiday"),
        pytest.param("2023-05-04", 1, "2023-05-08", id="store-bededag-2023-closed"),
        pytest.param("2024-04-25", 1, "2024-04-26", id="store-bededag-2024-open"),
        pytest.param("2023-05-01", 5, "2023-05-09", id="week-with-bededag-2023"),
        pytest.param("2024-04-22", 5, "2024-04-29", id="week-without-bededag-2024"),
        pytest.param("2025-02-03", 7, "2025-02-12", id="access-to-documents-7"),
        pytest.param("2024-05-06", 7, "2024-05-16", id="access-7-across-ascension"),
        pytest.param("2025-06-04", 2, "2025-06-10", id="june-5-and-whit-monday"),
        pytest.param("2024-11-08", 2, "2024-11-12", id="two-from-friday"),
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert DEFAULT.add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param("2024-11-04", 4, "2024-11-08", id="friday-no-roll"),
        pytest.param("2024-11-04", 5, "2024-11-11", id="saturday-to-monday"),
        pytest.param("2024-12-10", 14, "2024-12-27", id="christmas-eve-2024"),
        pytest.param("2023-12-17", 7, "2023-12-27", id="christmas-eve-2023-sunday"),
        pytest.param("2025-12-01", 30, "2026-01-02", id="new-years-eve-2025"),
        pytest.param("2024-05-22", 14, "2024-06-06", id="june-5-2024"),
        pytest.param("2026-06-01", 4, "2026-06-08", id="june-5-2026-friday"),
    ],
)
def test_add_calendar_days(start: str, n: int, expected: str) -> None:
    assert DEFAULT.add_calendar_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        pytest.param("2024-11-02", 1, "2024-11-11", id="saturday-to-monday"),
        pytest.param("2024-05-22", 2, "2024-06-06", id="june-5"),
        pytest.param("2024-12-03", 3, "2024-12-27", id="christmas-eve"),
        pytest.param("2024-12-03", 4, "2025-01-02", id="new-years-eve"),
        pytest.param("2024-10-09", 4, "2024-11-06", id="across-dst-october"),
        pytest.param("2024-03-13", 4, "2024-04-10", id="across-dst-march-and-easter"),
        pytest.param("2025-03-24", 4, "2025-04-22", id="onto-easter-monday"),
    ],
)
def test_add_weeks(start: str, n: int, expected: str) -> None:
    assert DEFAULT.add_weeks(D(start), n) == D(expected)


def test_four_weeks_across_dst_is_local_not_utc_hours() -> None:
    start = D("2024-10-09")
    due = DEFAULT.add_weeks(start, 4)
    assert due == D("2024-11-06")
    assert due.weekday() == start.weekday()
    # The trap: 28 x 24 hours from local midnight ends on the wrong local date.
    midnight = datetime(2024, 10, 9, tzinfo=COPENHAGEN).astimezone(UTC)
    assert local_date(midnight + timedelta(days=28)) == D("2024-11-05")


def test_between_counts_and_explains() -> None:
    assert DEFAULT.working_days_between(D("2024-10-09"), D("2024-11-06")) == 20
    assert DEFAULT.working_days_between(D("2024-11-06"), D("2024-11-06")) == 0
    assert DEFAULT.working_days_between(D("2024-11-06"), D("2024-10-09")) == 0
    assert DEFAULT.closed_days_between(D("2024-12-20"), D("2025-01-03")) == [
        (D("2024-12-21"), "Saturday"),
        (D("2024-12-22"), "Sunday"),
        (D("2024-12-24"), "Christmas Eve"),
        (D("2024-12-25"), "Christmas Day"),
        (D("2024-12-26"), "Second Day of Christmas"),
        (D("2024-12-28"), "Saturday"),
        (D("2024-12-29"), "Sunday"),
        (D("2024-12-31"), "New Year's Eve"),
        (D("2025-01-01"), "New Year's Day"),
    ]
    assert DEFAULT.closed_days_between(D("2024-11-06"), D("2024-10-09")) == []


# -------------------------------------------------------------- office rules


def test_office_working_christmas_eve_counts_it_but_never_expires_on_it() -> None:
    eve = D("2024-12-24")
    assert WORKS_XMAS_EVE.is_working_day(eve)
    assert WORKS_XMAS_EVE.closed_reason(eve) is None
    assert not WORKS_XMAS_EVE.is_expiry_day(eve)
    assert WORKS_XMAS_EVE.closed_reason(D("2024-12-31")) == "New Year's Eve"
    # Counting: 23 (1), 24 (2), 27 (3) against the default 23, 27, 30.
    assert WORKS_XMAS_EVE.add_working_days(D("2024-12-20"), 3) == D("2024-12-27")
    assert DEFAULT.add_working_days(D("2024-12-20"), 3) == D("2024-12-30")
    # The 2nd working day is 24 Dec: the deadline rolls past 25/26 Dec.
    assert WORKS_XMAS_EVE.add_working_days(D("2024-12-20"), 2) == D("2024-12-27")
    assert WORKS_XMAS_EVE.roll_forward(eve) == D("2024-12-27")
    assert WORKS_XMAS_EVE.add_calendar_days(D("2024-12-10"), 14) == D("2024-12-27")
    assert WORKS_XMAS_EVE.working_days_between(D("2024-12-20"), D("2024-12-31")) == 4
    assert DEFAULT.working_days_between(D("2024-12-20"), D("2024-12-31")) == 3


def test_office_working_all_default_closing_days() -> None:
    office = BusinessCalendar(CalendarSpec(name="open", closed_days=()))
    # 23, 24, 27, 30, 31 Dec: the 5th lands on 31 Dec and rolls past 1 Jan.
    assert office.add_working_days(D("2024-12-20"), 5) == D("2025-01-02")
    assert DEFAULT.add_working_days(D("2024-12-20"), 5) == D("2025-01-03")
    # 4, 5, 6 June 2024 against the default 4, 6, 7 June.
    assert office.add_working_days(D("2024-06-03"), 3) == D("2024-06-06")
    assert DEFAULT.add_working_days(D("2024-06-03"), 3) == D("2024-06-07")
    assert office.add_working_days(D("2024-06-04"), 1) == D("2024-06-06")
    assert office.is_working_day(D("2024-06-05"))
    assert not office.is_expiry_day(D("2024-06-05"))


def test_office_closed_may_1() -> None:
    assert CLOSED_MAY_1.closed_reason(D("2024-05-01")) == "office closing day"
    assert CLOSED_MAY_1.closed_reason(D("2027-05-01")) == "Saturday"
    assert CLOSED_MAY_1.add_working_days(D("2024-04-30"), 1) == D("2024-05-02")
    assert DEFAULT.add_working_days(D("2024-04-30"), 1) == D("2024-05-01")
    assert CLOSED_MAY_1.working_days_between(D("2024-04-29"), D("2024-05-03")) == 3
    assert DEFAULT.working_days_between(D("2024-04-29"), D("2024-05-03")) == 4


def test_one_off_closed_and_open_dates() -> None:
    spec = CalendarSpec(closed_dates=(D("2024-11-15"),), open_dates=(D("2024-12-24"),))
    office = BusinessCalendar(spec)
    assert office.closed_reason(D("2024-11-15")) == "office closing day"
    assert office.add_working_days(D("2024-11-14"), 1) == D("2024-11-18")
    assert office.is_working_day(D("2024-12-24"))
    assert not office.is_expiry_day(D("2024-12-24"))
    assert office.is_working_day(D("2025-12-24")) is False  # one-off, not recurring


def test_leap_day_closing_day_applies_in_leap_years_only() -> None:
    office = BusinessCalendar(CalendarSpec(closed_days=("02-29",)))
    assert office.closed_reason(D("2024-02-29")) == "office closing day"
    assert office.add_working_days(D("2023-02-27"), 2) == D("2023-03-01")


def test_calendar_closed_every_day_raises_instead_of_looping() -> None:
    every_day = tuple(
        f"{D('2000-01-01') + timedelta(days=i):%m-%d}" for i in range(366)
    )
    office = BusinessCalendar(CalendarSpec(closed_days=every_day))
    with pytest.raises(ValueError, match="no working day within a year"):
        office.add_working_days(D("2024-01-01"), 1)


# ---------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "n", [0, -1, True, 1.5], ids=["zero", "negative", "bool", "float"]
)
def test_counts_below_one_raise(n: object) -> None:
    for method in (
        DEFAULT.add_working_days,
        DEFAULT.add_calendar_days,
        DEFAULT.add_weeks,
    ):
        with pytest.raises(ValueError, match="n: expected an int >= 1"):
            method(D("2024-10-09"), n)  # type: ignore[arg-type]


def test_datetime_where_a_date_is_expected_raises() -> None:
    moment = utc(2024, 12, 25, 12, 0)
    with pytest.raises(ValueError, match="expected a date, got datetime"):
        DEFAULT.is_working_day(moment)
    with pytest.raises(ValueError, match="start: expected a date"):
        DEFAULT.add_working_days(moment, 1)
    with pytest.raises(ValueError, match="due: expected a date"):
        is_overdue(moment, moment)
    with pytest.raises(ValueError, match="spec: expected a CalendarSpec"):
        BusinessCalendar({"name": "x"})  # type: ignore[arg-type]


# ------------------------------------------------------------- local time


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        pytest.param(
            utc(2024, 3, 30, 22, 59, 59, 999999), "2024-03-30", id="mar-cet-end"
        ),
        pytest.param(utc(2024, 3, 30, 23, 0), "2024-03-31", id="mar-cet-midnight"),
        pytest.param(utc(2024, 3, 31, 0, 59), "2024-03-31", id="mar-before-change"),
        pytest.param(utc(2024, 3, 31, 1, 0), "2024-03-31", id="mar-at-change"),
        pytest.param(utc(2024, 3, 31, 21, 59, 59), "2024-03-31", id="mar-cest-end"),
        pytest.param(utc(2024, 3, 31, 22, 0), "2024-04-01", id="mar-cest-midnight"),
        pytest.param(utc(2024, 10, 26, 21, 59, 59), "2024-10-26", id="oct-cest-end"),
        pytest.param(utc(2024, 10, 26, 22, 0), "2024-10-27", id="oct-cest-midnight"),
        pytest.param(utc(2024, 10, 27, 0, 30), "2024-10-27", id="oct-first-0230"),
        pytest.param(utc(2024, 10, 27, 1, 30), "2024-10-27", id="oct-second-0230"),
        pytest.param(utc(2024, 10, 27, 22, 59, 59), "2024-10-27", id="oct-cet-end"),
        pytest.param(utc(2024, 10, 27, 23, 0), "2024-10-28", id="oct-cet-midnight"),
        pytest.param(
            datetime(2024, 11, 6, 18, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2024-11-07",
            id="other-offset",
        ),
    ],
)
def test_local_date(instant: datetime, expected: str) -> None:
    assert local_date(instant) == D(expected)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param("2024-03-30", utc(2024, 3, 30, 22, 59, 59, 999999), id="cet"),
        pytest.param("2024-03-31", utc(2024, 3, 31, 21, 59, 59, 999999), id="spring"),
        pytest.param("2024-07-01", utc(2024, 7, 1, 21, 59, 59, 999999), id="cest"),
        pytest.param(
            "2024-10-26", utc(2024, 10, 26, 21, 59, 59, 999999), id="cest-end"
        ),
        pytest.param("2024-10-27", utc(2024, 10, 27, 22, 59, 59, 999999), id="autumn"),
        pytest.param("2024-11-06", utc(2024, 11, 6, 22, 59, 59, 999999), id="founding"),
    ],
)
def test_end_of_day(day: str, expected: datetime) -> None:
    result = end_of_day(D(day))
    assert result == expected
    assert result.utcoffset() == timedelta(0)
    assert local_date(result) == D(day)
    assert local_date(result + timedelta(microseconds=1)) == D(day) + timedelta(days=1)


def test_dst_days_are_23_and_25_hours_long() -> None:
    assert end_of_day(D("2024-03-31")) - end_of_day(D("2024-03-30")) == timedelta(
        hours=23
    )
    assert end_of_day(D("2024-10-27")) - end_of_day(D("2024-10-26")) == timedelta(
        hours=25
    )


@pytest.mark.parametrize(
    ("due", "now", "overdue"),
    [
        pytest.param("2024-11-06", utc(2024, 11, 6, 22, 30), False, id="2330-local"),
        pytest.param(
            "2024-11-06", utc(2024, 11, 6, 23, 30), True, id="0030-local-next"
        ),
        pytest.param(
            "2024-11-06", utc(2024, 11, 6, 22, 59, 59, 999999), False, id="last-us"
        ),
        pytest.param("2024-11-06", utc(2024, 11, 6, 23, 0), True, id="local-midnight"),
        pytest.param("2024-11-06", utc(2024, 10, 9, 8, 0), False, id="long-before"),
        pytest.param("2024-10-27", utc(2024, 10, 27, 22, 30), False, id="autumn-2330"),
        pytest.param(
            "2024-10-27", utc(2024, 10, 27, 23, 0), True, id="autumn-midnight"
        ),
        pytest.param("2024-03-31", utc(2024, 3, 31, 21, 30), False, id="spring-2330"),
        pytest.param("2024-03-31", utc(2024, 3, 31, 22, 0), True, id="spring-midnight"),
        pytest.param(None, utc(2030, 1, 1, 0, 0), False, id="no-deadline"),
    ],
)
def test_is_overdue(due: str | None, now: datetime, overdue: bool) -> None:
    assert is_overdue(None if due is None else D(due), now) is overdue


def test_naive_instants_are_rejected() -> None:
    naive = datetime(2024, 11, 6, 23, 30)  # noqa: DTZ001 - deliberately naive
    with pytest.raises(ValueError, match="naive"):
        local_date(naive)
    with pytest.raises(ValueError, match="naive"):
        is_overdue(None, naive)
    with pytest.raises(ValueError, match="naive"):
        is_overdue(D("2024-11-06"), naive)


# ------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        pytest.param(["06-05"], "calendar", id="not-a-mapping"),
        pytest.param({"holidays": []}, "'holidays'", id="unknown-key"),
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"name": 7}, "name", id="name-not-str"),
        pytest.param({"name": "kk:1"}, "name", id="name-with-colon"),
        pytest.param({"closed_days": "06-05"}, "closed_days", id="days-a-string"),
        pytest.param({"closed_days": None}, "closed_days", id="days-null"),
        pytest.param({"closed_days": ["06-05", "13-45"]}, "closed_days[1]", id="13-45"),
        pytest.param({"closed_days": ["02-30"]}, "closed_days[0]", id="02-30"),
        pytest.param({"closed_days": ["6-5"]}, "closed_days[0]", id="short-day"),
        pytest.param({"closed_days": [605]}, "closed_days[0]", id="day-not-str"),
        pytest.param({"closed_dates": "2024-12-27"}, "closed_dates", id="dates-str"),
        pytest.param({"closed_dates": ["2024-02-30"]}, "closed_dates[0]", id="feb-30"),
        pytest.param(
            {"closed_dates": ["2024-12-27", "27-12-2024"]}, "closed_dates[1]", id="dmy"
        ),
        pytest.param({"closed_dates": ["20241227"]}, "closed_dates[0]", id="compact"),
        pytest.param(
            {"closed_dates": [utc(2024, 12, 27)]}, "closed_dates[0]", id="datetime"
        ),
        pytest.param({"open_dates": [20241227]}, "open_dates[0]", id="open-int"),
        pytest.param(
            {"open_dates": ["2024-12-25"]}, "open_dates[0]", id="open-holiday"
        ),
        pytest.param(
            {"open_dates": ["2024-11-09"]}, "open_dates[0]", id="open-saturday"
        ),
        pytest.param(
            {"closed_dates": ["2024-12-27"], "open_dates": [D("2024-12-27")]},
            "open_dates[0]",
            id="open-and-closed",
        ),
    ],
)
def test_from_mapping_errors_name_source_and_key(raw: object, key: str) -> None:
    with pytest.raises(ValueError, match=r"^office\.yaml: ") as excinfo:
        CalendarSpec.from_mapping(raw, source="office.yaml")
    assert key in str(excinfo.value)


def test_from_mapping_error_message_wording() -> None:
    expected = "o.yaml: closed_days[1]: '13-45' is not a valid MM-DD day"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        CalendarSpec.from_mapping({"closed_days": ["06-05", "13-45"]}, source="o.yaml")


def test_from_mapping_defaults_and_round_trip() -> None:
    assert CalendarSpec.from_mapping({}, source="empty.yaml") == CalendarSpec()
    raw = {
        "name": "kk-borgerraadgiver",
        "closed_days": ["12-31", "05-01", "06-05", "12-31"],
        "closed_dates": ["2025-05-30", D("2024-11-15")],  # YAML gives date objects
        "open_dates": ["2025-06-05"],
    }
    spec = CalendarSpec.from_mapping(raw, source="kk.yaml")
    assert spec.to_mapping() == {
        "name": "kk-borgerraadgiver",
        "closed_days": ["05-01", "06-05", "12-31"],
        "closed_dates": ["2024-11-15", "2025-05-30"],
        "open_dates": ["2025-06-05"],
    }
    mapping = json.loads(json.dumps(spec.to_mapping()))
    assert CalendarSpec.from_mapping(mapping, source="again") == spec
    assert CalendarSpec().to_mapping() == {
        "name": "dk-default",
        "closed_days": ["06-05", "12-24", "12-31"],
        "closed_dates": [],
        "open_dates": [],
    }


def test_calendar_id() -> None:
    canonical = (
        '{"closed_dates":[],"closed_days":["06-05","12-24","12-31"],'
        '"name":"dk-default","open_dates":[]}'
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    assert DEFAULT.id == f"dk-default:{digest}" == "dk-default:e9eb8d8244e4"
    assert BusinessCalendar(CalendarSpec()).id == DEFAULT.id
    reordered = CalendarSpec(closed_days=("12-31", "06-05", "12-24", "06-05"))
    assert BusinessCalendar(reordered).id == DEFAULT.id
    changed = [
        CalendarSpec(name="other"),
        CalendarSpec(closed_days=("06-05", "12-31")),
        CalendarSpec(closed_dates=(D("2024-11-15"),)),
        CalendarSpec(open_dates=(D("2024-12-24"),)),
    ]
    ids = {BusinessCalendar(spec).id for spec in changed}
    assert len(ids) == len(changed)
    assert DEFAULT.id not in ids
    assert all(re.fullmatch(r"[a-z-]+:[0-9a-f]{12}", i) for i in ids)


# ------------------------------------------------------- cache and threads


def test_holidays_are_built_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = holidays_dk._holidays

    def counting(year: int, *, english: bool) -> object:
        calls.append(year)
        return real(year, english=english)

    monkeypatch.setattr(holidays_dk, "_holidays", counting)
    holidays_dk.public_holidays.cache_clear()
    calendar = BusinessCalendar()
    for offset in range(300):
        calendar.add_working_days(D("2031-01-01") + timedelta(days=offset), 250)
    assert sorted(calls) == [2031, 2032]


def test_cache_filled_from_many_threads_agrees_with_one_thread() -> None:
    starts = [D("2032-01-01") + timedelta(days=3 * i) for i in range(600)]
    expected = [BusinessCalendar().add_working_days(s, 20) for s in starts]
    shared = BusinessCalendar()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda s: shared.add_working_days(s, 20), starts))
    assert results == expected


# ------------------------------------------------------------- properties

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
counts = st.integers(min_value=1, max_value=60)


@settings(deadline=None)
@given(start=dates, n=counts)
def test_add_working_days_lands_on_the_nth_working_day(start: date, n: int) -> None:
    result = DEFAULT.add_working_days(start, n)
    assert result > start
    assert DEFAULT.is_working_day(result)
    assert DEFAULT.is_expiry_day(result)
    assert DEFAULT.working_days_between(start, result) == n


@settings(deadline=None)
@given(start=dates, n=counts)
def test_a_remembered_answer_is_the_answer_a_fresh_calendar_counts(
    start: date, n: int
) -> None:
    """add_working_days and working_days_between keep their answers."""
    first = DEFAULT.add_working_days(start, n)
    assert DEFAULT.add_working_days(start, n) == first
    assert BusinessCalendar().add_working_days(start, n) == first
    counted = DEFAULT.working_days_between(start, first)
    assert DEFAULT.working_days_between(start, first) == counted == n
    assert BusinessCalendar().working_days_between(start, first) == n
    with pytest.raises(ValueError, match="expected an int >= 1"):
        DEFAULT.add_working_days(start, 0)  # still checked when remembered


def test_remembered_answers_stay_bounded() -> None:
    calendar = BusinessCalendar()
    days = [D("2030-01-01") + timedelta(days=i) for i in range(5000)]
    answers = [calendar.add_working_days(day, 3) for day in days]
    assert len(calendar._added) <= calendars._REMEMBERED
    fresh = BusinessCalendar()
    for day, answer in list(zip(days, answers, strict=True))[::250]:
        assert calendar.add_working_days(day, 3) == answer
        assert fresh.add_working_days(day, 3) == answer


@settings(deadline=None)
@given(day=dates)
def test_roll_forward_is_idempotent_and_never_earlier(day: date) -> None:
    for calendar in (DEFAULT, WORKS_XMAS_EVE, CLOSED_MAY_1):
        rolled = calendar.roll_forward(day)
        assert rolled >= day
        assert calendar.roll_forward(rolled) == rolled
        assert calendar.is_expiry_day(rolled)
        assert (rolled == day) is calendar.is_expiry_day(day)


@settings(deadline=None)
@given(start=dates, n=counts)
def test_add_calendar_days_ends_on_the_first_expiry_day(start: date, n: int) -> None:
    result = DEFAULT.add_calendar_days(start, n)
    target = start + timedelta(days=n)
    assert result >= target
    assert DEFAULT.is_expiry_day(result)
    assert DEFAULT.closed_days_between(target - timedelta(days=1), result) == [
        (target + timedelta(days=i), DEFAULT.closed_reason(target + timedelta(days=i)))
        for i in range((result - target).days)
    ]


@settings(deadline=None)
@given(start=dates, n=counts)
def test_office_calendars_never_expire_on_legal_non_expiry_days(
    start: date, n: int
) -> None:
    for calendar in (WORKS_XMAS_EVE, CLOSED_MAY_1):
        result = calendar.add_working_days(start, n)
        assert calendar.is_expiry_day(result)
        assert calendar.is_working_day(result)
        assert result.weekday() < 5
        assert f"{result:%m-%d}" not in DEFAULT_CLOSED_DAYS
        assert calendar.working_days_between(start, result) >= n


@settings(deadline=None)
@given(start=dates, span=st.integers(min_value=-30, max_value=400))
def test_working_and_closed_days_partition_the_interval(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    working = DEFAULT.working_days_between(start, end)
    closed = DEFAULT.closed_days_between(start, end)
    assert working + len(closed) == max((end - start).days, 0)
