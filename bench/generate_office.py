"""Time `generate_office`: `python -m bench.generate_office [--cases N] [--db URL]`.

Makes a synthetic office (the bulk path, or `--engine` for the per-transition
path) and prints the wall and CPU time, the peak memory and the rows written.
The database must not exist yet (or be empty); `--db` defaults to a new file
in a temporary folder, removed afterwards unless `--keep`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from demo.office import generate_office
from engine.logs import configure_logging
from service.settings import Settings

TABLES = ("wf_case", "audit_entry", "document", "chase", "outbox")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate_office")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=None)
    parser.add_argument("--db", help="a database URL (default: a temporary file)")
    parser.add_argument("--engine", action="store_true", help="per-transition path")
    parser.add_argument("--workers", type=int, default=1, help="processes (bulk)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary file")
    args = parser.parse_args(argv)
    configure_logging(json=False, level="WARNING")
    folder: Path | None = None
    url = args.db
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="sagsflow-office-"))
        url = f"sqlite:///{folder / 'office.db'}"
    days = 0

    def progress(_day: date) -> None:
        nonlocal days
        days += 1
        if days % 30 == 0:
            print(f"  day {days}: {time.perf_counter() - started:7.1f} s", flush=True)

    print(
        f"generating {args.cases:,} cases (seed {args.seed}, {args.workers} "
        f"worker{'s' if args.workers > 1 else ''}) into {url}",
        flush=True,
    )
    started = time.perf_counter()
    cpu = time.process_time()
    office = generate_office(
        url,
        cases=args.cases,
        seed=args.seed,
        start=args.start,
        bulk=not args.engine,
        workers=args.workers,
        settings=Settings(),
        progress=progress,
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += children.ru_utime + children.ru_stime
    peak = max(peak, children.ru_maxrss / 1024)
    print(f"done: {wall:.0f} s wall, {cpu:.0f} s CPU, peak {peak:,.0f} MiB a process")
    print(
        f"  {office.summary.total:,} cases, {office.summary.open:,} open, "
        f"{office.summary.overdue:,} overdue; {office.outcome.steps:,} steps, "
        f"{office.outcome.chased:,} chases"
    )
    db = create_engine(url)
    with db.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            print(f"  {table:12} {rows:>12,} rows")
    db.dispose()
    if folder is None:
        return 0
    path = folder / "office.db"
    if path.exists():
        print(f"  file {path.stat().st_size / 2**20:,.0f} MiB")
        if not args.keep:
            for leftover in folder.iterdir():
                leftover.unlink()
            folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
