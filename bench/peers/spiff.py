"""P4: SpiffWorkflow 3.x, its workflow serialized into the row at every step.

SpiffWorkflow runs task graphs, not event-driven state machines: the
lifecycle is a `WorkflowSpec` built in Python (no BPMN), its Start task
followed by four manual `Simple` tasks in sequence, one per step after the
opening. Firing an event runs the ready task of that name and lets the
workflow advance to the next manual task. As a Spiff user persists a
workflow, each request rebuilds it from the row with Spiff's
`JSONSerializer` (which stores the spec with the workflow, as it needs it to
deserialize) and writes it back serialized, with the state the completed
task stands for in the row's `state` column. The step loop is the shared ORM
one (`bench.peers.orm`). The workflow's other events (reject, withdraw,
reopen, notes) are not modelled: this lifecycle never fires them.
"""

from __future__ import annotations

from pathlib import Path

from SpiffWorkflow.serializer.json import (  # type: ignore[import-untyped]
    JSONSerializer,
)
from SpiffWorkflow.specs.Simple import Simple  # type: ignore[import-untyped]
from SpiffWorkflow.specs.WorkflowSpec import (  # type: ignore[import-untyped]
    WorkflowSpec,
)
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]
from SpiffWorkflow.workflow import Workflow  # type: ignore[import-untyped]

from bench.peers.lifecycle import STATES, STEPS, WORKFLOW
from bench.peers.orm import PeerCase, run_peer

# The state a case is in once the named task has completed.
STATE_AFTER = dict(zip(("Start", *(name for name, *_ in STEPS)), STATES, strict=True))


def lifecycle_spec() -> WorkflowSpec:
    spec = WorkflowSpec(WORKFLOW, addstart=True)
    previous = spec.start
    for name, *_ in STEPS:
        task = Simple(spec, name, manual=True)
        previous.connect(task)
        previous = task
    return spec


class SerializedWorkflow:
    """The case's Spiff workflow, deserialized and serialized per request."""

    def __init__(self) -> None:
        self.spec = lifecycle_spec()
        self.serializer = JSONSerializer()

    def open(self, row: PeerCase) -> None:
        workflow = Workflow(self.spec)
        workflow.run_all(halt_on_manual=True)
        self._store(row, workflow)

    def fire(self, row: PeerCase, name: str) -> None:
        workflow = self.serializer.deserialize_workflow(row.workflow)
        ready = [
            task
            for task in workflow.get_tasks(state=TaskState.READY)
            if task.task_spec.name == name
        ]
        if not ready:
            raise ValueError(f"{name} is not ready in state {row.state}")
        ready[0].run()
        workflow.run_all(halt_on_manual=True)
        self._store(row, workflow)

    def _store(self, row: PeerCase, workflow: Workflow) -> None:
        row.workflow = self.serializer.serialize_workflow(workflow)
        row.state = STATE_AFTER[workflow.last_task.task_spec.name]


def run(workdir: Path, n: int, synchronous: str) -> float:
    return run_peer(SerializedWorkflow(), workdir / "spiff.db", n, synchronous)
