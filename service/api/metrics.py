"""`/metrics` in the Prometheus text format, read from the database at scrape time.

    sagsflow_transitions_total{workflow,event}  audited steps (open, every event,
                                                chase, correction) ever recorded
    sagsflow_chases_total{workflow}             chase ladder rungs fired
    sagsflow_outbox_notifications{status}       the outbox now, by status
    sagsflow_oldest_chase_lag_days              days the oldest overdue chase waits
    sagsflow_sweep_duration_seconds             the sweeps of this process (serve)

Cost per scrape: the audit counts are incremental. The first scrape counts
every audit entry once; later ones count only the entries added since (a range
read on the primary key), and once an hour the count is taken whole again, which
heals a count that missed a row committed out of id order on PostgreSQL (the
totals only grow: the record is append-only). The outbox count is an aggregate
over the outbox (its status index); the lag is one read of the `chase_due`
index. Counters are totals since the record began, so several processes and
restarts report the same values.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from engine.clock import Clock
from engine.dates.calendars import local_date
from engine.ports import CaseStore
from engine.records import NotificationStatus
from engine.workflow.definition import CHASE_EVENT

RECOUNT = timedelta(hours=1)
SWEEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class _RecordCollector(Collector):
    """Counts from the database, incrementally (see the module docstring)."""

    def __init__(self, store: CaseStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._position = 0
        self._totals: dict[tuple[str, str], int] = {}
        self._counted_at: datetime | None = None

    def collect(self) -> Iterator[Metric]:
        now = self.clock.now()
        with self._lock:
            recount = self._counted_at is None or now - self._counted_at >= RECOUNT
            after = 0 if recount else self._position
            with self.store.transaction(write=False) as tx:
                position, counts = tx.audit_counts(after)
                outbox = dict(tx.notification_counts())
                oldest = tx.oldest_chase_due()
            totals = {} if recount else dict(self._totals)
            for workflow, event, n in counts:
                totals[workflow, event] = totals.get((workflow, event), 0) + n
            if recount:  # a whole count never goes below what was reported
                for pair, n in self._totals.items():
                    totals[pair] = max(totals.get(pair, 0), n)
                self._counted_at = now
            self._position, self._totals = position, totals
        transitions = CounterMetricFamily(
            "sagsflow_transitions",
            "Audited steps recorded, by workflow and event.",
            labels=["workflow", "event"],
        )
        chases = CounterMetricFamily(
            "sagsflow_chases",
            "Chase ladder rungs fired, by workflow.",
            labels=["workflow"],
        )
        for (workflow, event), n in sorted(totals.items()):
            transitions.add_metric([workflow, event], n)
            if event == CHASE_EVENT:
                chases.add_metric([workflow], n)
        notifications = GaugeMetricFamily(
            "sagsflow_outbox_notifications",
            "Notifications in the outbox, by status.",
            labels=["status"],
        )
        for status in NotificationStatus.ALL:
            notifications.add_metric([status], outbox.get(status, 0))
        today = local_date(now)
        lag = (today - oldest).days if oldest is not None and oldest < today else 0
        yield transitions
        yield chases
        yield notifications
        yield GaugeMetricFamily(
            "sagsflow_oldest_chase_lag_days",
            "Days since the deadline of the oldest case waiting to be chased.",
            value=lag,
        )


class _SweepCollector(Collector):
    """The durations of this process's sweeps, as a histogram.

    Kept by hand rather than with prometheus_client's `Histogram`, whose
    `_created` series reads the wall clock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = [0] * len(SWEEP_BUCKETS)
        self._total = 0
        self._sum = 0.0

    def observe(self, seconds: float) -> None:
        with self._lock:
            for i, bound in enumerate(SWEEP_BUCKETS):
                if seconds <= bound:
                    self._counts[i] += 1
            self._total += 1
            self._sum += seconds

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            buckets = [
                (str(bound), n)
                for bound, n in zip(SWEEP_BUCKETS, self._counts, strict=True)
            ]
            buckets.append(("+Inf", self._total))
            total_sum = self._sum
        yield HistogramMetricFamily(
            "sagsflow_sweep_duration_seconds",
            "How long each sweep of this process took.",
            buckets=buckets,
            sum_value=total_sum,
        )


class Metrics:
    """The registry `/metrics` renders; `observe_sweep` is fed by `serve`."""

    def __init__(self, *, store: CaseStore, clock: Clock) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_RecordCollector(store, clock))
        self._sweeps = _SweepCollector()
        self.registry.register(self._sweeps)
        self._clock = clock
        self.last_sweep: tuple[datetime, float] | None = None
        """When this process's last sweep ended, and its seconds (the pages)."""

    def observe_sweep(self, seconds: float) -> None:
        self._sweeps.observe(seconds)
        self.last_sweep = (self._clock.now(), seconds)

    def render(self) -> bytes:
        """The text exposition format.

        Raises:
            StorageError: the database is away.
        """
        return generate_latest(self.registry)
