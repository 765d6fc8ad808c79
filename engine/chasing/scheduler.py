"""The service's timer: the only module that imports APScheduler (3.11).

Two interval jobs, the sweep and the dispatcher, in an in-memory job store:
deadlines live in our tables, so nothing here needs persisting, and several
processes can each run their own timer safely (docs/libraries.md §2.1-2.2: a shared
3.x job store duplicates and loses jobs; the default misfire grace silently
drops late runs, hence `misfire_grace_time=None`). Swapping to APScheduler 4
is a change to this file only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler


def start_jobs(
    jobs: dict[str, Callable[[], None]],
    *,
    every: float,
    now: datetime,
    intervals: dict[str, float] | None = None,
) -> BackgroundScheduler:
    """Run each job every `every` seconds from `now` on, one instance at a time.

    Args:
        jobs: job id -> function; each must catch its own errors.
        every: the interval in seconds.
        now: when the first runs are due (the caller's clock).
        intervals: job id -> its own interval, where it differs from `every`.
    """
    # Its own INFO lines ("Running job ...") would drown our one line per pass.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(timezone=UTC)
    for job_id, func in jobs.items():
        scheduler.add_job(
            func,
            "interval",
            seconds=(intervals or {}).get(job_id, every),
            id=job_id,
            next_run_time=now,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
        )
    scheduler.start()
    return scheduler


def stop_jobs(scheduler: BackgroundScheduler) -> None:
    """Stop taking new runs and wait for the running ones to finish."""
    scheduler.shutdown(wait=True)
