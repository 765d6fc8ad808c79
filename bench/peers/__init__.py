"""W1's competitors, one module each, every one run in a fresh process.

`COMPETITORS` names them in the order W1 interleaves them, each with the
module whose `run(workdir, n, synchronous) -> float` drives n cases through
the lifecycle (`bench.peers.lifecycle`) and returns the seconds the steps
took. `python -m bench.peers KEY N SYNCHRONOUS WORKDIR` runs one of them and
prints those seconds (`bench.peers.__main__`): W1 starts one such process per
competitor per run, so no competitor's imports, caches or heap help or
hinder another's.

* sagsflow: the real `CaseEngine` over `SqlCaseStore` (`sagsflow`).
* floor: plain `sqlite3`, sagsflow's writes without an engine (`floor`).
* P1 naive: a `transitions.Machine` per case, SQLModel ORM (`naive`).
* P2: one shared `transitions.Machine`, a model per request (`shared_machine`).
* P3: python-statemachine bound to the row (`pystatemachine`).
* P4: SpiffWorkflow, its workflow serialized into the row (`spiff`).

P1-P4 share the tables and the ORM step loop (`orm`); P3 and P4 need the
`bench` extra (python-statemachine, SpiffWorkflow).
"""

from __future__ import annotations

# (key, label, module); the label is what the tables print.
COMPETITORS: tuple[tuple[str, str, str], ...] = (
    ("sagsflow", "sagsflow", "bench.peers.sagsflow"),
    ("floor", "floor (sqlite3)", "bench.peers.floor"),
    ("naive", "P1 naive (Machine/case + ORM)", "bench.peers.naive"),
    ("shared", "P2 transitions (shared Machine + ORM)", "bench.peers.shared_machine"),
    ("statemachine", "P3 python-statemachine + ORM", "bench.peers.pystatemachine"),
    ("spiff", "P4 SpiffWorkflow + ORM", "bench.peers.spiff"),
)
# The distributions the bench extra brings, by the module each is imported as.
EXTRA = (("statemachine", "python-statemachine"), ("SpiffWorkflow", "SpiffWorkflow"))
