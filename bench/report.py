"""Small helpers for the benchmark output: machine facts, versions, tables."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

DASH = "\u2013"  # en dash, for ranges: "median (min-max)" in print


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    kib = int(line.split()[1])
                    return f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_lines() -> list[str]:
    return [
        f"CPU:     {_cpu_model()}",
        f"Cores:   {os.cpu_count()}",
        f"RAM:     {_ram()}",
        f"Python:  {platform.python_version()} ({platform.python_implementation()})",
        f"SQLite:  {sqlite3.sqlite_version}",
        f"OS:      {platform.platform()}",
    ]


def version_lines() -> list[str]:
    lines = []
    for name in ("sagsflow", "transitions", "sqlmodel", "sqlalchemy", "structlog"):
        try:
            lines.append(f"{name:<12} {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name:<12} (not installed)")
    return lines


def header(title: str) -> str:
    return f"\n== {title} " + "=" * max(0, 70 - len(title))


def median_range(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    """'median (min-max)' of the values, with an en dash."""
    med = statistics.median(values)
    return (
        f"{fmt.format(med)} ({fmt.format(min(values))}{DASH}{fmt.format(max(values))})"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table with right-aligned columns after the first."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = [cells[0].ljust(widths[0])]
        out += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
