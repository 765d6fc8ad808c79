"""`python -m bench.peers KEY N SYNCHRONOUS WORKDIR`: one W1 competitor, timed.

Imports only the named competitor's module, runs it on a fresh SQLite file
in WORKDIR and prints the seconds its steps took (setup excluded) as the
last line of its output. W1 starts it once per competitor per run.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.peers import COMPETITORS


def main(argv: Sequence[str]) -> int:
    modules = {key: module for key, _, module in COMPETITORS}
    if (
        len(argv) != 4
        or argv[0] not in modules
        or not argv[1].isdigit()
        or argv[2] not in ("FULL", "NORMAL")
    ):
        print(
            "python -m bench.peers: error: usage: KEY N FULL|NORMAL WORKDIR, "
            f"KEY one of {', '.join(modules)}",
            file=sys.stderr,
        )
        return 2
    key, n, synchronous, workdir = argv
    module = importlib.import_module(modules[key])
    elapsed = module.run(Path(workdir), int(n), synchronous)
    print(f"{elapsed!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
