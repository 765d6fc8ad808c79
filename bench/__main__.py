"""`python -m bench [W1|W2|W3|W4|all] [--quick] [--runs N]`: run the benchmarks."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bench import w1_lifecycle, w2_sweep, w3_memory, w4_postgres
from bench.report import header, machine_lines, version_lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "workload", nargs="?", default="all", choices=["W1", "W2", "W3", "W4", "all"]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (>= 3)")
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("--runs must be at least 3 (median and min-max)")
    print(header("machine"))
    print("\n".join(machine_lines()))
    print(header("packages"))
    print("\n".join(version_lines()))
    print(f"\nsettings: workload={args.workload} quick={args.quick} runs={args.runs}")
    if args.workload in ("W1", "all"):
        sizes = w1_lifecycle.QUICK_SIZES if args.quick else w1_lifecycle.DEFAULT_SIZES
        w1_lifecycle.run(sizes, args.runs)
    if args.workload in ("W2", "all"):
        office_sizes, overdue = w2_sweep.settings(args.quick)
        w2_sweep.run(office_sizes, overdue, args.runs)
    if args.workload in ("W3", "all"):
        sizes = w3_memory.QUICK_SIZES if args.quick else w3_memory.DEFAULT_SIZES
        w3_memory.run(sizes, args.runs)
    if args.workload in ("W4", "all"):
        w4_postgres.run(w4_postgres.sizes(args.quick), args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
