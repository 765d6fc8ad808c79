"""Writes engine/dates/holiday_table.py from the `holidays` package:
`python -m tests.engine.dates.holiday_table` (after upgrading `holidays`, when
tests/engine/dates/test_holiday_table.py says the table differs)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import holidays

FIRST_YEAR, LAST_YEAR = 1990, 2100
TARGET = Path(__file__).resolve().parents[3] / "engine" / "dates" / "holiday_table.py"


def rows(year: int) -> tuple[tuple[int, int, str, str], ...]:
    """(month, day, English name, Danish name) of `year`'s public holidays."""
    english = holidays.country_holidays(
        "DK", years=year, categories=("public",), language="en_US"
    )
    danish = holidays.country_holidays(
        "DK", years=year, categories=("public",), language="da"
    )
    return tuple(
        (day.month, day.day, str(english[day]), str(danish[day]))
        for day in sorted(english)
    )


def text() -> str:
    """The module: each holiday's names once under a letter, each year one line
    of `MMDDx` codes (0101a is 1 January, the holiday named `a`)."""
    names: dict[tuple[str, str], str] = {}
    years: list[str] = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        codes = []
        for month, day, english, danish in rows(year):
            letter = names.setdefault((english, danish), chr(ord("a") + len(names)))
            codes.append(f"{month:02d}{day:02d}{letter}")
        years.append(f'    {year}: "{" ".join(codes)}",')
    lines = [
        '"""Denmark\'s public holidays, 1990 to 2100, as the `holidays` package gives',
        "them (category public, English and Danish names): written by",
        "tests/engine/dates/holiday_table.py, checked against the package by",
        "tests/engine/dates/test_holiday_table.py.",
        "",
        "Loading the package and its first year of holidays cost every command",
        "0.12-0.3 s; this table costs a millisecond. Years outside it come from the",
        'package (`engine.dates.calendars`)."""',
        "",
        "from __future__ import annotations",
        "",
        f'HOLIDAYS_VERSION = "{version("holidays")}"  # the package that made it',
        f"FIRST_YEAR, LAST_YEAR = {FIRST_YEAR}, {LAST_YEAR}",
        "",
        "# letter: (English name, Danish name)",
        "NAMES: dict[str, tuple[str, str]] = {",
        *(f'    "{letter}": ("{en}", "{da}"),' for (en, da), letter in names.items()),
        "}",
        "",
        "# year: its holidays, `MMDDx` each (month, day, the letter of its names)",
        "TABLE: dict[int, str] = {",
        *years,
        "}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(text(), encoding="utf-8")
    print(f"wrote {TARGET}")
