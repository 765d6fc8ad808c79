"""A deactivated owner gets no more notices, from the service's next sweep on.

The chaser holds one store for its life, as `sagsflow serve` does; the advisor
deactivates the owner from another process (another store on the same
database). No restart: the next sweep reads the users as they are now.
"""

from __future__ import annotations

from datetime import datetime

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.dates.timeparse import parse_instant
from engine.records import Notification, Party
from engine.testing import FakeClock, chaser_for
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine
from tests.conftest import make_engine

AUTHORITY = Party(role="authority", name="Socialforvaltningen", email="sof@example.org")
MANAGEMENT = Party(
    role="authority_management", name="Direktionen", email="dir@example.org"
)


def at(text: str) -> datetime:
    return parse_instant(text)


def notices(engine: CaseEngine, rung: str) -> set[str]:
    with engine.store.transaction(write=False) as tx:
        outbox: list[Notification] = list(tx.list_notifications())
    return {
        n.recipient
        for n in outbox
        if n.kind == "notice" and n.payload.get("rung") == rung
    }


def test_the_next_sweep_tells_the_advisor_instead(
    database_url: str, registry: WorkflowRegistry, clock: FakeClock
) -> None:
    serving_db, person_db = (create_db_engine(database_url) for _ in range(2))
    try:
        serving = make_engine(SqlCaseStore(serving_db), registry, clock)
        serving.add_user("mab", ["caseworker"], "mab@example.org", actor="bra")
        serving.add_user("chef", ["advisor"], "chef@example.org", actor="bra")
        chaser = chaser_for(serving)
        clock.set(at("2024-10-09T16:00"))
        number = serving.open_case(
            "ombudsman-inquiry",
            actor="bra",
            title="Politianmeldelse",
            parties=[AUTHORITY, MANAGEMENT],
            owner="mab",
            at=at("2024-10-03T10:00"),
        ).case.number
        serving.fire(number, "send_inquiry", actor="mab", at=at("2024-10-09T09:30"))
        serving.fire(number, "mark_dispatched", actor="mab", at=at("2024-10-09T15:00"))

        clock.set(at("2024-11-07T09:00"))
        assert [c.rung for c in chaser.sweep().chased] == ["reminder_1"]
        assert notices(serving, "reminder_1") == {"mab@example.org"}

        person = CaseEngine(
            store=SqlCaseStore(person_db),
            registry=registry,
            clock=clock,
            calendar=BusinessCalendar(),
        )
        done = person.deactivate_user("mab", actor="chef", reason="Fratrådt")
        assert [c.number for c in done.orphaned] == [number]

        clock.set(at("2024-11-22T09:00"))
        assert [c.rung for c in chaser.sweep().chased] == ["reminder_2"]
        assert notices(serving, "reminder_2") == {
            "chef@example.org",
            "owner: bra (no e-mail address)",
        }
    finally:
        serving_db.dispose()
        person_db.dispose()
