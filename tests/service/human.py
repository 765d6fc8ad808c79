"""A caseworker at work while the service sweeps: the scale-out tests' other process.

    python -m tests.service.human URL SEED COUNT

Picks COUNT different open cases at random (seeded) and, newest first, fires
on each either `receive_reply` (the reply came) or a `note` with a title of
its own, naming the version it read, as a person in a user interface would.
Prints one JSON line per attempt: the case, the event, the version it
expected, and the outcome: `applied`, `conflict` (the sweep changed the case
in between) or `refused` with the error's class. The test checks each against
the record.

Newest first, because a sweep takes the oldest first (by deadline, then id;
here the deadlines are the same): the person and the sweep meet half-way, so
the person's first steps come before the sweep reaches their cases, its last
ones after, and in between it finds cases the sweep holds. Its session is
named APPLICATION_NAME, so that the test can see it wait on a lock.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from typing import Any

import sqlalchemy
import structlog

from engine.cases.engine import CaseEngine
from engine.clock import SystemClock
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import ConcurrentUpdateError, EngineError
from engine.records import CaseFilter
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, check_schema, create_db_engine
from workflows import bundled_paths

ACTOR = "jur"
APPLICATION_NAME = "sagsflow-test-human"  # the test finds its session by this


def _named(dbapi_connection: Any, _record: object) -> None:
    """Name the session in pg_stat_activity (sagsflow names its own `sagsflow`)."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET application_name = '{APPLICATION_NAME}'")
    dbapi_connection.commit()  # a SET is undone with its transaction


def main(url: str, seed: int, count: int) -> None:
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    db = create_db_engine(url, create=False, pool_size=1)
    sqlalchemy.event.listen(db, "connect", _named)
    check_schema(db)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=SystemClock(),
        calendar=BusinessCalendar(),
    )
    numbers = [c.number for c in engine.list_cases(CaseFilter(state="awaiting_reply"))]
    rng = random.Random(seed)
    for number in sorted(rng.sample(sorted(numbers), count), reverse=True):
        seen = engine.show(number).case.version
        event = rng.choice(("receive_reply", "note"))
        title = f"{event} {uuid.UUID(int=rng.getrandbits(128))}"
        attempt = {"case": number, "event": event, "expected": seen, "title": title}
        try:
            engine.fire(
                number, event, actor=ACTOR, document=title, expected_version=seen
            )
            attempt["outcome"] = "applied"
        except ConcurrentUpdateError as exc:
            attempt.update(outcome="conflict", message=str(exc))
        except EngineError as exc:
            attempt.update(outcome="refused", error=type(exc).__name__)
        print(json.dumps(attempt), flush=True)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
