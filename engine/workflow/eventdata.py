"""Check and coerce the data an event carries against its declaration.

Values come as text from the command line or typed from JSON (import, API); both
are coerced to the declared type and stored JSON-ready (dates as ISO strings).
Every problem is reported in one `InvalidDataError` naming the event and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine.exceptions import InvalidDataError
from engine.logs import contains_cpr
from engine.records import JsonDict
from engine.workflow.definition import FieldSpec, FieldType, Transition

_TRUE = frozenset({"true", "yes", "y", "1", "ja", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "nej", "off"})


def coerce_event_data(
    transition: Transition, raw: Mapping[str, object], *, on: date
) -> JsonDict:
    """Return `raw` checked and coerced to the event's declared fields.

    `on` is the event's local date: date fields declared `default: today` take it
    when left out, and `relative: past|future` dates are checked against it.

    Raises:
        InvalidDataError: an unknown field, a missing required one, a value of
            the wrong type or not among the allowed values.
    """
    event = transition.event
    problems: list[str] = []
    declared = {f.name: f for f in transition.fields}
    out: JsonDict = {}
    for key, value in raw.items():
        spec = declared.get(key)
        if spec is None:
            takes = ", ".join(declared) or "no data"
            problems.append(f"{event!r} takes no field {key!r} (it takes: {takes})")
            continue
        try:
            out[key] = _coerce(spec, value)
        except ValueError as exc:
            problems.append(f"{key!r}: {exc}")
    for spec in transition.fields:
        if spec.name in out:
            problem = _relative_problem(spec, out[spec.name], on)
            if problem:
                problems.append(problem)
            continue
        if spec.default_today:
            out[spec.name] = on.isoformat()
            continue
        if spec.required:
            problems.append(f"{event!r} needs {_describe(spec)}")
        for other, values in spec.required_if:
            if out.get(other) in values:
                problems.append(
                    f"{spec.name!r} is required when {other} is {out[other]!r}"
                    + (f" ({_options(spec)})" if spec.values else "")
                )
    if problems:
        raise InvalidDataError("; ".join(problems))
    return out


def field_date(value: object) -> date | None:
    """A stored date field's value as a date (None when absent or empty)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return None


def _coerce(spec: FieldSpec, value: Any) -> object:
    text = value.strip() if isinstance(value, str) else value
    if spec.type is FieldType.TEXT:
        if not isinstance(text, str) or not text:
            raise ValueError("must be a non-empty text")
        if contains_cpr(text):
            raise ValueError(
                "must not hold a CPR number (the record names people by internal id)"
            )
        return text
    if spec.type is FieldType.BOOL:
        if isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"{value!r} is not true or false")
    if spec.type is FieldType.INT:
        if isinstance(text, int) and not isinstance(text, bool):
            return text
        if isinstance(text, str) and text.lstrip("-").isdigit():
            return int(text)
        raise ValueError(f"{value!r} is not a whole number")
    if spec.type is FieldType.DATE:
        if isinstance(text, date):
            return text.isoformat()
        if isinstance(text, str) and len(text) == 10:
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    if text not in spec.values:
        raise ValueError(f"{value!r} is not allowed ({_options(spec)})")
    return text


def _relative_problem(spec: FieldSpec, value: object, on: date) -> str | None:
    if spec.relative is None:
        return None
    day = field_date(value)
    if day is None:
        return None
    if spec.relative == "future" and day < on:
        return f"{spec.name!r} {day} lies before the event's date {on}"
    if spec.relative == "past" and day > on:
        return f"{spec.name!r} {day} lies after the event's date {on}"
    return None


def _options(spec: FieldSpec) -> str:
    return "one of: " + ", ".join(spec.values)


def _describe(spec: FieldSpec) -> str:
    if spec.type is FieldType.CHOICE:
        return f"{spec.name!r} ({_options(spec)})"
    return f"{spec.name!r} (a {spec.type.value})"
