"""Smoke test of the benchmarks: `python -m bench all --quick` runs and reports.

`--quick` runs every workload once at small sizes; what is checked is that
every table and ratio line comes out. No timing is asserted: the numbers
depend on the machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres import admin_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_bench_prints_tables_and_ratios() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "all", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in (
        "== machine",
        "== packages",
        "== W1 lifecycle",
        "== W2 sweep",
        "== W3 memory",
        "== W5 search",
        "== W6 migrate",
    ):
        assert heading in out
    assert "W5 search: ms, median" in out
    assert "N=200 citizen's name: sagsflow" in out
    assert "W2 find: 20 overdue" in out
    assert "sagsflow chase: 10x the cases, same overdue:" in out
    assert "| competitor" in out
    assert "transitions/s" in out
    assert "| size" in out
    assert "peak" in out
    assert "ratio sagsflow / floor (sqlite3):" in out
    assert "ratio sagsflow / naive (Machine/case + ORM):" in out
    assert "ratio peak" in out
    assert "== W4 PostgreSQL" in out
    if admin_url() is None:
        assert "skipped: set SAGSFLOW_BENCH_POSTGRES_URL" in out
    else:  # with a server, the duplicates column must say 0 for every worker count
        rows = [
            line for line in out.splitlines() if line.startswith("| ") and "x |" in line
        ]
        assert [row.split("|")[1].strip() for row in rows] == ["1", "2", "4"]
        assert {row.split("|")[4].strip() for row in rows} == {"0"}


@pytest.mark.slow
def test_python_m_bench_runs_one_workload_and_refuses_bad_arguments() -> None:
    """From a checkout only: the product's command line has no `bench`."""

    def bench(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bench", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    ran = bench("W1", "--quick", "--sizes", "5")
    assert ran.returncode == 0, ran.stderr
    assert "== W1 lifecycle" in ran.stdout
    assert "sizes=5" in ran.stdout
    assert "== W2 sweep" not in ran.stdout
    for args, message in (
        (("W9",), "invalid choice: 'W9'"),
        (("W1", "--runs", "2"), "--runs must be at least 3"),
        (("all", "--sizes", "5"), "--sizes needs one workload"),
        (("W1", "--sizes", "0"), "sizes must be whole numbers >= 1"),
        (("W2", "--quick", "--sizes", "10"), "W2 offices hold 20 overdue cases"),
    ):
        refused = bench(*args)
        assert refused.returncode == 2, args
        assert refused.stderr.splitlines()[-1].startswith("python -m bench: error: ")
        assert message in refused.stderr
        assert "Traceback" not in refused.stderr
    sagsflow = Path(sys.executable).with_name("sagsflow")
    gone = subprocess.run(
        [str(sagsflow), "bench"], capture_output=True, text=True, check=False
    )
    assert gone.returncode == 2
    assert "No such command 'bench'" in gone.stderr
