"""The W1 lifecycle every competitor drives: its steps, actors and moments.

One case is opened by "bra" and taken through send_inquiry → mark_dispatched
→ receive_reply → close, each step its own committed transaction with an
audit row. The bundled ombudsman-inquiry workflow is the machine; the peers
declare the same states and transitions in their own libraries' terms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

WORKFLOW = "ombudsman-inquiry"
CPH = ZoneInfo("Europe/Copenhagen")
# The founding case's dates (tests/engine/cases/test_engine.py); the clock stands after.
NOW = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)
OPENED_AT = datetime(2024, 10, 3, 10, 0, tzinfo=CPH)
INQUIRY_AT = datetime(2024, 10, 9, 9, 30, tzinfo=CPH)
DISPATCHED_AT = datetime(2024, 10, 9, 15, 0, tzinfo=CPH)
REPLY_AT = datetime(2024, 11, 10, 11, 0, tzinfo=CPH)
CLOSED_AT = datetime(2024, 11, 20, 14, 0, tzinfo=CPH)

# (event, actor, at, data) after the opening; the opening is by "bra".
STEPS: tuple[tuple[str, str, datetime, dict[str, object]], ...] = (
    ("send_inquiry", "jur", INQUIRY_AT, {}),
    ("mark_dispatched", "jur", DISPATCHED_AT, {}),
    ("receive_reply", "jur", REPLY_AT, {}),
    ("close", "bra", CLOSED_AT, {"outcome": "no_further_action"}),
)
STEPS_PER_CASE = 1 + len(STEPS)
# Cases every competitor drives before its clock starts, on the same file:
# one-time work (statements compiled, mappers configured, the workflow and
# calendar loaded, the declaration put on record) is not the steady state
# a service runs in, and is kept out of every competitor's figure alike.
WARM_UP = 10
# State after each step, for the competitors with no engine to ask.
STATES = ("opened", "inquiry_sent", "awaiting_reply", "assessed", "closed")
# The letter the bundled workflow journals with each step after the opening
# (title, direction), for the floor: the same document rows sagsflow writes.
LETTERS: tuple[tuple[str, str] | None, ...] = (
    ("Inquiry letter", "outgoing"),
    None,
    ("Reply from the administration", "incoming"),
    ("Closing letter", "outgoing"),
)


def machine_config() -> dict[str, Any]:
    """The bundled workflow's states and transitions in `transitions`' terms."""
    from engine.workflow.registry import WorkflowRegistry
    from workflows import bundled_paths

    definition = WorkflowRegistry.from_paths(bundled_paths()).get(WORKFLOW)
    return {
        "states": [s.name for s in definition.states],
        "transitions": [
            {"trigger": t.event, "source": list(t.sources), "dest": t.dest}
            for t in definition.transitions
        ],
    }
