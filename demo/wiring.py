"""The demo office's machinery: its engine on a fake clock, day one, the year.

Shared by the single-process build (`demo.office`) and the workers of
the parallel one (`demo.parallel`), so both run the same office.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time

from demo import founding
from demo.absences import plan_absences
from demo.people import STAFF
from demo.simulation import Delivered, Simulation
from engine.cases.engine import CaseEngine
from engine.chasing.chaser import Chaser, ChaseSettings
from engine.chasing.dispatcher import Dispatcher
from engine.dates.calendars import COPENHAGEN, BusinessCalendar
from engine.ports import CaseStore
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.letters import JinjaLetters, bundled_folder
from service.settings import Settings


def midnight(day: date) -> datetime:
    """The start of `day` in Copenhagen, in UTC."""
    return datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC)


def office_engine(
    store: CaseStore,
    registry: WorkflowRegistry,
    calendar: BusinessCalendar,
    *,
    first: date,
) -> tuple[CaseEngine, FakeClock]:
    """The office's engine, its clock standing at the start of `first`."""
    clock = FakeClock(midnight(first))
    engine = CaseEngine(
        store=store,
        registry=registry,
        clock=clock,
        calendar=calendar,
        keys=demo_key,
        language="da",  # a Danish office: its documents' default titles in Danish
    )
    return engine, clock


def demo_key(number: str) -> str:
    """A case's personal-data key, worked out from its number.

    A real office's keys are random (`engine.audit.personal.random_key`); the
    demo's data is synthetic and its build reproducible (the same seed and
    start give the same database, in one process or several), so its keys are
    not secret: anyone can recompute them.
    """
    return hashlib.sha256(f"sagsflow demo office {number}".encode()).hexdigest()


def go_live(engine: CaseEngine, clock: FakeClock, *, first: date) -> None:
    """Day one: the staff are added and the founding case is imported.

    The founding case is recorded that day, back-dated; or, for an office whose
    year began before the case closed, as it closed.
    """
    live = midnight(first)
    clock.set(live)
    for member in STAFF:
        engine.add_user(member.id, [member.role], member.email)
    clock.set(max(live, founding.CLOSED_AT))
    engine.import_case(founding.RECORD)
    clock.set(live)


def simulation(
    engine: CaseEngine,
    clock: FakeClock,
    settings: Settings,
    *,
    seed: int,
    first: date,
    start: date,
    on_finished: Callable[[str], None] | None = None,
) -> Simulation:
    """The year from `first` up to `start`, with the office's letters and the
    lawyers' absences (planned from `seed`); the past delivered."""
    chaser = Chaser(
        store=engine.store,
        clock=clock,
        calendar=engine.calendar,
        rules=engine.rules,
        letters=JinjaLetters(folders=[*settings.template_paths, bundled_folder()]),
        settings=ChaseSettings(language=settings.language, office=settings.office),
    )
    delivered = Delivered()
    dispatcher = Dispatcher(
        store=engine.store,
        clock=clock,
        channels={"email": delivered, "log": delivered, "webhook": delivered},
    )
    return Simulation(
        engine=engine,
        chaser=chaser,
        dispatcher=dispatcher,
        clock=clock,
        until=midnight(start),
        staff=plan_absences(
            seed=seed, first=first, until=start, calendar=engine.calendar
        ),
        on_finished=on_finished,  # a closed case's record can leave memory
    )
