"""`service.serve.run` with a companion (the API), in-process.

`run` installs signal handlers, which Python allows only in the main thread,
so the test calls it there and a watcher thread sets `stop` once the
companion has started (waiting on an Event with a timeout, never sleeping).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from engine.cases.engine import CaseEngine
from engine.chasing.chaser import ChaseSettings
from engine.chasing.dispatcher import Dispatcher
from engine.exceptions import InvalidInputError
from engine.testing import chaser_for
from service.api.idempotency import check_key
from service.api.problems import ApiProblem
from service.serve import Service, run

WAIT_S = 30.0


@pytest.fixture(autouse=True)
def _restore_apscheduler_level() -> Iterator[None]:
    """`run` quiets APScheduler's logger for the process; later tests expect not."""
    logger = logging.getLogger("apscheduler")
    level = logger.level
    yield
    logger.setLevel(level)


class Companion:
    """Records what `run` does with it; `fail` makes it refuse to start."""

    def __init__(self, stop: threading.Event, *, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.started = threading.Event()
        self.fail = fail
        self.stop_event = stop

    def start(self) -> None:
        self.calls.append("start")
        self.started.set()
        if self.fail:
            raise InvalidInputError("the API cannot listen on 127.0.0.1:8000: in use")

    def stop(self) -> None:
        self.calls.append("stop")


def _service(engine: CaseEngine, daily: list[str]) -> Service:
    return Service(
        chaser=chaser_for(
            engine,
            settings=ChaseSettings(working_days_only=False, quiet_hours=(0, 0)),
        ),
        dispatcher=Dispatcher(store=engine.store, clock=engine.clock, channels={}),
        clock=engine.clock,
        daily=lambda: daily.append("ran"),
    )


def _run_until_started(service: Service, companion: Companion) -> int:
    stop = companion.stop_event

    def stop_once_started() -> None:
        companion.started.wait(timeout=WAIT_S)
        stop.set()

    watcher = threading.Thread(target=stop_once_started, daemon=True)
    watcher.start()
    try:
        return run(service, interval=60, stop=stop, companion=companion)
    finally:
        stop.set()
        watcher.join(timeout=WAIT_S)


def test_the_companion_starts_first_and_stops_before_the_timer(
    fast_engine: CaseEngine,
) -> None:
    service = _service(fast_engine, [])
    companion = Companion(threading.Event())
    with capture_logs() as logs:
        assert _run_until_started(service, companion) == 0
    assert companion.calls == ["start", "stop"]
    events = [e["event"] for e in logs]
    assert events[-1] == "service_stopped"
    assert not service.timer_running()


def test_a_companion_that_cannot_start_leaves_the_chaser_running(
    fast_engine: CaseEngine,
) -> None:
    service = _service(fast_engine, [])
    companion = Companion(threading.Event(), fail=True)
    with capture_logs() as logs:
        assert _run_until_started(service, companion) == 0
    assert companion.calls == ["start"]  # never stopped: it never ran
    (unavailable,) = [e for e in logs if e["event"] == "api_unavailable"]
    assert "in use" in unavailable["error"]
    assert "service_started" in [e["event"] for e in logs]


def test_the_daily_job_runs(fast_engine: CaseEngine) -> None:
    """Regression: its backoff was filed as 'anchor', so the job raised KeyError."""
    daily: list[str] = []
    _service(fast_engine, daily).daily_pass()
    assert daily == ["ran"]


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "é"])
def test_check_key_refuses_what_the_header_pattern_refuses(key: str) -> None:
    with pytest.raises(ApiProblem):
        check_key(key)


def test_check_key_takes_visible_ascii() -> None:
    assert check_key("retry-2024-10-09/1") == "retry-2024-10-09/1"
