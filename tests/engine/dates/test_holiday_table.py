"""The holiday table is the `holidays` package's answer, year by year.

engine/dates/holiday_table.py spares every command the package's import and
first lookup; here every year of it is held against the package (English and
Danish names), and years outside it still come from the package. After an
upgrade of `holidays`, a difference fails here: run
`python -m tests.engine.dates.holiday_table` and read the diff.
"""

from __future__ import annotations

from datetime import date
from importlib.metadata import version
from pathlib import Path

import holidays
import pytest

from engine.dates import holiday_table
from engine.dates.holidays_dk import _holidays
from tests.engine.dates.holiday_table import text

YEARS = range(holiday_table.FIRST_YEAR, holiday_table.LAST_YEAR + 1)


def _package(year: int, language: str) -> dict[date, str]:
    found = holidays.country_holidays(
        "DK", years=year, categories=("public",), language=language
    )
    return {day: str(name) for day, name in found.items()}


@pytest.mark.parametrize("year", YEARS)
def test_each_year_is_the_packages(year: int) -> None:
    assert dict(_holidays(year, english=True)) == _package(year, "en_US")
    assert dict(_holidays(year, english=False)) == _package(year, "da")


def test_the_table_is_what_the_generator_writes_now() -> None:
    written = Path(holiday_table.__file__).read_text(encoding="utf-8")
    assert version("holidays") == holiday_table.HOLIDAYS_VERSION
    # the generator's text, as `ruff format` leaves it (no change here)
    assert written == text()


@pytest.mark.parametrize("year", [1950, 1980, 1989])
def test_years_outside_the_table_come_from_the_package(year: int) -> None:
    assert dict(_holidays(year, english=True)) == _package(year, "en_US")
    assert date(year, 12, 25) in _holidays(year, english=False)


def test_store_bededag_ends_with_2023() -> None:
    assert "Great Prayer Day" in _holidays(2023, english=True).values()
    assert "Great Prayer Day" not in _holidays(2024, english=True).values()
