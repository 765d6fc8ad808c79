"""P2: ONE shared `transitions.Machine`, a model added per request, ORM per step.

The transitions README's pattern for many objects: a machine built once with
`model=None`, and each request's model added with `add_model(model,
initial=...)` and taken off with `remove_model` when done, so the machine
holds no reference to it. The model is a plain object carrying the state: a
SQLModel row cannot be one, as transitions sets its trigger methods on the
model and a SQLModel table model refuses attributes that are not fields. The
state is copied from the row into the model and back; the step loop is the
shared ORM one (`bench.peers.orm`).
"""

from __future__ import annotations

from pathlib import Path

from transitions import Machine

from bench.peers.lifecycle import machine_config
from bench.peers.orm import PeerCase, run_peer


class CaseModel:
    """What transitions drives: the case's state, for one request."""

    state: str


class SharedMachine:
    """One machine for the process; one model per request, removed after."""

    def __init__(self) -> None:
        self.machine = Machine(
            model=None, initial="opened", auto_transitions=False, **machine_config()
        )

    def open(self, row: PeerCase) -> None:
        model = CaseModel()
        self.machine.add_model(model)
        row.state = model.state
        self.machine.remove_model(model)

    def fire(self, row: PeerCase, name: str) -> None:
        model = CaseModel()
        self.machine.add_model(model, initial=row.state)
        try:
            model.trigger(name)  # type: ignore[attr-defined]
            row.state = model.state
        finally:
            self.machine.remove_model(model)


def run(workdir: Path, n: int, synchronous: str) -> float:
    return run_peer(SharedMachine(), workdir / "shared_machine.db", n, synchronous)
