"""What the routers share: documented problem answers, times, paging, JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import Response

from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.dates.timeparse import parse_instant
from engine.exceptions import InvalidDataError, InvalidTimeError
from engine.workflow.definition import FieldSpec, FieldType
from service import present
from service.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from service.api.problems import PROBLEM_JSON, ApiProblem

MAX_LIMIT = 500
MAX_OFFSET = 10**9
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DATE = date(2999, 12, 31)
NOW_AHEAD = timedelta(days=366)

_DESCRIPTIONS = {
    400: "Malformed request, an unknown parameter, or a refused one",
    401: "No valid bearer token",
    403: "The token's user holds no role allowed to do this",
    404: "No such case, workflow or notification",
    409: "A concurrent update, or the event is not allowed in the case's state",
    413: "The request body is over the limit",
    422: "The body, its data or a time does not fit",
    503: "The database is unavailable; try again later",
}

IDEMPOTENCY_DOC = (
    f"Send an `{IDEMPOTENCY_HEADER}` (1-255 visible ASCII characters) to make a "
    "retry safe: the same key with the same request answers as the first did "
    "(`Idempotent-Replayed: true`) and fires nothing; with another request, 422."
)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented problem answers of an operation.

    400 (an unknown query parameter, a malformed one), 401, 422 (a time that
    does not parse) and 503 can happen everywhere; `statuses` adds the rest.
    """
    wanted = sorted({400, 401, 422, 503, *statuses})
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": _problem_schema()}},
        }
        for status in wanted
    }


def _problem_schema() -> dict[str, Any]:
    return {"$ref": "#/components/schemas/Problem"}  # added by service.api.openapi


def parse_time(text: str | None, what: str) -> datetime | None:
    """A time given as text, read as the CLI reads `--since` and `--until`.

    Raises:
        InvalidTimeError: it does not parse, or lies out of range.
    """
    if text is None:
        return None
    try:
        return parse_instant(text, what=what)
    except OverflowError:
        raise InvalidTimeError(f"{what} {text!r} lies out of range") from None


def parse_effective(text: str | None) -> datetime | None:
    """`at`, an effective time: as `--at`, and not before `EARLIEST`.

    Deadlines are counted from it in working days, so a time centuries back
    would make every later read of the case count them all.

    Raises:
        InvalidTimeError: it does not parse or lies out of range.
    """
    at = parse_time(text, "at")
    if at is not None and at < EARLIEST:
        raise InvalidTimeError(f"at {text!r} lies before {EARLIEST.year}")
    return at


def parse_now(text: str | None, clock_now: datetime) -> datetime:
    """`now`, the moment deadlines are judged as of (default: the clock's).

    Between `EARLIEST` and a year ahead: how overdue a case is gets counted
    in working days up to it.

    Raises:
        InvalidTimeError: it does not parse or lies out of range.
    """
    now = parse_time(text, "now")
    if now is None:
        return clock_now
    if not EARLIEST <= now <= clock_now + NOW_AHEAD:
        raise InvalidTimeError(
            f"now {text!r} lies out of range ({EARLIEST.year} to a year from today)"
        )
    return now


def check_dates(fields: Iterable[FieldSpec], data: Mapping[str, object]) -> None:
    """Declared date fields (deadlines are counted from them) in a sane range.

    Raises:
        InvalidDataError: a date before `EARLIEST` or after `LATEST_DATE`.
    """
    for spec in fields:
        value = data.get(spec.name)
        if spec.type is not FieldType.DATE or not isinstance(value, str):
            continue
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            continue  # the engine names what is wrong with it
        if not EARLIEST.date() <= day <= LATEST_DATE:
            raise InvalidDataError(
                f"{spec.name!r} {day} lies out of range "
                f"({EARLIEST.date()} to {LATEST_DATE})"
            )


def page(items: Iterable[Any], *, limit: int, offset: int) -> Iterator[Any]:
    """`limit` items after the first `offset`, from a stream."""
    return islice(items, offset, offset + limit)


def json_response(body: Any, *, status: int = 200, **headers: str) -> Response:
    """The body as compact JSON, exactly as `service.present` made it."""
    return Response(
        content=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers or None,
    )


def known_query_only(request: Request) -> None:
    """Refuse query parameters the operation does not declare (a typo in a
    filter must not silently widen what is read), and NUL characters in the
    path or the query (PostgreSQL cannot compare them).

    Raises:
        ApiProblem: 400 naming the unknown parameters.
    """
    if "\x00" in request.scope.get("path", "") or any(
        "\x00" in key or "\x00" in value
        for key, value in request.query_params.multi_items()
    ):
        raise ApiProblem(
            400,
            "malformed-request",
            "Malformed request",
            "the path or a query parameter holds a NUL character",
        )
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = set(_query_names(route.dependant))
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise ApiProblem(
            400,
            "unknown-parameter",
            "Unknown query parameter",
            f"unknown query parameter {', '.join(repr(u) for u in unknown)}; "
            f"this operation takes: {', '.join(sorted(declared)) or 'none'}",
        )


def _query_names(dependant: Dependant) -> Iterator[str]:
    yield from (field.alias for field in dependant.query_params)
    for inner in dependant.dependencies:
        yield from _query_names(inner)


def case_body(
    engine: CaseEngine, view: CaseView, now: datetime | None = None
) -> dict[str, object]:
    """`present.case_json` as of `now` (default: the clock's), with its age."""
    moment = now or engine.clock.now()
    age = engine.age(view.case, moment)
    return present.case_json(view, now=moment, calendar=engine.calendar, age=age)
