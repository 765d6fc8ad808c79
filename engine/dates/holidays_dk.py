"""Denmark's public holidays of a year, by their English or Danish names.

From the table the `holidays` package made (`engine.dates.holiday_table`,
1990-2100), or, for a year outside it, from the package itself, imported only
then: a command pays neither for its import nor for its first lookup.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from engine.dates import holiday_table

__all__ = ["danish_holidays", "public_holidays"]


@functools.lru_cache(maxsize=512)
def public_holidays(year: int) -> Mapping[date, str]:
    """Denmark's public holidays in `year`, by their English names."""
    return _holidays(year, english=True)


@functools.lru_cache(maxsize=64)
def danish_holidays(year: int) -> Mapping[date, str]:
    """`public_holidays` by their Danish names."""
    return _holidays(year, english=False)


def _holidays(year: int, *, english: bool) -> Mapping[date, str]:
    """From the table the `holidays` package made (`holiday_table`), or, for a
    year outside it, from the package itself (imported only then)."""
    if holiday_table.FIRST_YEAR <= year <= holiday_table.LAST_YEAR:
        found: dict[date, str] = {}
        for code in holiday_table.TABLE[year].split():
            names = holiday_table.NAMES[code[4]]
            day = date(year, int(code[:2]), int(code[2:4]))
            found[day] = names[0] if english else names[1]
        return MappingProxyType(found)
    import holidays

    listed = holidays.country_holidays(
        "DK", years=year, categories=("public",), language="en_US" if english else "da"
    )
    return MappingProxyType({day: str(name) for day, name in listed.items()})
