"""Tests for engine.dates.periods and `Period`: retention periods on the plain calendar.

Every expected date below was checked by hand against a calendar (month
lengths, leap years: 2024 and 2028 are, 2025 and 2100 are not, 2000 is).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.dates.periods import add_period, retention_ends
from engine.workflow.definition import Period, PeriodUnit, Retention

D = date.fromisoformat
DAYS, MONTHS, YEARS = PeriodUnit.DAYS, PeriodUnit.MONTHS, PeriodUnit.YEARS


def period(amount: int, unit: PeriodUnit) -> Period:
    return Period(amount=amount, unit=unit)


# ---------------------------------------------------------------- parsing


PARSED = [
    ("5 years", 5, YEARS, "5 years"),
    ("1 year", 1, YEARS, "1 year"),
    ("1 years", 1, YEARS, "1 year"),
    ("2 year", 2, YEARS, "2 years"),
    ("6 months", 6, MONTHS, "6 months"),
    ("1 month", 1, MONTHS, "1 month"),
    ("30 days", 30, DAYS, "30 days"),
    ("1 day", 1, DAYS, "1 day"),
    ("  10   years ", 10, YEARS, "10 years"),
    ("007 days", 7, DAYS, "7 days"),
    ("999 years", 999, YEARS, "999 years"),
]


@pytest.mark.parametrize(
    ("text", "amount", "unit", "shown"),
    PARSED,
    ids=[" ".join(row[0].split()) for row in PARSED],
)
def test_period_parse_and_str(
    text: str, amount: int, unit: PeriodUnit, shown: str
) -> None:
    parsed = Period.parse(text)

    assert (parsed.amount, parsed.unit) == (amount, unit)
    assert str(parsed) == shown
    assert Period.parse(str(parsed)) == parsed


HINT = "write 'N days', 'N months' or 'N years', e.g. '5 years'"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5", f"'5' is not a period; {HINT}"),
        ("5 weeks", f"'5 weeks' is not a period; {HINT}"),
        ("5 working days", "is not a period"),
        ("5 calendar days", "is not a period"),
        ("five years", "is not a period"),
        ("-1 years", "is not a period"),
        ("1.5 years", "is not a period"),
        ("5 Years", "is not a period"),
        ("5years", "is not a period"),
        ("", "is not a period"),
        ("0 days", "'0 days': a period is from 1 to 999"),
        ("1000 years", "'1000 years': a period is from 1 to 999"),
        ("10000 days", "is not a period"),
    ],
)
def test_period_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Period.parse(text)


# ---------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("start", "span", "expected"),
    [
        # months land on the same day number, or the month's last day
        ("2024-01-31", period(1, MONTHS), "2024-02-29"),  # leap year
        ("2025-01-31", period(1, MONTHS), "2025-02-28"),
        ("2024-03-31", period(1, MONTHS), "2024-04-30"),
        ("2024-01-30", period(1, MONTHS), "2024-02-29"),
        ("2024-08-31", period(6, MONTHS), "2025-02-28"),
        ("2024-11-30", period(3, MONTHS), "2025-02-28"),
        ("2024-01-15", period(1, MONTHS), "2024-02-15"),
        ("2024-12-31", period(1, MONTHS), "2025-01-31"),
        ("2024-10-31", period(14, MONTHS), "2025-12-31"),
        ("2024-02-29", period(12, MONTHS), "2025-02-28"),
        # years: a leap day lands on 28 February unless the year is a leap year
        ("2024-02-29", period(1, YEARS), "2025-02-28"),
        ("2024-02-29", period(4, YEARS), "2028-02-29"),
        ("2096-02-29", period(4, YEARS), "2100-02-28"),  # 2100 is no leap year
        ("1996-02-29", period(4, YEARS), "2000-02-29"),  # 2000 is
        ("2024-11-20", period(5, YEARS), "2029-11-20"),
        ("2024-12-31", period(1, YEARS), "2025-12-31"),
        # days are calendar days, a leap day counted
        ("2024-12-31", period(1, DAYS), "2025-01-01"),
        ("2024-02-28", period(2, DAYS), "2024-03-01"),
        ("2025-02-28", period(2, DAYS), "2025-03-02"),
        ("2024-01-01", period(366, DAYS), "2025-01-01"),
        ("2025-01-01", period(365, DAYS), "2026-01-01"),
        # weekends and holidays are not skipped: 2025-12-25 is a Thursday
        ("2025-12-24", period(1, DAYS), "2025-12-25"),
        ("2025-11-27", period(1, MONTHS), "2025-12-27"),  # a Saturday
    ],
)
def test_add_period_examples(start: str, span: Period, expected: str) -> None:
    assert add_period(D(start), span) == D(expected)


def test_retention_ends_the_given_period_after_the_day_the_case_was_closed() -> None:
    rule = Retention(after=period(5, YEARS), from_state="closed")

    # The founding case closed on 20 November 2024.
    assert retention_ends(rule, D("2024-11-20")) == D("2029-11-20")
    assert retention_ends(rule, D("2024-02-29")) == D("2029-02-28")


def test_retention_ends_with_a_parsed_rule() -> None:
    rule = Retention(after=Period.parse("30 days"), from_state="closed")

    assert retention_ends(rule, D("2024-12-15")) == D("2025-01-14")


@pytest.mark.parametrize(
    ("start", "span"),
    [
        ("9999-12-01", period(1, MONTHS)),
        ("9999-01-01", period(1, YEARS)),
        ("9999-12-31", period(1, DAYS)),
    ],
)
def test_a_result_past_year_9999_overflows(start: str, span: Period) -> None:
    with pytest.raises(OverflowError):
        add_period(D(start), span)


# ---------------------------------------------------------------- properties

DAYS_ST = st.dates(min_value=date(1970, 1, 1), max_value=date(2999, 12, 31))
AMOUNTS = st.integers(min_value=1, max_value=999)
UNITS = st.sampled_from(list(PeriodUnit))
PERIODS = st.builds(Period, amount=AMOUNTS, unit=UNITS)


def _months_between(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


@given(a=DAYS_ST, b=DAYS_ST, span=PERIODS)
def test_a_later_start_never_ends_earlier(a: date, b: date, span: Period) -> None:
    first, second = sorted((a, b))
    assert add_period(first, span) <= add_period(second, span)


@given(day=DAYS_ST, n=AMOUNTS, m=AMOUNTS, unit=UNITS)
def test_a_longer_period_never_ends_earlier(
    day: date, n: int, m: int, unit: PeriodUnit
) -> None:
    short, long = sorted((n, m))
    assert add_period(day, period(short, unit)) <= add_period(day, period(long, unit))


@given(day=DAYS_ST, span=PERIODS)
def test_a_period_always_ends_after_its_start(day: date, span: Period) -> None:
    assert add_period(day, span) > day


@given(day=DAYS_ST, n=AMOUNTS)
def test_days_are_calendar_days(day: date, n: int) -> None:
    assert add_period(day, period(n, DAYS)) - day == timedelta(days=n)


@given(day=DAYS_ST, n=AMOUNTS, unit=st.sampled_from([MONTHS, YEARS]))
def test_months_keep_the_day_number_or_clamp_to_the_months_last_day(
    day: date, n: int, unit: PeriodUnit
) -> None:
    ends = add_period(day, period(n, unit))

    last = calendar.monthrange(ends.year, ends.month)[1]
    assert _months_between(day, ends) == n * (12 if unit is YEARS else 1)
    assert ends.day == min(day.day, last)


@given(day=DAYS_ST, n=st.integers(min_value=1, max_value=83))
def test_a_year_is_twelve_months(day: date, n: int) -> None:
    assert add_period(day, period(n, YEARS)) == add_period(day, period(12 * n, MONTHS))


@given(day=DAYS_ST.filter(lambda d: d.day <= 28), n=AMOUNTS)
def test_a_day_every_month_has_is_never_moved(day: date, n: int) -> None:
    assert add_period(day, period(n, MONTHS)).day == day.day


@given(span=PERIODS)
def test_a_period_reads_back_from_what_it_says(span: Period) -> None:
    assert Period.parse(str(span)) == span
