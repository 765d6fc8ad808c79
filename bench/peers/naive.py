"""P1, the naive way: a `transitions.Machine` per case, SQLModel ORM per step.

What the transitions README leads a developer to: a `Machine` subclass per
case object (`model=self` style, auto transitions on), built when a request
loads the case, over the shared ORM step loop (`bench.peers.orm`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transitions import Machine

from bench.peers.lifecycle import machine_config
from bench.peers.orm import PeerCase, run_peer


class NaiveCase(Machine):
    """The README's `model=self` style: the case object IS the machine."""

    def __init__(self, row: PeerCase, config: dict[str, Any]) -> None:
        self.row = row
        Machine.__init__(
            self, initial=row.state or "opened", auto_transitions=True, **config
        )


class MachinePerCase:
    """A new machine for every request, started in the row's state."""

    def __init__(self) -> None:
        self.config = machine_config()

    def open(self, row: PeerCase) -> None:
        row.state = NaiveCase(row, self.config).state

    def fire(self, row: PeerCase, name: str) -> None:
        case = NaiveCase(row, self.config)
        getattr(case, name)()
        row.state = case.state


def run(workdir: Path, n: int, synchronous: str) -> float:
    return run_peer(MachinePerCase(), workdir / "naive.db", n, synchronous)
