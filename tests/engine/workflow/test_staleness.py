"""A state's `stale_after`: read, and refused with one clear problem when wrong.

Each bad file starts from `tests.engine.workflow.test_definition.BASE` (whose
`start` has no deadline, `waiting` has one and `done` is final) and changes one
thing; the problem names the file, the line and the place.
"""

from __future__ import annotations

import pytest

from engine.explain.diagram.text import state_note
from engine.explain.diagram.words import DA
from engine.workflow.definition import Duration, Unit
from tests.engine.workflow.test_definition import (
    SOURCE,
    line_of,
    parse,
    problems_of,
    variant,
)
from workflows import bundled_paths

START = "  start:\n    kind: initial\n"
WAITING = "    deadline: {within: 5 working days}\n"
DONE = "  done:\n    kind: final\n"
HINT = "write {after: N working days}, e.g. {after: 10 working days}"
DURATION_HINT = (
    "write 'N working days', 'N calendar days', 'N weeks', 'N months' or 'N years'"
)


def on_start(value: str) -> str:
    """`BASE` with `stale_after: VALUE` on its `start` state (no deadline)."""
    return variant((START, f"{START}    stale_after: {value}\n"))


def test_a_state_without_a_deadline_may_declare_stale_after() -> None:
    definition = parse(on_start("{after: 10 working days}"))

    assert definition.state("start").stale_after == Duration(
        amount=10, unit=Unit.WORKING_DAYS
    )
    assert definition.state("waiting").stale_after is None
    assert definition.state("done").stale_after is None


def test_one_working_day_is_enough() -> None:
    definition = parse(on_start("{after: 1 working day}"))

    assert definition.state("start").stale_after == Duration(
        amount=1, unit=Unit.WORKING_DAYS
    )


# Each row: the file, the text on the reported line, the place, the message.
BAD = [
    pytest.param(
        variant((WAITING, f"{WAITING}    stale_after: {{after: 3 working days}}\n")),
        "stale_after: {after: 3",
        "states.waiting.stale_after",
        "a state with a deadline is overdue when its deadline passes; "
        "'stale_after' is for a state without one",
        id="on-a-state-with-a-deadline",
    ),
    pytest.param(
        variant((DONE, f"{DONE}    stale_after: {{after: 3 working days}}\n")),
        "stale_after: {after: 3",
        "states.done.stale_after",
        "a final state waits for nothing, so it never goes stale",
        id="on-a-final-state",
    ),
    pytest.param(
        on_start("10 working days"),
        "stale_after: 10",
        "states.start.stale_after",
        "must be a mapping, not the text '10 working days'",
        id="not-a-mapping",
    ),
    pytest.param(
        on_start(""),
        "stale_after:",
        "states.start.stale_after",
        "must be a mapping, not nothing",
        id="empty",
    ),
    pytest.param(
        on_start("{}"),
        "stale_after: {}",
        "states.start.stale_after",
        f"needs 'after'; {HINT}",
        id="no-after",
    ),
    pytest.param(
        on_start("{after: 10 working days, from: received_on}"),
        "stale_after: {after",
        "states.start.stale_after.from",
        "unknown key; allowed: after",
        id="unknown-key",
    ),
    pytest.param(
        on_start("{after: 10}"),
        "stale_after: {after",
        "states.start.stale_after.after",
        f"10 is not a duration; {HINT}",
        id="a-bare-number",
    ),
    pytest.param(
        on_start("{after: ten working days}"),
        "stale_after: {after",
        "states.start.stale_after.after",
        f"'ten working days' is not a duration; {DURATION_HINT}",
        id="not-a-duration",
    ),
    pytest.param(
        on_start("{after: 0 working days}"),
        "stale_after: {after",
        "states.start.stale_after.after",
        "'0 working days': a duration must be at least 1",
        id="zero",
    ),
    pytest.param(
        on_start("{after: 2 weeks}"),
        "stale_after: {after",
        "states.start.stale_after.after",
        "'2 weeks': a case's age in its state is counted in working days; " + HINT,
        id="weeks",
    ),
    pytest.param(
        on_start("{after: 10 calendar days}"),
        "stale_after: {after",
        "states.start.stale_after.after",
        "'10 calendar days': a case's age in its state is counted in working days",
        id="calendar-days",
    ),
]


@pytest.mark.parametrize(("text", "where", "place", "message"), BAD)
def test_a_bad_stale_after_is_one_clear_problem(
    text: str, where: str, place: str, message: str
) -> None:
    problems = problems_of(text)

    assert len(problems) == 1, problems
    assert problems[0].startswith(
        f"{SOURCE}:{line_of(text, where)}: {place}: {message}"
    ), problems


def test_the_bundled_workflows_declare_stale_after_where_nothing_else_watches() -> None:
    definitions = {p.stem: parse(p.read_text("utf-8")) for p in bundled_paths()}

    for definition in definitions.values():
        for state in definition.states:
            if state.stale_after is not None:
                assert state.deadline is None, state.name
    documents = definitions["access_to_documents"]
    assert documents.version == 3
    assert documents.state("decided").stale_after == Duration(
        amount=10, unit=Unit.WORKING_DAYS
    )
    inquiry = definitions["ombudsman_inquiry"]
    assert inquiry.version == 3
    # Every open state of the inquiry has a deadline now, `opened` included.
    assert [s.name for s in inquiry.states if s.deadline is None] == ["closed"]


def test_the_diagram_notes_when_a_state_goes_stale() -> None:
    state = parse(on_start("{after: 10 working days}")).state("start")

    assert state_note(state) == ["stale after 10 working days in the state"]
    assert state_note(state, DA) == ["stillestående efter 10 arbejdsdage i tilstanden"]
