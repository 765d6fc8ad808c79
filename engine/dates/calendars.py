"""Danish working days, deadline expiry and local dates for case deadlines.

A `BusinessCalendar` answers which days an office works (`is_working_day`, used to
count deadlines) and on which days a deadline may end (`is_expiry_day`). The two
differ on purpose: weekends and Danish public holidays are never working days, an
office's configured closing days (default 5 June, 24 and 31 December) are not
working days unless re-opened, and a deadline may never *end* on a weekend, a
public holiday, 5 June, 24 or 31 December (forældelsesloven § 27, stk. 2), whatever
the office works. Deadlines are local dates in Europe/Copenhagen; "overdue" is
decided by the local date of an instant, never by adding hours in UTC.

Hazards:
- Public holidays come from `holidays.country_holidays("DK", categories=("public",))`
  with English names and the package version pinned, through a table it made
  for 1990-2100 (`engine.dates.holiday_table`, held against it by a test), so
  a command does not pay for the package's import and first lookup. 5 June,
  24/31 Dec and 1 May sit in the package's "optional" category and are
  deliberately left out: the office config and the legal expiry rule decide
  them here. Store Bededag is a
  holiday up to 2023 only. The package version is not part of `BusinessCalendar.id`,
  so an upgrade must be reviewed like a rule change.
- `datetime` is a subclass of `date`; passing one where a date is expected would
  silently miss every dict lookup, so every public function rejects it.
- `closed_reason` names the strongest rule: a public holiday's name, else the
  weekday, else the office's closing day ("Constitution Day", "Christmas Eve",
  "New Year's Eve" or "office closing day"). A configuration that leaves no working
  day for a whole year makes the adding functions raise ValueError, not loop.
- The per-year cache is filled lazily without a lock: entries are immutable and a
  year built twice by two threads is built identically, so the race is harmless.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from calendar import isleap, monthrange
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from engine.dates.holidays_dk import public_holidays

COPENHAGEN: ZoneInfo = ZoneInfo("Europe/Copenhagen")
DEFAULT_CLOSED_DAYS: tuple[str, ...] = ("06-05", "12-24", "12-31")

# Days a deadline may never end on besides weekends and public holidays (§ 27, stk. 2).
_LEGAL_NON_EXPIRY: Mapping[str, str] = MappingProxyType(
    {"06-05": "Constitution Day", "12-24": "Christmas Eve", "12-31": "New Year's Eve"}
)
OFFICE_REASON = "office closing day"
_WEEKDAY_NAMES = ("Saturday", "Sunday")
_MAX_GAP_DAYS = 366  # no working day for a whole year means a broken configuration
_MM_DD = re.compile(r"[0-9]{2}-[0-9]{2}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEYS = ("name", "closed_days", "closed_dates", "open_dates")


def _unconditional_reason(day: date) -> str | None:
    """Why `day` is closed whatever the office says: public holiday, then weekend."""
    name = public_holidays(day.year).get(day)
    if name is not None:
        return name
    return _WEEKDAY_NAMES[day.weekday() - 5] if day.weekday() >= 5 else None


def _check_date(value: object, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{what}: expected a date, got {type(value).__name__}")
    return value


def _is_mm_dd(value: object) -> bool:
    if not isinstance(value, str) or not _MM_DD.fullmatch(value):
        return False
    try:
        date(2000, int(value[:2]), int(value[3:]))  # 2000 is a leap year: 02-29 ok
    except ValueError:
        return False
    return True


@dataclass(frozen=True, kw_only=True, slots=True)
class CalendarSpec:
    """An office's calendar rules on top of weekends and public holidays.

    Attributes:
        name: Short name of the calendar; the first part of `BusinessCalendar.id`.
        closed_days: Recurring "MM-DD" days the office is closed.
        closed_dates: One-off closing dates.
        open_dates: One-off dates the office works although `closed_days` or
            `closed_dates` close them. They cannot open a weekend or public holiday
            and never make a legal non-expiry day an expiry day.

    The sequences are validated, de-duplicated and sorted on construction, so two
    specs with the same rules compare equal.
    """

    name: str = "dk-default"
    closed_days: tuple[str, ...] = DEFAULT_CLOSED_DAYS
    closed_dates: tuple[date, ...] = ()
    open_dates: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name or name != name.strip() or ":" in name:
            raise ValueError(f"name: {name!r} is not a non-empty name without ':'")
        for i, mm_dd in enumerate(self.closed_days):
            if not _is_mm_dd(mm_dd):
                raise ValueError(
                    f"closed_days[{i}]: {mm_dd!r} is not a valid MM-DD day"
                )
        for key in ("closed_dates", "open_dates"):
            for i, value in enumerate(getattr(self, key)):
                _check_date(value, f"{key}[{i}]")
        for i, day in enumerate(self.open_dates):
            if day in self.closed_dates:
                raise ValueError(f"open_dates[{i}]: {day} is also in closed_dates")
            reason = _unconditional_reason(day)
            if reason is not None:
                raise ValueError(
                    f"open_dates[{i}]: {day} is {reason}; "
                    "a weekend or public holiday cannot be opened"
                )
        for key in ("closed_days", "closed_dates", "open_dates"):
            object.__setattr__(self, key, tuple(sorted(set(getattr(self, key)))))

    @classmethod
    def from_mapping(cls, raw: object, *, source: str) -> CalendarSpec:
        """Parse an office's calendar settings as loaded from YAML or JSON.

        Args:
            raw: A mapping with any of the keys name, closed_days (list of "MM-DD"),
                closed_dates and open_dates (lists of ISO dates or date objects);
                missing keys take the Danish defaults.
            source: Where `raw` came from (a file name), for error messages.

        Raises:
            ValueError: On an unknown key, a wrong type or an invalid day or date;
                the message starts with `source` and names the key.
        """
        if not isinstance(raw, Mapping):
            raise ValueError(f"{source}: calendar: expected a mapping, got {raw!r}")
        unknown = [key for key in raw if key not in _KEYS]
        if unknown:
            raise ValueError(
                f"{source}: unknown key {unknown[0]!r} (allowed: {', '.join(_KEYS)})"
            )
        values = {key: raw[key] for key in _KEYS if key in raw}
        for key in _KEYS[1:]:
            items = values.get(key, [])
            if not isinstance(items, list | tuple):
                raise ValueError(f"{source}: {key}: expected a list, got {items!r}")
            if key in values and key != "closed_days":
                where = f"{source}: {key}"
                values[key] = [
                    _parse_date(v, f"{where}[{i}]") for i, v in enumerate(items)
                ]
        try:
            return cls(**values)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None

    def to_mapping(self) -> dict[str, object]:
        """Return the spec as JSON-ready data that `from_mapping` reads back."""
        return {
            "name": self.name,
            "closed_days": list(self.closed_days),
            "closed_dates": [d.isoformat() for d in self.closed_dates],
            "open_dates": [d.isoformat() for d in self.open_dates],
        }


def _parse_date(item: object, where: str) -> date:
    if type(item) is date:
        return item
    if isinstance(item, str) and _ISO_DATE.fullmatch(item):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(item)
    raise ValueError(f"{where}: {item!r} is not a valid ISO date (YYYY-MM-DD)")


@dataclass(frozen=True, slots=True)
class _Year:
    closed: Mapping[date, str]  # non-working days with their reason
    not_expiry: frozenset[date]  # days a deadline may not end on


_REMEMBERED = 4096  # answers kept per kind (a few years of start days)


class BusinessCalendar:
    """Working days and deadline expiry for one office; safe to share across threads.

    Args:
        spec: The office's rules; the Danish default when None.
    """

    __slots__ = ("_added", "_between", "_id", "_spec", "_years")

    def __init__(self, spec: CalendarSpec | None = None) -> None:
        if spec is None:
            spec = CalendarSpec()
        if not isinstance(spec, CalendarSpec):
            raise ValueError(
                f"spec: expected a CalendarSpec, got {type(spec).__name__}"
            )
        self._spec = spec
        canonical = json.dumps(
            spec.to_mapping(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        self._id = f"{spec.name}:{digest}"
        self._years: dict[int, _Year] = {}
        # Answers remembered: the rules never change, and a deadline (or the
        # days a reply is late) was counted day by day every time (bench W1, W2).
        self._added: dict[tuple[date, int], date] = {}
        self._between: dict[tuple[date, date], int] = {}

    @property
    def spec(self) -> CalendarSpec:
        """The rules this calendar applies."""
        return self._spec

    @property
    def id(self) -> str:
        """`name:hash` of the rules, to record which calendar computed a deadline."""
        return self._id

    def __repr__(self) -> str:
        return f"BusinessCalendar(id={self._id!r})"

    def _year(self, year: int) -> _Year:
        entry = self._years.get(year)
        if entry is None:
            entry = self._years.setdefault(year, self._build(year))
        return entry

    def _build(self, year: int) -> _Year:
        spec = self._spec
        closed: dict[date, str] = {}
        not_expiry: set[date] = set()
        first = date(year, 1, 1)
        for offset in range(366 if isleap(year) else 365):
            day = first + timedelta(days=offset)
            mm_dd = f"{day:%m-%d}"
            reason = _unconditional_reason(day)
            if reason is None and day not in spec.open_dates:
                if mm_dd in spec.closed_days:
                    reason = _LEGAL_NON_EXPIRY.get(mm_dd, OFFICE_REASON)
                elif day in spec.closed_dates:
                    reason = OFFICE_REASON
            if reason is not None:
                closed[day] = reason
            if reason is not None or mm_dd in _LEGAL_NON_EXPIRY:
                not_expiry.add(day)
        return _Year(MappingProxyType(closed), frozenset(not_expiry))

    def closed_reason(self, day: date) -> str | None:
        """Return None for a working day, else why the office is closed."""
        _check_date(day, "day")
        return self._year(day.year).closed.get(day)

    def is_working_day(self, day: date) -> bool:
        """Return True if the office works `day`; such days count toward deadlines."""
        _check_date(day, "day")
        return day not in self._year(day.year).closed

    def is_expiry_day(self, day: date) -> bool:
        """Return True if a deadline may end on `day` (a working, legal expiry day)."""
        _check_date(day, "day")
        return day not in self._year(day.year).not_expiry

    def _scan(self, start: date, ok: Callable[[date], bool]) -> date:
        """Return the first day after `start` for which `ok` holds."""
        for offset in range(1, _MAX_GAP_DAYS + 1):
            day = start + timedelta(days=offset)
            if ok(day):
                return day
        raise ValueError(f"{self._id}: no working day within a year after {start}")

    def roll_forward(self, day: date) -> date:
        """Return `day` if it is an expiry day, else the next expiry day."""
        _check_date(day, "day")
        if self.is_expiry_day(day):
            return day
        return self._scan(day, self.is_expiry_day)

    def add_working_days(self, start: date, n: int) -> date:
        """Return the n-th working day after `start` (not counted), rolled forward."""
        _check_date(start, "start")
        _check_count(n)
        known = self._added.get((start, n))
        if known is not None:
            return known
        day = start
        for _ in range(n):
            day = self._scan(day, self.is_working_day)
        day = self.roll_forward(day)
        if len(self._added) >= _REMEMBERED:
            self._added.clear()
        self._added[start, n] = day
        return day

    def add_calendar_days(self, start: date, n: int) -> date:
        """Return `start` plus `n` days (n >= 1), rolled forward to an expiry day."""
        _check_date(start, "start")
        _check_count(n)
        return self.roll_forward(start + timedelta(days=n))

    def add_weeks(self, start: date, n: int) -> date:
        """Return `start` plus `n` local weeks (n >= 1), rolled forward."""
        _check_count(n)
        return self.add_calendar_days(start, 7 * n)

    def add_months(self, start: date, n: int) -> date:
        """Return the day `n` months after `start` with the same day number
        (that month's last day when it has none: 31 January + 1 month is 28 or
        29 February), rolled forward to an expiry day (forældelsesloven § 27,
        stk. 1 and 2). A year is 12 months.
        """
        _check_date(start, "start")
        _check_count(n)
        index = start.year * 12 + (start.month - 1) + n
        year, month = divmod(index, 12)
        if year > date.max.year:
            raise ValueError(f"{n} months after {start.isoformat()} is after 9999")
        last = monthrange(year, month + 1)[1]
        return self.roll_forward(date(year, month + 1, min(start.day, last)))

    def working_days_between(self, start: date, end: date) -> int:
        """Return the number of working days in (start, end]; 0 if end <= start."""
        known = self._between.get((start, end))
        if known is not None:
            return known
        count = sum(1 for day in _days_after(start, end) if self.is_working_day(day))
        if len(self._between) >= _REMEMBERED:
            self._between.clear()
        self._between[start, end] = count
        return count

    def closed_days_between(self, start: date, end: date) -> list[tuple[date, str]]:
        """Return the non-working days in (start, end] with their reasons."""
        found = ((day, self.closed_reason(day)) for day in _days_after(start, end))
        return [(day, reason) for day, reason in found if reason is not None]


def _check_count(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: expected an int >= 1, got {n!r}")


def _days_after(start: date, end: date) -> Iterator[date]:
    _check_date(start, "start")
    _check_date(end, "end")
    return (start + timedelta(days=i) for i in range(1, (end - start).days + 1))


def local_date(instant: datetime) -> date:
    """Return the Europe/Copenhagen date of an aware instant (naive: ValueError)."""
    if not isinstance(instant, datetime):
        raise ValueError(f"instant: expected a datetime, got {type(instant).__name__}")
    if instant.utcoffset() is None:
        raise ValueError(f"instant: {instant} is naive; give a timezone-aware time")
    return instant.astimezone(COPENHAGEN).date()


def end_of_day(day: date) -> datetime:
    """Return the last microsecond of local `day` in Copenhagen, as aware UTC."""
    _check_date(day, "day")
    return datetime.combine(day, time.max, tzinfo=COPENHAGEN).astimezone(UTC)


def is_overdue(due: date | None, now: datetime) -> bool:
    """Return True when the local date of `now` is after `due` (None: False)."""
    today = local_date(now)
    if due is None:
        return False
    return today > _check_date(due, "due")
