"""W3 memory: peak RSS of a process driving N cases through their lifecycle.

Each size runs in its own subprocess (`python -m bench.w3_memory N`), which
reads its own VmHWM from /proc/self/status: a child's `ru_maxrss` would
inherit the parent's peak. The child also reports VmHWM after setup (engine,
schema, users) so the cost of the cases themselves shows. SQLite file in a temp
dir, WAL, `synchronous=NORMAL` (the durability mode does not change memory).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.report import DASH, header, median_range, table

DEFAULT_SIZES = (1_000, 10_000)
QUICK_SIZES = (50, 200)


def vm_hwm_kib() -> int:
    with open("/proc/self/status", encoding="utf-8") as handle:
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


def run(sizes: Sequence[int], runs: int) -> None:
    print(header("W3 memory"))
    print(
        f"settings: sizes={', '.join(f'{n:,}' for n in sizes)} cases through the "
        f"full lifecycle; one subprocess per size and run; runs={runs}, sizes "
        "interleaved; VmHWM from /proc/self/status; SQLite WAL, synchronous=NORMAL"
    )
    peaks: dict[int, list[float]] = {n: [] for n in sizes}
    setups: dict[int, list[float]] = {n: [] for n in sizes}
    for r in range(runs):
        for n in sizes:
            setup, peak = measure_one(n)
            setups[n].append(setup / 1024)
            peaks[n].append(peak / 1024)
            print(
                f"  run {r + 1}/{runs} N={n:,}: after setup {setup / 1024:.1f} MiB, "
                f"peak {peak / 1024:.1f} MiB",
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
    small, large = sizes[0], sizes[-1]
    diff = statistics.median(peaks[large]) - statistics.median(peaks[small])
    per_case = diff * 1024 / (large - small)
    print(
        f"ratio peak {large:,} / {small:,} cases: "
        f"{statistics.median(peaks[large]) / statistics.median(peaks[small]):.2f}x; "
        f"growth {diff:+.1f} MiB for {large - small:,} more cases "
        f"({per_case:+.2f} KiB per case)"
    )


if __name__ == "__main__":
    child(int(sys.argv[1]))
