# python-statemachine 3.2 leaves `TransitionList.itself` without annotations.
# mypy: disable-error-code="no-untyped-call"
"""P3: python-statemachine 3.x, one machine per request bound to the row.

The workflow is a `StateMachine` class declared in Python (the bundled
ombudsman-inquiry workflow's states and transitions, each event as in the
YAML). Each request binds a new instance to the loaded SQLModel row with the
library's `model=` and `state_field=` feature, so the machine reads the
state from the row and writes the new one back; the step loop is the shared
ORM one (`bench.peers.orm`).
"""

from __future__ import annotations

from pathlib import Path

from statemachine import State, StateMachine

from bench.peers.orm import PeerCase, run_peer


class Inquiry(StateMachine):
    """The ombudsman-inquiry workflow in python-statemachine's terms."""

    opened = State(initial=True)
    inquiry_sent = State()
    awaiting_reply = State()
    assessed = State()
    closed = State()

    send_inquiry = opened.to(inquiry_sent)
    mark_dispatched = inquiry_sent.to(awaiting_reply)
    extend_deadline = awaiting_reply.to.itself()
    receive_reply = inquiry_sent.to(assessed) | awaiting_reply.to(assessed)
    close = assessed.to(closed)
    reject = opened.to(closed)
    withdraw = (
        opened.to(closed)
        | inquiry_sent.to(closed)
        | awaiting_reply.to(closed)
        | assessed.to(closed)
    )
    reopen = closed.to(opened)
    note = (
        opened.to.itself(internal=True)
        | inquiry_sent.to.itself(internal=True)
        | awaiting_reply.to.itself(internal=True)
        | assessed.to.itself(internal=True)
        | closed.to.itself(internal=True)
    )


class BoundMachine:
    """A machine per request, its state the row's `state` column."""

    def open(self, row: PeerCase) -> None:
        row.state = str(Inquiry().current_state_value)

    def fire(self, row: PeerCase, name: str) -> None:
        Inquiry(model=row, state_field="state").send(name)


def run(workdir: Path, n: int, synchronous: str) -> float:
    return run_peer(BoundMachine(), workdir / "pystatemachine.db", n, synchronous)
