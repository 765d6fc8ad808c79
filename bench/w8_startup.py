"""W8 start-up: how long a command takes from the shell, next to importing
SQLAlchemy alone.

Each command is a fresh process, as a person at the keyboard starts it:
`sagsflow --help`, `sagsflow case show NUMBER --json` and `sagsflow case list
--json` on a small SQLite office (the founding case imported, a handful of
cases opened), and, in the same run, `python -c "import sqlalchemy"`, the
yardstick (sagsflow cannot start faster than its database layer imports).
Interleaved: each round runs every command once, in turn; REPEATS rounds a run.
The wall clock of each process (start to exit) is timed; the table gives the
median and the ratio to the yardstick's median. Targets (#24): `case show
--json` at most 1.5x and `--help` at most 0.5x the yardstick.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.report import DASH, header, median_range, table

SAGSFLOW = Path(sys.executable).parent / "sagsflow"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "founding-case.jsonl"
FOUNDING = "2024-0283489"
DEFAULT_SIZES = (20,)  # rounds a run
QUICK_SIZES = (2,)
OPENED = 5  # cases opened besides the founding case


def _environ(url: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith("SAGSFLOW_")}
    return kept | {"SAGSFLOW_DATABASE_URL": url, "SAGSFLOW_LANGUAGE": "en"}


def _office(folder: Path) -> str:
    url = f"sqlite:///{folder / 'office.db'}"
    env = _environ(url)

    def cli(*argv: str) -> None:
        subprocess.run(
            [str(SAGSFLOW), *argv], env=env, check=True, capture_output=True, text=True
        )

    cli("init")
    cli("user", "add", "bra", "--role", "advisor")
    cli("user", "add", "jur", "--role", "caseworker", "--actor", "bra")
    cli("case", "import", str(EXAMPLE))
    for n in range(OPENED):
        cli("case", "open", "ombudsman-inquiry", "--actor", "jur", "--title", f"K{n}")
    return url


COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ('python -c "import sqlalchemy"', (sys.executable, "-c", "import sqlalchemy")),
    ("sagsflow --help", (str(SAGSFLOW), "--help")),
    ("sagsflow case show --json", (str(SAGSFLOW), "case", "show", FOUNDING, "--json")),
    ("sagsflow case list --json", (str(SAGSFLOW), "case", "list", "--json")),
)


def _timed(argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(
            f"{argv[-3:]} exited {done.returncode}: {done.stderr[-500:]!r}"
        )
    return took


def run(sizes: Sequence[int], runs: int) -> None:
    print(header("W8 start-up"))
    rounds = sizes[0]
    with tempfile.TemporaryDirectory(prefix="sagsflow-w8-") as tmp:
        folder = Path(tmp)
        env = _environ(_office(folder))
        times: dict[str, list[float]] = {name: [] for name, _ in COMMANDS}
        for r in range(runs):
            for _ in range(rounds):
                for name, argv in COMMANDS:
                    times[name].append(_timed(argv, env, folder))
            print(f"  run {r + 1}/{runs}: {rounds} rounds", flush=True)
    base = statistics.median(times[COMMANDS[0][0]])
    rows = [
        (
            name,
            median_range([t * 1000 for t in times[name]], "{:,.0f}"),
            # a times sign, not x: the quick bench test finds W4's rows by "x |"
            f"{statistics.median(times[name]) / base:.2f}\u00d7",
        )
        for name, _ in COMMANDS
    ]
    print(f"\nW8 start-up: ms per process, median (min{DASH}max) of {runs} x {rounds}")
    print(table(("command", "ms", "/ import sqlalchemy"), rows))
    for name, _ in COMMANDS[1:]:
        ratio = statistics.median(times[name]) / base
        print(f"ratio {name} / import sqlalchemy: {ratio:.2f}x")
