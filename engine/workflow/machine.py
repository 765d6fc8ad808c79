"""The adapter over `transitions`: the only module that imports it.

One model-less `transitions.Machine` per workflow version, built once and shared
by every case and thread (docs/libraries.md §1.2: no `add_model`, no machine per case;
`auto_transitions=False` so no `to_<state>` back door). The case's stored state is
the only truth: a throwaway token carries it through the trigger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from transitions import Machine, MachineError

from engine.exceptions import TransitionNotAllowedError
from engine.workflow.definition import WorkflowDefinition

# transitions logs two INFO lines per trigger; ours say the same once, per step.
logging.getLogger("transitions").setLevel(logging.WARNING)


@dataclass(slots=True)
class _Token:
    state: str


class WorkflowMachine:
    """Answers "from state S, event E leads to state D" for one definition."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._states = frozenset(s.name for s in definition.states)
        self._machine = Machine(
            model=None,
            states=[s.name for s in definition.states],
            transitions=[
                {"trigger": t.event, "source": list(t.sources), "dest": t.dest}
                for t in definition.transitions
            ],
            initial=None,
            auto_transitions=False,
            send_event=True,
            queued=False,
            ignore_invalid_triggers=False,
        )
        # The machine has no conditions or callbacks, so an answer, once given,
        # holds for the machine's life; asking transitions again cost a
        # transition about a tenth of its time (bench W1).
        self._answers: dict[tuple[str, str], str] = {}

    def next_state(self, state: str, event: str, *, case_number: str = "") -> str:
        """The state after `event` from `state`.

        Raises:
            TransitionNotAllowedError: the event is unknown or not allowed in
                `state`; the error lists the events that are.
        """
        known = self._answers.get((state, event))
        if known is not None:
            return known
        trigger = self._machine.events.get(event)
        token = _Token(state)
        if state not in self._states:  # a stored state this version never declared
            raise TransitionNotAllowedError(case_number, state, event, ())
        if trigger is None:
            raise TransitionNotAllowedError(
                case_number, state, event, self.allowed(state), unknown=True
            )
        try:
            trigger.trigger(token)
        except MachineError:
            raise TransitionNotAllowedError(
                case_number, state, event, self.allowed(state)
            ) from None
        self._answers[state, event] = token.state
        return token.state

    def allowed(self, state: str) -> list[str]:
        """The events allowed from `state`, in declaration order."""
        return list(self._machine.get_triggers(state))
