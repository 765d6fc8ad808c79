"""The words of `case explain` in English (the command line's) and Danish.

Each template is a `str.format` string over the values `engine.explain.case`
gives its reason; `{n} working day(s)` keeps the command line's wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from engine.dates.calendars import OFFICE_REASON
from engine.dates.holidays_dk import danish_holidays, public_holidays
from engine.workflow.definition import Duration, Unit

LANGUAGES = ("en", "da")

EN: Mapping[str, str] = {
    "state": "Case {number} ({workflow}, version {version}) is '{state}'.",
    "state.described": (
        "Case {number} ({workflow}, version {version}) is '{state}': {description}"
    ),
    "entered": "It entered '{state}' on {day} by '{event}' ({actor}, {role}).",
    "migrated": (
        "It moved from version {from} to version {to} on {day} ({actor}); the "
        "rules below are version {to}'s."
    ),
    "no_deadline": "It has no deadline in this state.",
    "deadline.rung": (
        "Its deadline is {due}: set when the chase rung '{rung}' fired on {start}, "
        "counting that rung's next deadline from that day."
    ),
    "deadline.given": "Its deadline is {due}: the date given as '{field}'.",
    "deadline.resumed": (
        "Its deadline is {due}: the deadline of '{state}' ({paused_due}) stood still "
        "with {n} working day(s) left and continued when the case came back on "
        "{start}, that day not counted."
    ),
    "deadline.resumed.late": (
        "Its deadline is {due}: the deadline of '{state}' ({paused_due}) stood still "
        "overdue by {n} working day(s) and continued, as overdue, when the case "
        "came back on {start}."
    ),
    "paused": (
        "Its deadline stands still: the deadline of '{state}', {due}, was paused on "
        "{start} with {n} working day(s) left; it continues when the case goes "
        "back to '{state}'."
    ),
    "paused.late": (
        "Its deadline stands still: the deadline of '{state}', {due}, was paused on "
        "{start}, overdue by {n} working day(s); it continues, as overdue, when "
        "the case goes back to '{state}'."
    ),
    "paused.none": (
        "This state stops the deadline of the state before it, but none was "
        "running when the case came here."
    ),
    "deadline.counted": (
        "Its deadline is {due}: {rule} after entering the state ({start}), "
        "that day not counted."
    ),
    "deadline.counted_from": (
        "Its deadline is {due}: {rule} after '{field}' ({start}), that day not counted."
    ),
    "skipped": "The calendar ({calendar}) skipped: {days}.",
    "end_of_day": (
        "A deadline runs to the end of its day, Copenhagen time; the case is "
        "overdue from the next day."
    ),
    "overdue": "As of {today} it is overdue by {n} working day(s).",
    "remain": "As of {today}, {n} working day(s) remain.",
    "next": (
        "Next, unless the case moves on: chase rung {number} '{name}' notifies "
        "{notify} on the first sweep on or after {when}{then}."
    ),
    "next.then": "; the next deadline is {rule} from then",
    "ladder_spent": "Every rung of this state's chase ladder has fired.",
    "allowed": "Events allowed now: {events}.",
}

DA: Mapping[str, str] = {
    "state": "Sag {number} ({workflow}, version {version}) er i '{state}'.",
    "state.described": (
        "Sag {number} ({workflow}, version {version}) er i '{state}': {description}"
    ),
    "entered": "Den kom i '{state}' den {day} ved '{event}' ({actor}, {role}).",
    "migrated": (
        "Den blev flyttet fra version {from} til version {to} den {day} "
        "({actor}); reglerne nedenfor er version {to}s."
    ),
    "no_deadline": "Den har ingen frist i denne tilstand.",
    "deadline.rung": (
        "Fristen er {due}: sat da rykkertrinnet '{rung}' blev sendt den {start}, "
        "med trinnets næste frist regnet fra den dag."
    ),
    "deadline.given": "Fristen er {due}: datoen givet som '{field}'.",
    "deadline.resumed": (
        "Fristen er {due}: fristen i '{state}' ({paused_due}) stod stille med "
        "{n} arbejdsdag(e) tilbage og løb videre, da sagen kom tilbage den "
        "{start}, den dag ikke medregnet."
    ),
    "deadline.resumed.late": (
        "Fristen er {due}: fristen i '{state}' ({paused_due}) stod stille, "
        "overskredet med {n} arbejdsdag(e), og løb videre, stadig overskredet, "
        "da sagen kom tilbage den {start}."
    ),
    "paused": (
        "Fristen står stille: fristen i '{state}', {due}, blev standset den "
        "{start} med {n} arbejdsdag(e) tilbage; den løber videre, når sagen "
        "kommer tilbage til '{state}'."
    ),
    "paused.late": (
        "Fristen står stille: fristen i '{state}', {due}, blev standset den "
        "{start}, overskredet med {n} arbejdsdag(e); den løber videre, stadig "
        "overskredet, når sagen kommer tilbage til '{state}'."
    ),
    "paused.none": (
        "Denne tilstand standser fristen i tilstanden før, men der løb ingen "
        "frist, da sagen kom hertil."
    ),
    "deadline.counted": (
        "Fristen er {due}: {rule} efter at sagen kom i tilstanden ({start}), "
        "den dag ikke medregnet."
    ),
    "deadline.counted_from": (
        "Fristen er {due}: {rule} efter '{field}' ({start}), den dag ikke medregnet."
    ),
    "skipped": "Kalenderen ({calendar}) sprang over: {days}.",
    "end_of_day": (
        "En frist løber til udgangen af dagen, dansk tid; sagen er over fristen "
        "fra dagen efter."
    ),
    "overdue": "Pr. {today} er fristen overskredet med {n} arbejdsdag(e).",
    "remain": "Pr. {today} er der {n} arbejdsdag(e) tilbage.",
    "next": (
        "Næste skridt, medmindre sagen går videre: rykkertrin {number} '{name}' "
        "underretter {notify} ved første kørsel den {when} eller senere{then}."
    ),
    "next.then": "; den næste frist er {rule} derfra",
    "ladder_spent": "Alle trin på tilstandens rykkerstige er sendt.",
    "allowed": "Hændelser tilladt nu: {events}.",
}

# Danish units: (one, more).
_DA_UNITS: Mapping[Unit, tuple[str, str]] = {
    Unit.WORKING_DAYS: ("arbejdsdag", "arbejdsdage"),
    Unit.CALENDAR_DAYS: ("kalenderdag", "kalenderdage"),
    Unit.WEEKS: ("uge", "uger"),
    Unit.MONTHS: ("måned", "måneder"),
    Unit.YEARS: ("år", "år"),
}


# The same reasons in Danish, for `danish_reason` (public holidays: the library's).
_DANISH: Mapping[str, str] = MappingProxyType(
    {
        "Saturday": "Lørdag",
        "Sunday": "Søndag",
        "Constitution Day": "Grundlovsdag",
        "Christmas Eve": "Juleaftensdag",
        "New Year's Eve": "Nytårsaftensdag",
        OFFICE_REASON: "Kontorets lukkedag",
    }
)


def danish_reason(day: date, reason: str) -> str:
    """`reason` (as `closed_reason` gave it for `day`) in Danish; else as given."""
    if public_holidays(day.year).get(day) == reason:
        return danish_holidays(day.year).get(day, reason)
    return _DANISH.get(reason, reason)


class Words:
    """The templates of one language."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._table = DA if language == "da" else EN

    def text(self, key: str, **values: object) -> str:
        return self._table[key].format(**values)

    def duration(self, value: object) -> str:
        """A declared duration ('20 working days'); '?' where none is declared."""
        if not isinstance(value, Duration):
            return "?"
        return duration_in(value, self.language)


def duration_in(value: Duration, language: str) -> str:
    """A declared duration in `language`: '20 working days', '20 arbejdsdage'."""
    if language != "da":
        return str(value)
    one, more = _DA_UNITS[value.unit]
    return f"{value.amount} {one if value.amount == 1 else more}"


def words(language: str) -> Words:
    return Words(language)


def day_reason(day: date, reason: str, language: str) -> str:
    """Why the calendar skipped `day`, in `language`."""
    return danish_reason(day, reason) if language == "da" else reason
