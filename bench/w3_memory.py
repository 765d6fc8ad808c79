"""W3 memory: peak RSS of a process driving N cases through their lifecycle,
and of `sagsflow serve` sweeping an office of N cases.

Lifecycle: each size runs in its own subprocess (`python -m bench.w3_memory
N`), which reads its own VmHWM from /proc/self/status: a child's `ru_maxrss`
would inherit the parent's peak. The child also reports VmHWM after setup
(engine, schema, users) so the cost of the cases themselves shows. SQLite file
in a temp dir, WAL, `synchronous=NORMAL` (the durability mode does not change
memory).

Serve: the W2 office of N cases, 1% of them overdue, swept by a real
`sagsflow serve --no-api` process; its VmHWM is read from /proc/PID/status
when it logs its first `sweep_finished`, then it is stopped with SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import DASH, header, median_range, table

DEFAULT_SIZES = (10_000, 100_000)
QUICK_SIZES = (50, 200)


def vm_hwm_kib(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(n: int) -> None:
    """Run in the subprocess: print 'setup_kib peak_kib'."""
    from bench.w1_lifecycle import drive_sagsflow, make_sagsflow, quiet_logging

    quiet_logging()
    with tempfile.TemporaryDirectory(prefix="sagsflow-bench-") as tmp:
        engine, db = make_sagsflow(f"sqlite:///{Path(tmp) / 'w3.db'}", "NORMAL")
        drive_sagsflow(engine, 1)  # warm every code path before the baseline
        setup = vm_hwm_kib()
        drive_sagsflow(engine, n)
        peak = vm_hwm_kib()
        db.dispose()
    print(setup, peak)


def measure_one(n: int) -> tuple[int, int]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.w3_memory", str(n)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def serve_office(path: Path, n: int) -> int:
    """The W2 office of `n` cases, 1% overdue now; the others due next year."""
    from bench.w2_sweep import LATER, build_office

    overdue = max(1, n // 100)
    build_office(path, n, overdue)
    next_year = (datetime.now(UTC).date() + timedelta(days=365)).isoformat()
    with sqlite3.connect(path) as conn:  # serve judges by the wall clock
        conn.execute(
            "UPDATE wf_case SET due = ?, chase_due = ? WHERE chase_due = ?",
            (next_year, next_year, LATER.isoformat()),
        )
    conn.close()
    return overdue


def serve_once(n: int) -> tuple[int, int]:
    """(cases chased, VmHWM KiB) of `sagsflow serve` at its first sweep's end."""
    sagsflow = Path(sys.executable).with_name("sagsflow")
    with tempfile.TemporaryDirectory(prefix="sagsflow-w3-serve-") as tmp:
        path = Path(tmp) / "office.db"
        overdue = serve_office(path, n)
        env = {
            **os.environ,
            "SAGSFLOW_DATABASE_URL": f"sqlite:///{path}",
            "SAGSFLOW_LOG_FORMAT": "json",
            "SAGSFLOW_LOG_LEVEL": "INFO",
            "SAGSFLOW_QUIET_HOURS": "none",
            "SAGSFLOW_SWEEP_CLOSED_DAYS": "1",
        }
        proc = subprocess.Popen(
            [str(sagsflow), "serve", "--no-api", "--interval", "3600"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "sweep_finished" and event["chased"] > 0:
                    peak = vm_hwm_kib(proc.pid)
                    if event["chased"] != overdue:
                        raise RuntimeError(
                            f"serve chased {event['chased']}, expected {overdue}"
                        )
                    return overdue, peak
            raise RuntimeError(f"sagsflow serve ended first: {proc.wait()}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=120)


def run(sizes: Sequence[int], runs: int) -> None:
    print(header("W3 memory"))
    print(
        f"settings: sizes={', '.join(f'{n:,}' for n in sizes)} cases through the "
        f"full lifecycle; one subprocess per size and run; runs={runs}, sizes "
        "interleaved; VmHWM from /proc/self/status; SQLite WAL, synchronous=NORMAL"
    )
    peaks: dict[int, list[float]] = {n: [] for n in sizes}
    setups: dict[int, list[float]] = {n: [] for n in sizes}
    serves: dict[int, list[float]] = {n: [] for n in sizes}
    for r in range(runs):
        for n in sizes:
            setup, peak = measure_one(n)
            setups[n].append(setup / 1024)
            peaks[n].append(peak / 1024)
            chased, served = serve_once(n)
            serves[n].append(served / 1024)
            print(
                f"  run {r + 1}/{runs} N={n:,}: after setup {setup / 1024:.1f} MiB, "
                f"peak {peak / 1024:.1f} MiB; serve sweeping {chased:,} overdue of "
                f"{n:,}: peak {served / 1024:.1f} MiB",
                flush=True,
            )
    print(f"\nW3 peak RSS (VmHWM), MiB, median (min{DASH}max) over {runs} runs")
    rows = []
    for n in sizes:
        growth = [p - s for p, s in zip(peaks[n], setups[n], strict=True)]
        rows.append(
            [
                f"{n:,} cases",
                median_range(setups[n], "{:.1f}"),
                median_range(peaks[n], "{:.1f}"),
                median_range(growth, "{:.1f}"),
            ]
        )
    print(table(["size", "after setup", "peak", "peak - setup"], rows))
    print(
        f"\nW3 `sagsflow serve` (no API) at the end of its first sweep, 1% of the "
        f"cases overdue: peak RSS (VmHWM), MiB, median (min{DASH}max) over {runs} runs"
    )
    print(
        table(
            ["office", "serve peak"],
            [[f"{n:,} cases", median_range(serves[n], "{:.1f}")] for n in sizes],
        )
    )
    small, large = sizes[0], sizes[-1]
    diff = statistics.median(peaks[large]) - statistics.median(peaks[small])
    per_case = diff * 1024 / (large - small)
    print(
        f"ratio peak {large:,} / {small:,} cases: "
        f"{statistics.median(peaks[large]) / statistics.median(peaks[small]):.2f}x; "
        f"growth {diff:+.1f} MiB for {large - small:,} more cases "
        f"({per_case:+.2f} KiB per case); serve: "
        f"{statistics.median(serves[large]) / statistics.median(serves[small]):.2f}x"
    )


if __name__ == "__main__":
    child(int(sys.argv[1]))
