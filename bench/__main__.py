"""`python -m bench [W1 ... W8 | all] [--quick] [--runs N] [--sizes N,N]`.

Runs the benchmarks named (one or several, in the order W1 to W8; `all`, the
default, is every one) and prints their tables, so workloads measured for one
comparison share one machine and one sitting. `--sizes` replaces the chosen
workload's sizes (cases for W1 and W3, the office for W2 and W5, the cases
for W4, the open cases to migrate for W6, the requests per client for W7,
the rounds for W8), so one size can be run on its own; the defaults are the
issue's sizes, and a full `all` takes hours (the naive competitors are slow
by nature). `--quick` is the test suite's smoke run: small sizes and one run
of each (every table and ratio is printed, the figures mean nothing), unless
`--runs` is given.

The workloads are imported after the arguments are checked (but for W2's
sizes, which W2 knows), so most refusals come at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bench.report import header, machine_lines, version_lines

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8")
RUNS = 3  # per size: the median and the min-max range need three at least
QUICK_RUNS = 1


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m bench") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    parser.add_argument(
        "workload",
        nargs="*",
        default=["all"],
        choices=[*WORKLOADS, "all"],
        help="workloads to run (default: all)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one run (smoke)"
    )
    parser.add_argument(
        "--no-naive",
        action="store_true",
        help="leave W2's naive competitors out (minutes a run on a slow disk)",
    )
    parser.add_argument(
        "--runs", type=int, default=None, help=f"runs per size (>= {RUNS})"
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help="comma-separated sizes replacing the workload's own, e.g. 100000",
    )
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < RUNS:
        parser.error(f"--runs must be at least {RUNS} (median and min-max)")
    chosen_workloads = set(args.workload)
    if "all" in chosen_workloads:
        chosen_workloads = set(WORKLOADS)
    if args.sizes is not None and len(chosen_workloads) != 1:
        parser.error("--sizes needs one workload (W1, W2, W3, W4, W5, W6, W7 or W8)")
    workload = " ".join(w for w in WORKLOADS if w in chosen_workloads)
    runs = args.runs or (QUICK_RUNS if args.quick else RUNS)

    from bench import (
        w1_lifecycle,
        w2_sweep,
        w3_memory,
        w4_postgres,
        w5_search,
        w6_migrate,
        w7_api,
        w8_startup,
    )

    overdue = w2_sweep.settings(args.quick)[1]
    if workload == "W2" and args.sizes and min(args.sizes) < overdue:
        parser.error(f"W2 offices hold {overdue:,} overdue cases: sizes >= {overdue:,}")
    print(header("machine"))
    print("\n".join(machine_lines()))
    print(header("packages"))
    print("\n".join(version_lines()))
    print(
        f"\nsettings: workload={workload} quick={args.quick} runs={runs}"
        + (" no-naive" if args.no_naive else "")
        + (f" sizes={','.join(map(str, args.sizes))}" if args.sizes else "")
    )
    chosen = args.sizes
    sizes: Sequence[int]
    if "W1" in chosen_workloads:
        sizes = w1_lifecycle.QUICK_SIZES if args.quick else w1_lifecycle.DEFAULT_SIZES
        w1_lifecycle.run(chosen or sizes, runs)
    if "W2" in chosen_workloads:
        office_sizes = w2_sweep.settings(args.quick)[0]
        w2_sweep.run(chosen or office_sizes, overdue, runs, naive=not args.no_naive)
    if "W3" in chosen_workloads:
        sizes = w3_memory.QUICK_SIZES if args.quick else w3_memory.DEFAULT_SIZES
        w3_memory.run(chosen or sizes, runs)
    if "W4" in chosen_workloads:
        for cases in chosen or (w4_postgres.sizes(args.quick),):
            w4_postgres.run(cases, runs)
    if "W5" in chosen_workloads:
        sizes = w5_search.QUICK_SIZES if args.quick else w5_search.DEFAULT_SIZES
        w5_search.run(chosen or sizes, runs)
    if "W6" in chosen_workloads:
        sizes = w6_migrate.QUICK_SIZES if args.quick else w6_migrate.DEFAULT_SIZES
        w6_migrate.run(chosen or sizes, runs)
    if "W7" in chosen_workloads:
        sizes = w7_api.QUICK_SIZES if args.quick else w7_api.DEFAULT_SIZES
        w7_api.run(chosen or sizes, runs, quick=args.quick)
    if "W8" in chosen_workloads:
        sizes = w8_startup.QUICK_SIZES if args.quick else w8_startup.DEFAULT_SIZES
        w8_startup.run(chosen or sizes, runs)
    return 0


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not whole numbers: {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be whole numbers >= 1")
    return sizes


if __name__ == "__main__":
    raise SystemExit(main())
