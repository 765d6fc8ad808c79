"""Smoke test of the benchmarks: `python -m bench all --quick` runs and reports.

`--quick` runs every workload once at small sizes; what is checked is that
every table and ratio line comes out. No timing is asserted: the numbers
depend on the machine.
"""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from bench import w1_lifecycle
from bench.peers.lifecycle import STATES, STEPS, WARM_UP
from tests.postgres import admin_url

ROOT = Path(__file__).resolve().parent.parent
PEERS = (
    "floor (sqlite3)",
    "P1 naive (Machine/case + ORM)",
    "P2 transitions (shared Machine + ORM)",
    "P3 python-statemachine + ORM",
    "P4 SpiffWorkflow + ORM",
)


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
        "== W7 api",
        "== W8 start-up",
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
    for label in PEERS:  # W1's peers: a row each and a ratio at FULL and NORMAL
        assert out.count(f"| {label} ") == 3, label
        assert out.count(f"ratio sagsflow / {label}: ") == 2, label
    assert "W1 N=50 cases: sagsflow / competitor, steps/s (throughput)" in out
    assert "peers: transitions " in out
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
def test_python_m_bench_runs_the_workloads_named_and_refuses_bad_arguments() -> None:
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
    two = bench("W5", "W1", "--quick")  # several, in one sitting, W1 first
    assert two.returncode == 0, two.stderr
    assert "settings: workload=W1 W5 quick=True" in two.stdout
    assert two.stdout.index("== W1 lifecycle") < two.stdout.index("== W5 search")
    assert "== W2 sweep" not in two.stdout
    for args, message in (
        (("W9",), "invalid choice: 'W9'"),
        (("W1", "--runs", "2"), "--runs must be at least 3"),
        (("all", "--sizes", "5"), "--sizes needs one workload"),
        (("W1", "W5", "--sizes", "5"), "--sizes needs one workload"),
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


@pytest.mark.parametrize(
    "module", ["naive", "shared_machine", "pystatemachine", "spiff"]
)
def test_w1_peer_drives_every_case_through_the_lifecycle(
    module: str, tmp_path: Path
) -> None:
    """Each ORM peer's rows: every case closed, one audit row per step, in order
    (the warm-up's cases first, on the same file, then the timed ones)."""
    peer = importlib.import_module(f"bench.peers.{module}")
    seconds = peer.run(tmp_path, 3, "NORMAL")
    total = WARM_UP + 3
    assert seconds > 0
    (db,) = tmp_path.glob("*.db")
    with closing(sqlite3.connect(db)) as conn:
        cases = conn.execute("SELECT state, version, outcome FROM peer_case").fetchall()
        audit = conn.execute(
            "SELECT case_id, seq, event, from_state, to_state FROM peer_audit"
            " ORDER BY case_id, seq"
        ).fetchall()
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
    assert cases == [("closed", 5, "no_further_action")] * total
    events = ["open", *(name for name, *_ in STEPS)]
    assert audit == [
        (case, seq, event, None if seq == 1 else STATES[seq - 2], STATES[seq - 1])
        for case in range(1, total + 1)
        for seq, event in enumerate(events, start=1)
    ]


@pytest.mark.slow
def test_w1_without_the_bench_extra_says_to_install_it() -> None:
    hide = (
        "import sys; sys.modules['statemachine'] = None; "
        "sys.modules['SpiffWorkflow'] = None; from bench.__main__ import main; "
        "raise SystemExit(main(['W1', '--quick']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "python -m bench: error: W1's peers need the bench extra (missing "
        "python-statemachine, SpiffWorkflow): pip install -e '.[dev,bench]'"
    ]
    assert "== W1 lifecycle" not in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("nobody", "1", "NORMAL"),
        ("spiff", "many", "NORMAL"),
        ("spiff", "1", "OFF"),
        ("spiff", "1"),  # no setting: the directory alone is too few
    ],
)
def test_one_w1_competitor_refuses_bad_arguments(
    args: tuple[str, ...], tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.peers", *args, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "python -m bench.peers: error: usage: KEY N FULL|NORMAL WORKDIR, KEY one"
        " of sagsflow, floor, naive, shared, statemachine, spiff"
    ]
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_w1_stops_with_one_line_when_a_competitor_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        w1_lifecycle.run_one("nobody", 1, "NORMAL")
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "python -m bench: error: W1 nobody failed: python -m bench.peers: error: "
        "usage: KEY N FULL|NORMAL WORKDIR, KEY one of sagsflow, floor, naive, "
        "shared, statemachine, spiff"
    ]
