"""Read one line of a `case import` file: a case with its whole history.

    {"workflow": "ombudsman-inquiry", "number": "2024-0283489" (optional),
     "title": "...", "owner": "jur" (optional: as `case open --owner`),
     "parties": {"authority": "Socialforvaltningen" |
                 {"name": "...", "email": "..."}},
     "events": [{"event": "open", "actor": "bra", "at": "2024-10-03T09:00:00+02:00",
                 "data": {...}, "document": "..."}, ...]}

The first event must be `open`. Every problem names its place in the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.dates.timeparse import parse_instant
from engine.exceptions import InvalidDataError
from engine.records import Party, parse_case_number
from engine.workflow.definition import OPEN_EVENT

_TOP = frozenset({"workflow", "number", "title", "owner", "parties", "events"})
_EVENT = frozenset({"event", "actor", "at", "data", "document"})


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportedEvent:
    event: str
    actor: str
    at: datetime | None
    data: Mapping[str, object]
    document: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportedCase:
    workflow: str
    number: str | None
    title: str
    parties: tuple[Party, ...]
    events: tuple[ImportedEvent, ...]
    owner: str | None = None


def parse_import_record(record: Mapping[str, object]) -> ImportedCase:
    """Check the shape of one import record.

    Raises:
        InvalidDataError: (or InvalidTimeError) naming the offending key.
    """
    if not isinstance(record, Mapping):
        raise InvalidDataError("a line must hold a JSON object")
    _no_unknown(record, _TOP, "")
    workflow = _text(record, "workflow", "")
    title = _text(record, "title", "")
    number = record.get("number")
    if number is not None:
        if not isinstance(number, str):
            raise InvalidDataError("'number' must be a text like 2024-0283489")
        try:
            parse_case_number(number)
        except ValueError as exc:
            raise InvalidDataError(f"'number': {exc}") from None
    owner = record.get("owner")
    if owner is not None and not isinstance(owner, str):
        raise InvalidDataError("'owner' must be a user id")
    parties = _parties(record.get("parties", {}))
    raw_events = record.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise InvalidDataError(
            "'events' must be a non-empty list, starting with 'open'"
        )
    events = tuple(_event(e, f"events[{i}]") for i, e in enumerate(raw_events))
    if events[0].event != OPEN_EVENT:
        raise InvalidDataError(f"events[0] must be 'open', not {events[0].event!r}")
    if any(e.event == OPEN_EVENT for e in events[1:]):
        raise InvalidDataError("only events[0] may be 'open'")
    return ImportedCase(
        workflow=workflow,
        number=number,
        title=title,
        parties=parties,
        events=events,
        owner=owner,
    )


def _event(raw: object, where: str) -> ImportedEvent:
    if not isinstance(raw, Mapping):
        raise InvalidDataError(f"{where} must be an object")
    _no_unknown(raw, _EVENT, where)
    at_raw = raw.get("at")
    if at_raw is not None and not isinstance(at_raw, str):
        raise InvalidDataError(f"{where}.at must be an ISO 8601 text")
    data = raw.get("data", {})
    if not isinstance(data, Mapping):
        raise InvalidDataError(f"{where}.data must be an object")
    document = raw.get("document")
    if document is not None and not isinstance(document, str):
        raise InvalidDataError(f"{where}.document must be a title (text)")
    return ImportedEvent(
        event=_text(raw, "event", where),
        actor=_text(raw, "actor", where),
        at=parse_instant(at_raw, what=f"{where}.at") if at_raw else None,
        data=dict(data),
        document=document,
    )


def _parties(raw: object) -> tuple[Party, ...]:
    if not isinstance(raw, Mapping):
        raise InvalidDataError("'parties' must be an object of role: name")
    out = []
    for role, value in raw.items():
        if isinstance(value, str):
            out.append(Party(role=str(role), name=value))
        elif isinstance(value, Mapping) and isinstance(value.get("name"), str):
            email = value.get("email")
            if email is not None and not isinstance(email, str):
                raise InvalidDataError(f"parties.{role}.email must be a text")
            out.append(Party(role=str(role), name=value["name"], email=email))
        else:
            raise InvalidDataError(f"parties.{role} must be a name or {{name, email}}")
    return tuple(out)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        place = f"{where}.{key}" if where else key
        raise InvalidDataError(f"{place!r} must be a non-empty text")
    return value.strip()


def _no_unknown(raw: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            place = f"{where}.{key}" if where else key
            raise InvalidDataError(
                f"unknown key {place!r} (allowed: {', '.join(sorted(allowed))})"
            )
