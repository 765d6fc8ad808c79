"""W1 lifecycle: N cases driven open → send_inquiry → mark_dispatched →
receive_reply → close, each step its own committed transaction with its audit row.

Competitors (`bench.peers`, one module each), interleaved within each run
(A, B, C, A, B, C, ...), each on a fresh SQLite file in WAL mode, at
`synchronous=FULL` (sagsflow's default) and `NORMAL`:

* sagsflow: the real `CaseEngine` over `SqlCaseStore` (schema by Alembic).
* floor: the plain `sqlite3` module doing the same writes on the same schema.
* P1 naive: a `transitions.Machine` subclass per case, SQLModel ORM.
* P2: one shared `transitions.Machine`, a model added per request, ORM.
* P3: python-statemachine, a machine per request bound to the row, ORM.
* P4: SpiffWorkflow, its workflow serialized into the row per step, ORM.

Every competitor runs in a fresh process (`python -m bench.peers`) once per
run and setting, so no competitor's imports, caches or heap help another;
the process times its steps only (setup, and a warm-up of
`WARM_UP` cases on the same file, outside the timed region) and W1 reads the
seconds it prints. P3 and P4 need the `bench` extra.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

from bench.peers import COMPETITORS, EXTRA
from bench.peers.lifecycle import NOW as NOW
from bench.peers.lifecycle import STEPS, STEPS_PER_CASE
from bench.peers.sagsflow import drive_sagsflow as drive_sagsflow
from bench.peers.sagsflow import make_sagsflow as make_sagsflow
from bench.peers.sagsflow import quiet_logging as quiet_logging
from bench.peers.sagsflow import run as run_sagsflow
from bench.report import DASH, header, median_range, table

__all__ = [
    "DEFAULT_SIZES",
    "NOW",
    "QUICK_SIZES",
    "STEPS_PER_CASE",
    "drive_sagsflow",
    "make_sagsflow",
    "quiet_logging",
    "run",
    "run_sagsflow",
]

DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (50,)
SYNC_MODES = ("FULL", "NORMAL")
ROOT = Path(__file__).resolve().parent.parent
PEER_PACKAGES = ("transitions", "python-statemachine", "SpiffWorkflow", "sqlmodel")


def missing_extra() -> list[str]:
    """The bench extra's distributions this Python cannot import."""
    return [dist for module, dist in EXTRA if find_spec(module) is None]


def run_one(key: str, n: int, synchronous: str) -> float:
    """One competitor in a fresh process on a fresh file: its steps' seconds."""
    with tempfile.TemporaryDirectory(prefix="sagsflow-bench-") as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "bench.peers", key, str(n), synchronous, tmp],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        print(f"python -m bench: error: W1 {key} failed: {last}", file=sys.stderr)
        raise SystemExit(1)
    return float(done.stdout.split()[-1])


def measure(sizes: Sequence[int], runs: int) -> dict[tuple[int, str, str], list[float]]:
    """Transitions per second per (size, synchronous, competitor), per run."""
    results: dict[tuple[int, str, str], list[float]] = {}
    for n in sizes:
        for run_number in range(runs):
            for synchronous in SYNC_MODES:
                for key, label, _ in COMPETITORS:
                    rate = n * STEPS_PER_CASE / run_one(key, n, synchronous)
                    results.setdefault((n, synchronous, label), []).append(rate)
                    print(
                        f"  run {run_number + 1}/{runs} N={n:,} {synchronous:<6} "
                        f"{label:<38} {rate:>9,.0f} transitions/s",
                        flush=True,
                    )
    return results


def _versions() -> str:
    found = []
    for name in PEER_PACKAGES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def run(sizes: Sequence[int], runs: int) -> None:
    missing = missing_extra()
    if missing:
        print(
            "python -m bench: error: W1's peers need the bench extra "
            f"(missing {', '.join(missing)}): pip install -e '.[dev,bench]'",
            file=sys.stderr,
        )
        raise SystemExit(2)
    print(header("W1 lifecycle"))
    print(
        f"settings: sizes={', '.join(f'{n:,}' for n in sizes)} cases; "
        f"{STEPS_PER_CASE} committed transactions per case "
        f"(open, {', '.join(s[0] for s in STEPS)}); runs={runs}; "
        f"SQLite file in a temp dir, WAL; synchronous {' and '.join(SYNC_MODES)}; "
        "competitors interleaved per run, each in a fresh process; "
        "sagsflow logs at INFO (JSON) to /dev/null"
    )
    print(f"peers: {_versions()}")
    results = measure(sizes, runs)
    labels = [label for _, label, _ in COMPETITORS]
    for n in sizes:
        ratios: dict[str, list[str]] = {label: [] for label in labels[1:]}
        for synchronous in SYNC_MODES:
            print(
                f"\nW1 N={n:,} cases, synchronous={synchronous}: transitions "
                f"(steps)/s, median (min{DASH}max) over {runs} runs"
            )
            ours = statistics.median(results[n, synchronous, "sagsflow"])
            rows = []
            for label in labels:
                rates = results[n, synchronous, label]
                theirs = statistics.median(rates)
                ratio = "" if label == "sagsflow" else f"{ours / theirs:.2f}\u00d7"
                if label != "sagsflow":
                    ratios[label].append(ratio)
                per = f"{1e3 / theirs:.3f}"
                rows.append([label, median_range(rates), per, ratio])
            print(
                table(
                    ["competitor", "steps/s", "ms/step", "sagsflow / it"],
                    rows,
                )
            )
            for label in labels[1:]:
                theirs = statistics.median(results[n, synchronous, label])
                print(f"ratio sagsflow / {label}: {ours / theirs:.2f}x")
        print(f"\nW1 N={n:,} cases: sagsflow / competitor, steps/s (throughput)")
        print(
            table(
                ["competitor", *SYNC_MODES],
                [[label, *ratios[label]] for label in labels[1:]],
            )
        )
