"""W1's sagsflow: the real `CaseEngine` over `SqlCaseStore`, schema by Alembic.

Also what W3 and W4 drive (`make_sagsflow`, `drive_sagsflow`, through
`bench.w1_lifecycle`), and the benches' quiet logging.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import sqlalchemy as sa

from bench.peers.lifecycle import NOW, OPENED_AT, STEPS, WARM_UP, WORKFLOW
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.logs import configure_logging
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from workflows import bundled_paths


def quiet_logging() -> None:
    """Route sagsflow's per-transition log lines (INFO, JSON) to /dev/null.

    The records are still built and rendered, as in production; only the
    output is discarded, so the bench prints nothing but its tables.
    """
    configure_logging(json=True, level="INFO", stream=open(os.devnull, "w"))  # noqa: SIM115


def make_sagsflow(url: str, synchronous: str) -> tuple[CaseEngine, sa.Engine]:
    db = create_db_engine(url, synchronous=synchronous)
    upgrade_schema(db)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])  # the Borgerrådgiver
    engine.add_user("jur", ["caseworker"])  # the case's lawyer
    return engine, db


def drive_sagsflow(engine: CaseEngine, n: int) -> None:
    for i in range(n):
        view = engine.open_case(
            WORKFLOW, actor="bra", title=f"Inquiry {i}", at=OPENED_AT
        )
        number = view.case.number
        for name, actor, at, data in STEPS:
            engine.fire(number, name, actor=actor, at=at, data=data)


def run(workdir: Path, n: int, synchronous: str) -> float:
    """n cases through the lifecycle, logging at INFO to /dev/null; seconds."""
    quiet_logging()
    engine, db = make_sagsflow(f"sqlite:///{workdir / 'sagsflow.db'}", synchronous)
    try:
        drive_sagsflow(engine, WARM_UP)
        start = time.perf_counter()
        drive_sagsflow(engine, n)
        return time.perf_counter() - start
    finally:
        db.dispose()
