"""Several processes on one database, SQLite and PostgreSQL alike.

Each child has its own CaseEngine on the same database. They are released
together through a pipe barrier: every child says "ready" on stdout and blocks
reading stdin until the parent has heard all of them and writes "go" to each.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import AuditFilter, CaseFilter
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "ombudsman-inquiry"
PROCESS_TIMEOUT_S = 120
WORKERS = 4
EACH = 25

_CHILD = textwrap.dedent(
    """
    import json
    import sys
    from datetime import datetime

    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())

    from engine.dates.calendars import BusinessCalendar
    from engine.exceptions import EngineError
    from engine.workflow.registry import WorkflowRegistry
    from engine.cases.engine import CaseEngine
    from engine.testing import FakeClock
    from storage import SqlCaseStore, check_schema, create_db_engine
    from workflows import bundled_paths

    url, number, now, job, worker = sys.argv[1:6]
    db = create_db_engine(url, create=False)
    check_schema(db)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=WorkflowRegistry.from_paths(bundled_paths()),
        clock=FakeClock(datetime.fromisoformat(now)),
        calendar=BusinessCalendar(),
    )
    engine.show(number)  # connected and loaded before the start line
    print("ready", flush=True)
    sys.stdin.readline()
    results = []
    if job == "notes":
        for i in range(25):
            engine.fire(
                number, "note", actor="jur", document=f"Note {i} from worker {worker}"
            )
            results.append("fired")
    elif job == "open":
        for i in range(25):
            view = engine.open_case(
                "ombudsman-inquiry", actor="bra", title=f"Case {i} of {worker}"
            )
            results.append(view.case.number)
    else:
        try:
            engine.fire(number, job, actor="jur")
            results.append("fired")
        except EngineError as exc:
            results.append(type(exc).__name__)
    print(json.dumps(results), flush=True)
    db.dispose()
    """
)


@pytest.fixture
def case_engine(
    database_url: str, registry: WorkflowRegistry, clock: FakeClock
) -> Iterator[CaseEngine]:
    db = create_db_engine(database_url, create=False)
    engine = CaseEngine(
        store=SqlCaseStore(db),
        registry=registry,
        clock=clock,
        calendar=BusinessCalendar(),
    )
    engine.add_user("bra", ["advisor"])
    engine.add_user("jur", ["caseworker"])
    yield engine
    db.dispose()


def _start_together(url: str, number: str, now: str, job: str) -> list[list[str]]:
    """Run the children, released at once; return each child's results."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, url, number, now, job, str(i)],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS if job in ("notes", "open") else 2)
    ]
    try:
        for child in children:
            assert _read_line(child, PROCESS_TIMEOUT_S) == "ready\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = []
        for child in children:
            out, err = child.communicate(timeout=PROCESS_TIMEOUT_S)
            assert child.returncode == 0, err
            outputs.append(json.loads(out))
        return outputs
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.communicate()


def _read_line(child: subprocess.Popen[str], timeout: float) -> str:
    assert child.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"child {child.pid} did not report ready in {timeout}s")
    line = child.stdout.readline()
    if not line:
        _, err = child.communicate(timeout=timeout)
        pytest.fail(f"child {child.pid} exited before the start line:\n{err}")
    return line


def _release(engine: CaseEngine) -> None:
    """Close the parent's connections, so only the children hold any."""
    assert isinstance(engine.store, SqlCaseStore)
    engine.store.engine.dispose()


@pytest.mark.slow
def test_no_lost_update_across_processes(
    case_engine: CaseEngine, database_url: str, clock: FakeClock
) -> None:
    """4 processes x 25 notes on one case: every note gets its own number and seq."""
    number = case_engine.open_case(WORKFLOW, actor="jur", title="Busy").case.number
    _release(case_engine)

    results = _start_together(database_url, number, clock.now().isoformat(), "notes")

    assert results == [["fired"] * EACH] * WORKERS
    view = case_engine.show(number)
    assert (view.case.version, view.case.documents_count) == (101, 100)
    assert [e.seq for e in view.history] == list(range(1, 102))
    assert [d.seq for d in view.documents] == list(range(1, 101))
    assert [d.number for d in view.documents] == [
        f"{number}-{i}" for i in range(1, 101)
    ]
    assert [d.event_seq for d in view.documents] == list(range(2, 102))
    for worker in range(WORKERS):  # each worker's notes are in its own order
        titles = [d.title for d in view.documents if d.title.endswith(f" {worker}")]
        assert titles == [f"Note {i} from worker {worker}" for i in range(EACH)]


@pytest.mark.slow
def test_same_event_from_two_processes_happens_once(
    case_engine: CaseEngine, database_url: str, clock: FakeClock
) -> None:
    number = case_engine.open_case(WORKFLOW, actor="bra", title="Inquiry").case.number
    case_engine.fire(number, "send_inquiry", actor="jur")
    case_engine.fire(number, "mark_dispatched", actor="jur")
    _release(case_engine)

    results = _start_together(
        database_url, number, clock.now().isoformat(), "receive_reply"
    )

    assert sorted(r for (r,) in results) == ["TransitionNotAllowedError", "fired"]
    view = case_engine.show(number)
    assert (view.case.state, view.case.version) == ("assessed", 4)
    assert [e.seq for e in view.history] == [1, 2, 3, 4]
    entries = list(case_engine.audit_log(AuditFilter(case_number=number)))
    assert [e.event for e in entries].count("receive_reply") == 1
    assert [d.title for d in view.documents] == [
        "Inquiry letter",
        "Reply from the administration",
    ]


@pytest.mark.slow
def test_case_numbers_stay_gap_free_and_unique_across_processes(
    case_engine: CaseEngine, database_url: str, clock: FakeClock
) -> None:
    """4 processes open 25 cases each at once: numbers 2..101 of the year, once each."""
    first = case_engine.open_case(WORKFLOW, actor="bra", title="First").case.number
    _release(case_engine)

    results = _start_together(database_url, first, clock.now().isoformat(), "open")

    numbers = [n for worker in results for n in worker]
    year = first.split("-")[0]
    expected = [f"{year}-{i:07d}" for i in range(2, 2 + WORKERS * EACH)]
    assert sorted(numbers) == expected
    for worker in results:  # each process saw its own numbers rise
        assert worker == sorted(worker)
    stored = [c.number for c in case_engine.list_cases(CaseFilter())]
    assert sorted(stored) == [first, *expected]
