"""`sagsflow serve`: the background service that chases and delivers.

Two jobs on APScheduler's timer (`engine.chasing.scheduler`): the sweep and the
dispatcher. Each pass logs one line. A database that goes away is logged and
retried with backoff; the service does not exit. SIGTERM or SIGINT stops the
timer, lets the batch in flight commit or roll back, and exits 0.

A companion (the HTTP API) runs next to the timer, started before it and
stopped with it; one that cannot start (its port is taken) is logged as
`api_unavailable` and left out: the chaser, which keeps legal deadlines, runs on.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import FrameType
from typing import Any, Protocol, TypeVar

import structlog

from engine.chasing.chaser import Chaser
from engine.chasing.dispatcher import Dispatcher
from engine.chasing.scheduler import start_jobs, stop_jobs
from engine.clock import Clock
from engine.dates.calendars import local_date
from engine.exceptions import EngineError, SchemaError, StorageError

log = structlog.get_logger()

MAX_BACKOFF = timedelta(minutes=5)
DAILY = timedelta(days=1)
T = TypeVar("T")


@dataclass(slots=True)
class _Backoff:
    """After a database failure: skip passes until `until`, doubling the wait."""

    wait: timedelta = timedelta(seconds=5)
    until: datetime | None = None
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, now: datetime) -> bool:
        with self.lock:
            return self.until is not None and now < self.until

    def failed(self, now: datetime) -> timedelta:
        with self.lock:
            self.failures += 1
            wait = min(self.wait * (1 << min(self.failures - 1, 10)), MAX_BACKOFF)
            self.until = now + wait
            return wait

    def recovered(self) -> bool:
        with self.lock:
            was_down = self.failures > 0
            self.failures, self.until = 0, None
            return was_down


class Service:
    """The sweep and dispatch passes, guarded against a failing database."""

    def __init__(
        self,
        *,
        chaser: Chaser,
        dispatcher: Dispatcher,
        clock: Clock,
        daily: Callable[[], None] | None = None,
        on_sweep: Callable[[float], None] | None = None,
    ) -> None:
        self.chaser = chaser
        self.dispatcher = dispatcher
        self.clock = clock
        self.daily = daily  # housekeeping (access log, checkpoint), once a day
        self.on_sweep = on_sweep  # told each sweep's duration in seconds (metrics)
        # One backoff per job: the dispatcher's trouble must not pause the sweep.
        self.backoffs = {
            "sweep": _Backoff(),
            "dispatch": _Backoff(),
            "daily": _Backoff(),
        }
        # the running scheduler (engine.chasing.scheduler), if any
        self.timer: Any = None
        # The two passes take turns: on SQLite they would only queue for its
        # single write lock, and a long catch-up sweep could starve the other.
        self._turn = threading.Lock()

    def timer_running(self) -> bool:
        """Whether the timer runs (for the API's /health)."""
        return bool(self.timer is not None and self.timer.running)

    def sweep_pass(self) -> None:
        """One sweep; never raises (the timer thread must live on)."""
        self._guarded("sweep", self._sweep)

    def dispatch_pass(self) -> None:
        """One delivery pass; never raises."""
        self._guarded("dispatch", self._dispatch)

    def daily_pass(self) -> None:
        """The daily housekeeping; never raises."""
        if self.daily is not None:
            self._guarded("daily", self.daily)

    def _sweep(self) -> None:
        now = self.clock.now()
        started = time.perf_counter()
        result = self.chaser.sweep(now, keep=False)  # the counts are logged
        if self.on_sweep is not None:
            self.on_sweep(time.perf_counter() - started)
        lag = (local_date(now) - result.oldest_due).days if result.oldest_due else 0
        log.info(
            "sweep_finished",
            examined=result.examined,
            chased=result.fired,
            notifications=result.notifications,
            skipped=result.skipped,
            oldest_chase_lag_days=lag,
        )

    def _dispatch(self) -> None:
        result = self.dispatcher.dispatch()
        log.info(
            "dispatch_finished",
            sent=result.sent,
            retrying=result.retrying,
            failed=result.failed,
        )

    def _guarded(self, job: str, work: Callable[[], None]) -> None:
        backoff = self.backoffs[job]
        with self._turn:
            now = self.clock.now()
            if backoff.blocked(now):
                return
            with structlog.contextvars.bound_contextvars(job=job):
                try:
                    work()
                except StorageError as exc:
                    wait = backoff.failed(now)
                    log.warning(
                        "database_unavailable",
                        error=str(exc),
                        retry_in_s=wait.seconds,
                    )
                    return
                except Exception:  # a bug: log it, keep the service alive
                    log.exception("pass_crashed")
                    return
                if backoff.recovered():
                    log.info("database_available_again")


def connect(
    build: Callable[[], T], *, stop: threading.Event, first_wait: float = 1.0
) -> T | None:
    """Build what needs the database, waiting with backoff while it is away.

    A database without the sagsflow schema is a mistake to report, not to wait
    out (SchemaError is raised). Returns None when stopped while waiting.
    """
    wait = first_wait
    while not stop.is_set():
        try:
            return build()
        except SchemaError:
            raise
        except StorageError as exc:
            log.warning("database_unavailable", error=str(exc), retry_in_s=wait)
            stop.wait(wait)
            wait = min(wait * 2, MAX_BACKOFF.total_seconds())
    return None


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (and are restored afterwards)."""

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("service_stopping", signal=signal.Signals(signum).name)
        stop.set()

    previous = {
        sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Companion(Protocol):
    """Something served next to the timer (the HTTP API)."""

    def start(self) -> None:
        """Start serving; raises an EngineError when it cannot."""
        ...

    def stop(self) -> None:
        """Stop serving, letting work in flight finish."""
        ...


def run(
    service: Service,
    *,
    interval: float,
    stop: threading.Event,
    companion: Companion | None = None,
) -> int:
    """Run until `stop` is set (by SIGTERM/SIGINT); returns the exit code."""
    with stop_on_signals(stop):
        if companion is not None:
            try:
                companion.start()
            except EngineError as exc:
                log.error("api_unavailable", error=str(exc))
                companion = None
        jobs = {"sweep": service.sweep_pass, "dispatch": service.dispatch_pass}
        if service.daily is not None:
            jobs["daily"] = service.daily_pass
        scheduler = start_jobs(
            jobs,
            every=interval,
            now=service.clock.now(),
            intervals={"daily": DAILY.total_seconds()},
        )
        service.timer = scheduler
        log.info("service_started", interval_s=interval)
        try:
            stop.wait()
        finally:
            if companion is not None:
                companion.stop()  # no new requests; those in flight finish
            stop_jobs(scheduler)  # waits for the batch in flight
            service.timer = None
    log.info("service_stopped")
    return 0
