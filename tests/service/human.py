"""A caseworker at work while the service sweeps: the scale-out tests' other process.

    python -m tests.service.human URL SEED COUNT

Picks COUNT different open cases at random (seeded), and on each fires either
`receive_reply` (the reply came) or a `note` with a title of its own, naming
the version it read, as a person in a user interface would. Prints one JSON
line per attempt: the case, the event, the version it expected, and the
outcome: `applied`, `conflict` (the sweep changed the case in between) or
`refused` with the error's class. The test checks each against the record.
"""

from __future__ import annotations

import json
import random
import sys
import uuid

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


def main(url: str, seed: int, count: int) -> None:
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    db = create_db_engine(url, create=False, pool_size=1)
    check_schema(db)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=SystemClock(),
        calendar=BusinessCalendar(),
    )
    numbers = [c.number for c in engine.list_cases(CaseFilter(state="awaiting_reply"))]
    rng = random.Random(seed)
    for number in rng.sample(sorted(numbers), count):
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
