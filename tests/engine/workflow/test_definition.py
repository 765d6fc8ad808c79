"""Tests for workflow files: `parse_workflow`'s checks and `Duration`.

Each bad workflow starts from `BASE`, a small valid declaration, and changes one
thing in it; the problem reported must name the file, the line and the place
(`bad.yaml:12: transitions[1].to: unknown state 'asessed'`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from engine.exceptions import DefinitionError
from engine.workflow.definition import Duration, StateKind, Unit, WorkflowDefinition
from engine.workflow.file import parse_workflow
from engine.workflow.guards import GUARDS
from workflows import bundled_paths

SOURCE = "bad.yaml"

BASE = """\
name: mini
version: 1
title: Mini workflow
parties: [citizen]
states:
  start:
    kind: initial
  waiting:
    kind: waiting
    deadline: {within: 5 working days}
    chase:
      rungs:
        - {name: first, notify: [caseworker], next: 2 working days}
        - {name: last, notify: [citizen]}
  done:
    kind: final
open:
  to: start
  roles: [caseworker]
  data:
    received_on: {type: date}
transitions:
  - event: ask
    from: start
    to: waiting
    roles: [caseworker]
    data:
      reply_by: {type: date}
  - event: finish
    from: waiting
    to: done
    roles: [caseworker]
    data:
      outcome: {type: choice, values: [fine, bad]}
      reason: {type: text, required_if: {outcome: [bad]}}
"""

TRANSITIONS = "transitions:\n"
DONE = "  done:\n    kind: final\n"
OPEN_ROLES = "  roles: [caseworker]\n  data:"
WITHIN = "{within: 5 working days}"
KNOWN_STATES = "start, waiting, done"
DURATION_HINT = (
    "write 'N working days', 'N calendar days', 'N weeks', 'N months' or 'N years'"
)


def variant(*changes: tuple[str, str]) -> str:
    """`BASE` with each `(old, new)` replaced; `old` must occur exactly once."""
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} must occur once in the text"
        text = text.replace(old, new)
    return text


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the one line of `text` that contains `needle`."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(DefinitionError) as info:
        parse_workflow(text, source=SOURCE, guards=GUARDS)
    assert info.value.source == SOURCE
    return info.value.problems


def parse(text: str) -> WorkflowDefinition:
    return parse_workflow(text, source=SOURCE, guards=GUARDS)


def test_base_is_valid() -> None:
    definition = parse(BASE)

    assert definition.key == "mini@1"
    assert definition.initial == "start"
    assert [s.name for s in definition.states] == ["start", "waiting", "done"]
    assert definition.state("waiting").kind is StateKind.WAITING


# Each row: the changes to BASE, the text on the reported line (or its number),
# the place, the message (a prefix of it for long lists) and how many problems
# the file has in all (more than one where one mistake has consequences).
CASES = [
    pytest.param(
        [("name: mini\n", "name: mini\nname: other\n")],
        "name: other",
        "name",
        "duplicate key",
        1,
        id="duplicate-top-level-key",
    ),
    pytest.param(
        [(DONE, "  start:  # again\n    kind: final\n")],
        "# again",
        "states.start",
        "duplicate key",
        3,  # the second 'start' is dropped: no final state, 'done' unknown
        id="duplicate-state-key",
    ),
    pytest.param(
        [("name: mini\n", "")],
        1,
        "name",
        "must be a non-empty text, not nothing",
        1,
        id="missing-name",
    ),
    pytest.param(
        [("version: 1\n", "")],
        1,
        "version",
        "must be a whole number >= 1, not None",
        1,
        id="missing-version",
    ),
    pytest.param(
        [("title: Mini workflow\n", "")],
        1,
        "title",
        "must be a non-empty text, not nothing",
        1,
        id="missing-title",
    ),
    pytest.param(
        [("title: Mini workflow\n", "title: '  '\n")],
        "title:",
        "title",
        "must be a non-empty text, not the text '  '",
        1,
        id="blank-title",
    ),
    pytest.param(
        [("version: 1\n", "version: 0\n")],
        "version",
        "version",
        "must be a whole number >= 1, not 0",
        1,
        id="version-zero",
    ),
    pytest.param(
        [("version: 1\n", "version: -3\n")],
        "version",
        "version",
        "must be a whole number >= 1, not -3",
        1,
        id="version-negative",
    ),
    pytest.param(
        [("version: 1\n", "version: '1'\n")],
        "version",
        "version",
        "must be a whole number >= 1, not '1'",
        1,
        id="version-text",
    ),
    pytest.param(
        [("version: 1\n", "version: 1.5\n")],
        "version",
        "version",
        "must be a whole number >= 1, not 1.5",
        1,
        id="version-fraction",
    ),
    pytest.param(
        [("version: 1\n", "version: true\n")],
        "version",
        "version",
        "must be a whole number >= 1, not True",
        1,
        id="version-bool",
    ),
    pytest.param(
        [("name: mini\n", "name: mini flow\n")],
        "mini flow",
        "name",
        "'mini flow' may hold only letters, digits, '-' and '_'",
        1,
        id="workflow-name-with-space",
    ),
    pytest.param(
        [("title: Mini workflow\n", "title: Mini workflow\ncolour: red\n")],
        "colour",
        "colour",
        "unknown key; allowed: description, labels, name, open, parties, retention, "
        "states, title, transitions, version, webhook",
        1,
        id="unknown-top-level-key",
    ),
    pytest.param(
        [("    kind: initial\n", "    kind: initial\n    colour: red\n")],
        "colour",
        "states.start.colour",
        "unknown key; allowed: chase, deadline, description, kind",
        1,
        id="unknown-state-key",
    ),
    pytest.param(
        [("    kind: initial\n", "    kind: start\n")],
        "kind: start",
        "states.start.kind",
        "'start' is not a state kind (initial, waiting, normal, final)",
        2,  # and so no initial state
        id="unknown-state-kind",
    ),
    pytest.param(
        [("    to: waiting\n", "    to: wating\n")],
        "to: wating",
        "transitions[0].to",
        f"unknown state 'wating'; known: {KNOWN_STATES}",
        4,  # and nothing after `start` is reachable
        id="unknown-state-in-to",
    ),
    pytest.param(
        [("    from: waiting\n", "    from: wating\n")],
        "from: wating",
        "transitions[1].from",
        f"unknown state 'wating'; known: {KNOWN_STATES}",
        4,
        id="unknown-state-in-from",
    ),
    pytest.param(
        [("    from: waiting\n", "    from: [waiting, wating]\n")],
        "from: [waiting, wating]",
        "transitions[1].from",
        f"unknown state 'wating'; known: {KNOWN_STATES}",
        1,
        id="unknown-state-in-from-list",
    ),
    pytest.param(
        [(DONE, DONE + "  limbo: {}\n")],
        "limbo",
        "states.limbo",
        "state 'limbo' cannot be reached from 'start'",
        1,
        id="unreachable-state",
    ),
    pytest.param(
        [
            (DONE, DONE + "  stuck: {}\n"),
            (
                TRANSITIONS,
                TRANSITIONS
                + "  - {event: park, from: start, to: stuck, roles: [caseworker]}\n",
            ),
        ],
        "stuck: {}",
        "states.stuck",
        "state 'stuck' has no path to a final state",
        1,
        id="no-path-to-final-state",
    ),
    pytest.param(
        [("    kind: initial\n", "")],
        "states:",
        "states",
        "exactly one state must be 'kind: initial', found 0",
        1,
        id="no-initial-state",
    ),
    pytest.param(
        [("    kind: waiting\n", "    kind: initial\n")],
        "states:",
        "states",
        "exactly one state must be 'kind: initial', found 2",
        1,
        id="two-initial-states",
    ),
    pytest.param(
        [("    kind: final\n", "")],
        "states:",
        "states",
        "at least one state must be 'kind: final'",
        1,
        id="no-final-state",
    ),
    pytest.param(
        [("  to: start\n", "  to: waiting  # not initial\n")],
        "# not initial",
        "open.to",
        "'open' must lead to the initial state 'start'",
        2,  # and `start` is then unreachable
        id="open-to-not-initial",
    ),
    pytest.param(
        [
            (
                TRANSITIONS,
                TRANSITIONS
                + "  - {event: finish, from: waiting, to: start, roles: [advisor]}\n",
            )
        ],
        "  - event: finish",  # the original `finish`, now transitions[2]
        "transitions[2].event",
        "duplicate event 'finish' from state 'waiting' (also transitions[0])",
        1,
        id="duplicate-event-same-source",
    ),
    pytest.param(
        [
            (
                TRANSITIONS,
                TRANSITIONS
                + "  - {event: ask, from: '*', to: done, roles: [advisor]}\n",
            )
        ],
        "  - event: ask",
        "transitions[1].event",
        "duplicate event 'ask' from state 'start' (also transitions[0])",
        1,
        id="duplicate-event-after-star",
    ),
    pytest.param(
        [
            (
                TRANSITIONS,
                TRANSITIONS
                + "  - {event: drop, from: '*', to: done, roles: [caseworker]}\n"
                + "  - {event: drop, from: waiting, to: done, roles: [advisor]}\n",
            )
        ],
        "from: waiting, to: done",
        "transitions[1].event",
        "duplicate event 'drop' from state 'waiting' (also transitions[0])",
        1,
        id="duplicate-event-star-first",
    ),
    pytest.param(
        [
            (
                "    kind: waiting\n    deadline: {within: 5 working days}\n"
                "    chase:\n      rungs:\n"
                "        - {name: first, notify: [caseworker], next: 2 working days}\n"
                "        - {name: last, notify: [citizen]}\n",
                "    kind: waiting\n",
            )
        ],
        "  waiting:",
        "states.waiting",
        "a waiting state needs a deadline",
        1,
        id="waiting-state-without-deadline",
    ),
    pytest.param(
        [
            (
                "    kind: initial\n",
                "    kind: initial\n"
                "    chase: {rungs: [{name: poke, notify: [caseworker]}]}\n",
            )
        ],
        "poke",
        "states.start.chase",
        "a chase ladder needs a deadline on its state",
        1,
        id="chase-without-deadline",
    ),
    pytest.param(
        [(DONE, DONE + f"    deadline: {WITHIN}\n")],
        "  done:",
        "states.done",
        "a final state cannot have a deadline or a chase ladder",
        1,
        id="final-state-with-deadline",
    ),
    pytest.param(
        [(OPEN_ROLES, "  roles: [clerk]\n  data:")],
        "[clerk]",
        "open.roles[0]",
        "unknown role 'clerk'; known: intake, caseworker, advisor, auditor, system",
        1,
        id="unknown-role-open",
    ),
    pytest.param(
        [
            (
                "    roles: [caseworker]\n    data:\n      outcome",
                "    roles: [caseworker, clerk]\n    data:\n      outcome",
            )
        ],
        "[caseworker, clerk]",
        "transitions[1].roles[1]",
        "unknown role 'clerk'",
        1,
        id="unknown-role-transition",
    ),
    pytest.param(
        [(OPEN_ROLES, "  roles: [caseworker]\n  guards: [be_nice]\n  data:")],
        "be_nice",
        "open.guards[0]",
        "unknown guard 'be_nice'; known: heard_before_criticism, "
        "own_initiative_needs_advisor, repeat_needs_advisor",
        1,
        id="unknown-guard",
    ),
    pytest.param(
        [(WITHIN, "{within: 3 days}")],
        "within",
        "states.waiting.deadline.within",
        f"'3 days' is not a duration; {DURATION_HINT}",
        1,
        id="duration-bare-days",
    ),
    pytest.param(
        [(WITHIN, "{within: 0 weeks}")],
        "within",
        "states.waiting.deadline.within",
        "'0 weeks': a duration must be at least 1",
        1,
        id="duration-zero",
    ),
    pytest.param(
        [(WITHIN, "{within: twenty working days}")],
        "within",
        "states.waiting.deadline.within",
        f"'twenty working days' is not a duration; {DURATION_HINT}",
        1,
        id="duration-in-words",
    ),
    pytest.param(
        [(WITHIN, "{within: 20}")],
        "within",
        "states.waiting.deadline.within",
        f"'20' is not a duration; {DURATION_HINT}",
        1,
        id="duration-number",
    ),
    pytest.param(
        [("next: 2 working days", "next: 2 days")],
        "name: first",
        "states.waiting.chase.rungs[0].next",
        f"'2 days' is not a duration; {DURATION_HINT}",
        1,  # reported once: not also as a missing 'next'
        id="duration-in-rung-next",
    ),
    pytest.param(
        [(WITHIN, "{}")],
        "deadline",
        "states.waiting.deadline",
        "a deadline needs 'within' (a duration), 'until' (a date field) or both",
        1,
        id="deadline-empty",
    ),
    pytest.param(
        [(WITHIN, "{from: received_on}")],
        "deadline",
        "states.waiting.deadline",
        "a deadline needs 'within' (a duration), 'until' (a date field) or both",
        1,
        id="deadline-only-from",
    ),
    pytest.param(
        [(WITHIN, "{until: reply_by, from: received_on}")],
        "deadline",
        "states.waiting.deadline.from",
        "'from' only makes sense with 'within'",
        1,
        id="from-without-within",
    ),
    pytest.param(
        [(WITHIN, "{until: reason, within: 5 working days}")],
        "deadline",
        "states.waiting.deadline.until",
        "'reason' is not a date field of any event",
        1,
        id="until-text-field",
    ),
    pytest.param(
        [(WITHIN, "{until: due_on, within: 5 working days}")],
        "deadline",
        "states.waiting.deadline.until",
        "'due_on' is not a date field of any event",
        1,
        id="until-unknown-field",
    ),
    pytest.param(
        [(WITHIN, "{within: 5 working days, from: outcome}")],
        "deadline",
        "states.waiting.deadline.from",
        "'outcome' is not a date field of any event",
        1,
        id="from-choice-field",
    ),
    pytest.param(
        [("next: 2 working days}", "}")],
        "name: first",
        "states.waiting.chase.rungs[0]",
        "rung 'first' is followed by another rung, so it needs 'next'",
        1,
        id="non-last-rung-without-next",
    ),
    pytest.param(
        [("{name: last,", "{name: first,")],
        "notify: [citizen]",
        "states.waiting.chase.rungs[1].name",
        "duplicate rung 'first'",
        1,
        id="duplicate-rung-names",
    ),
    pytest.param(
        [("notify: [citizen]", "notify: [citizen, mayor]")],
        "mayor",
        "states.waiting.chase.rungs[1].notify[1]",
        "'mayor' is neither a party (citizen), 'owner' nor a role",
        1,
        id="notify-unknown-target",
    ),
    pytest.param(
        [("reply_by: {type: date}", "reply_by: {type: datetime}")],
        "reply_by",
        "transitions[0].data.reply_by.type",
        "'datetime' is not a field type (text, bool, int, date, choice)",
        1,
        id="unknown-field-type",
    ),
    pytest.param(
        [("reply_by: {type: date}", "reply_by: {description: When}")],
        "reply_by",
        "transitions[0].data.reply_by.type",
        "None is not a field type (text, bool, int, date, choice)",
        1,
        id="field-without-type",
    ),
    pytest.param(
        [("    to: done\n", "    to: done\n    document: {direction: sideways}\n")],
        "sideways",
        "transitions[1].document.direction",
        "'sideways' is not a direction (incoming, outgoing, note)",
        1,
        id="unknown-document-direction",
    ),
    pytest.param(
        [("{type: choice, values: [fine, bad]}", "{type: choice}")],
        "{type: choice}",
        "transitions[1].data.outcome.values",
        "must be a name or a non-empty list of names, not nothing",
        2,  # and `reason` then requires a value `outcome` does not have
        id="choice-without-values",
    ),
    pytest.param(
        [("values: [fine, bad]", "values: []")],
        "values: []",
        "transitions[1].data.outcome.values",
        "must be a name or a non-empty list of names, not a list",
        2,
        id="choice-with-empty-values",
    ),
    pytest.param(
        [("reply_by: {type: date}", "reply_by: {type: date, values: [soon]}")],
        "reply_by",
        "transitions[0].data.reply_by.values",
        "only a 'choice' field has values",
        1,
        id="values-on-non-choice",
    ),
    pytest.param(
        [("required_if: {outcome: [bad]}", "required_if: {result: [bad]}")],
        "required_if",
        "transitions[1].data.reason.required_if.result",
        "refers to 'result', which this event does not take",
        1,
        id="required-if-unknown-field",
    ),
    pytest.param(
        [("required_if: {outcome: [bad]}", "required_if: {outcome: [awful]}")],
        "required_if",
        "transitions[1].data.reason.required_if.outcome",
        "'awful' is not one of 'outcome''s values",
        1,
        id="required-if-unknown-value",
    ),
    pytest.param(
        [("    to: done\n", "    to: done\n    resets: [reply_by, colour]\n")],
        "resets",
        "transitions[1].resets[1]",
        "'colour' is not a data field of any event",
        1,
        id="resets-unknown-field",
    ),
    pytest.param(
        [("    to: done\n", "    to: done\n    sets: {outcome: fine}\n")],
        "sets",
        "transitions[1].sets.outcome",
        "'outcome' is both set and taken as data",
        1,
        id="field-both-set-and-taken",
    ),
    pytest.param(
        [
            (
                TRANSITIONS,
                TRANSITIONS + "  - {event: peek, from: start, internal: true, to: done,"
                " roles: [caseworker]}\n",
            )
        ],
        "peek",
        "transitions[0].to",
        "an internal transition stays in its state: drop 'to'",
        1,
        id="internal-transition-with-to",
    ),
    pytest.param(
        [
            (
                TRANSITIONS,
                TRANSITIONS
                + "  - {event: open, from: start, to: done, roles: [advisor]}\n",
            )
        ],
        "event: open",
        "transitions[0].event",
        "'open' is declared in the 'open' section",
        1,
        id="open-as-transition",
    ),
    pytest.param(
        [(DONE, DONE + "  Limbo: {}\n")],
        "Limbo",
        "states.Limbo",
        "'Limbo' must be snake_case (a-z, 0-9, _)",
        1,
        id="state-name-not-snake-case",
    ),
    pytest.param(
        [("event: finish", "event: Finish-Now")],
        "Finish-Now",
        "transitions[1].event",
        "'Finish-Now' must be snake_case (a-z, 0-9, _)",
        4,  # and the transition is dropped: nothing reaches the final state
        id="event-name-not-snake-case",
    ),
    pytest.param(
        [("reply_by: {type: date}", "replyBy: {type: date}")],
        "replyBy",
        "transitions[0].data.replyBy",
        "'replyBy' must be snake_case (a-z, 0-9, _)",
        1,
        id="field-name-not-snake-case",
    ),
    pytest.param(
        [("{name: last,", "{name: Last one,")],
        "Last one",
        "states.waiting.chase.rungs[1].name",
        "'Last one' must be snake_case (a-z, 0-9, _)",
        1,
        id="rung-name-not-snake-case",
    ),
    pytest.param(
        [("parties: [citizen]", "parties: [citizen, 2nd_party]")],
        "parties",
        "parties[1]",
        "'2nd_party' must be snake_case (a-z, 0-9, _)",
        1,
        id="party-name-starts-with-digit",
    ),
    pytest.param(
        [(OPEN_ROLES, "  roles: [Caseworker]\n  data:")],
        "Caseworker",
        "open.roles[0]",
        "'Caseworker' must be snake_case (a-z, 0-9, _)",
        1,
        id="role-not-snake-case",
    ),
]


@pytest.mark.parametrize(("changes", "where", "place", "message", "count"), CASES)
def test_problem_names_file_line_and_place(
    changes: list[tuple[str, str]],
    where: str | int,
    place: str,
    message: str,
    count: int,
) -> None:
    text = variant(*changes)
    line = where if isinstance(where, int) else line_of(text, where)
    expected = f"{SOURCE}:{line}: {place}: {message}"

    problems = problems_of(text)

    assert [p for p in problems if p.startswith(expected)], problems
    assert len(problems) == count, problems


def test_not_yaml_names_file_and_line() -> None:
    text = variant(("parties: [citizen]", "parties: [citizen"))

    problems = problems_of(text)

    assert len(problems) == 1
    assert problems[0].startswith(f"{SOURCE}:5: not valid YAML: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "bad.yaml:1: (top level): must be a mapping, not a list"),
        (
            "just text\n",
            "bad.yaml:1: (top level): must be a mapping, not the text 'just text'",
        ),
        ("", "bad.yaml:1: (top level): the file is empty"),
    ],
    ids=["list", "text", "empty"],
)
def test_not_a_mapping(text: str, expected: str) -> None:
    assert problems_of(text) == (expected,)


def test_state_declared_as_other_than_mapping() -> None:
    text = variant((DONE, DONE + "  limbo: 5\n"))

    problems = problems_of(text)

    assert problems == (
        f"{SOURCE}:{line_of(text, 'limbo')}: states.limbo: must be a mapping, not 5",
    )


@pytest.mark.parametrize("value", ["[]", "false", "''"], ids=["list", "false", "empty"])
def test_state_declared_as_falsy_non_mapping(value: str) -> None:
    text = variant(
        (DONE, DONE + f"  limbo: {value}\n"),
        (
            TRANSITIONS,
            TRANSITIONS
            + "  - {event: park, from: start, to: limbo, roles: [advisor]}\n"
            "  - {event: leave, from: limbo, to: done, roles: [advisor]}\n",
        ),
    )

    problems = problems_of(text)

    line = line_of(text, "limbo:")
    assert f"{SOURCE}:{line}: states.limbo: must be a mapping, not " in problems[0]


def test_unknown_to_on_star_transition_is_reported_at_to() -> None:
    text = variant(
        (
            TRANSITIONS,
            TRANSITIONS + "  - event: drop\n    from: '*'\n    to: gone\n"
            "    roles: [caseworker]\n",
        )
    )

    problems = problems_of(text)

    line = line_of(text, "to: gone")
    assert problems == (
        f"{SOURCE}:{line}: transitions[0].to: unknown state 'gone'; "
        f"known: {KNOWN_STATES}",
    )


def test_several_problems_are_all_reported() -> None:
    text = variant(
        ("title: Mini workflow\n", "title: Mini workflow\ncolour: red\n"),
        (WITHIN, "{within: 3 days}"),
        (OPEN_ROLES, "  roles: [clerk]\n  guards: [be_nice]\n  data:"),
        ("reply_by: {type: date}", "reply_by: {type: date, values: [soon]}"),
        ("notify: [citizen]", "notify: [mayor]"),
        ("    to: done\n", "    to: done\n    resets: [colour]\n"),
    )

    with pytest.raises(DefinitionError) as info:
        parse(text)

    problems = info.value.problems
    assert [p.split(": ", 2)[:2] for p in problems] == [
        [f"{SOURCE}:{line_of(text, 'colour: red')}", "colour"],
        [f"{SOURCE}:{line_of(text, 'within')}", "states.waiting.deadline.within"],
        [f"{SOURCE}:{line_of(text, 'clerk')}", "open.roles[0]"],
        [f"{SOURCE}:{line_of(text, 'be_nice')}", "open.guards[0]"],
        [f"{SOURCE}:{line_of(text, 'soon')}", "transitions[0].data.reply_by.values"],
        [
            f"{SOURCE}:{line_of(text, 'mayor')}",
            "states.waiting.chase.rungs[1].notify[0]",
        ],
        [f"{SOURCE}:{line_of(text, 'resets')}", "transitions[1].resets[0]"],
    ]
    assert str(info.value).startswith(f"invalid workflow {SOURCE} (7 problems): ")
    assert "\n" not in str(info.value)  # one line, for the command line
    assert all(p in str(info.value) for p in problems)


def test_one_problem_is_the_message() -> None:
    with pytest.raises(
        DefinitionError, match=r"^invalid workflow: bad\.yaml:2: version: must be"
    ):
        parse(variant(("version: 1\n", "version: 0\n")))


# ------------------------------------------------------------------ durations


DURATIONS = [
    ("20 working days", 20, Unit.WORKING_DAYS, "20 working days"),
    ("1 working day", 1, Unit.WORKING_DAYS, "1 working day"),
    ("1 working days", 1, Unit.WORKING_DAYS, "1 working day"),
    ("2 working day", 2, Unit.WORKING_DAYS, "2 working days"),
    ("10 calendar days", 10, Unit.CALENDAR_DAYS, "10 calendar days"),
    ("1 calendar day", 1, Unit.CALENDAR_DAYS, "1 calendar day"),
    ("4 weeks", 4, Unit.WEEKS, "4 weeks"),
    ("1 week", 1, Unit.WEEKS, "1 week"),
    ("  7   working   days ", 7, Unit.WORKING_DAYS, "7 working days"),
    ("007 weeks", 7, Unit.WEEKS, "7 weeks"),
    ("9999 calendar days", 9999, Unit.CALENDAR_DAYS, "9999 calendar days"),
]


@pytest.mark.parametrize(
    ("text", "amount", "unit", "shown"),
    DURATIONS,
    ids=[" ".join(row[0].split()) for row in DURATIONS],
)
def test_duration_parse_and_str(text: str, amount: int, unit: Unit, shown: str) -> None:
    duration = Duration.parse(text)

    assert (duration.amount, duration.unit) == (amount, unit)
    assert str(duration) == shown
    assert Duration.parse(str(duration)) == duration


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 days", "'3 days' is not a duration"),
        ("0 weeks", "'0 weeks': a duration must be at least 1"),
        ("0 working days", "a duration must be at least 1"),
        ("twenty working days", "is not a duration"),
        ("20", "'20' is not a duration"),
        ("-1 weeks", "is not a duration"),
        ("1.5 weeks", "is not a duration"),
        ("20 Working Days", "is not a duration"),
        ("20 workingdays", "is not a duration"),
        ("10000 weeks", "is not a duration"),
        ("", "is not a duration"),
    ],
    ids=[
        "bare-days",
        "zero-weeks",
        "zero-working-days",
        "words",
        "number",
        "negative",
        "fraction",
        "capitals",
        "no-space",
        "five-digits",
        "empty",
    ],
)
def test_duration_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Duration.parse(text)


# ---------------------------------------------------------- bundled workflows


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name)
def test_bundled_workflow_parses(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    definition = parse_workflow(text, source=path.name, guards=GUARDS)

    assert definition.source == path.name
    # The rules' text: the file without its labels (see test_labels.py)
    assert "labels:" in text
    assert "labels" not in definition.text
    digest = hashlib.sha256(definition.text.encode("utf-8")).hexdigest()
    assert definition.digest == digest
    assert definition.version >= 1


def test_bundled_workflows_are_the_two_known_ones() -> None:
    assert [p.name for p in bundled_paths()] == [
        "access_to_documents.yaml",
        "ombudsman_inquiry.yaml",
    ]


def test_digest_follows_the_text() -> None:
    same = parse(BASE)
    commented = parse(BASE + "# a comment changes the declaration's text\n")

    assert parse(BASE).digest == same.digest
    assert commented.digest != same.digest
    assert commented.key == same.key


# ------------------------------------------------------------------ date rules


@pytest.mark.parametrize(
    ("change", "needle", "place", "message"),
    [
        (
            ("reply_by: {type: date}", "reply_by: {type: date, relative: soon}"),
            "soon",
            "transitions[0].data.reply_by.relative",
            "'soon' must be 'past' or 'future'",
        ),
        (
            ("reply_by: {type: date}", "reply_by: {type: date, default: tomorrow}"),
            "tomorrow",
            "transitions[0].data.reply_by.default",
            "'tomorrow' must be 'today'",
        ),
        (
            ("reason: {type: text,", "reason: {type: text, relative: past,"),
            "relative: past",
            "transitions[1].data.reason.relative",
            "only a 'date' field has 'relative'",
        ),
        (
            ("    from: start\n", "    from: [start, start]\n"),
            "[start, start]",
            "transitions[0].from",
            "state 'start' is listed twice",
        ),
        (
            (
                "    to: done\n    roles: [caseworker]",
                "    to: done\n    roles: [auditor]",
            ),
            "[auditor]",
            "transitions[1].roles[0]",
            "'auditor' only reads; it fires nothing",
        ),
    ],
    ids=[
        "relative-unknown",
        "default-unknown",
        "relative-not-date",
        "source-twice",
        "auditor-fires",
    ],
)
def test_date_rules_and_roles_are_checked(
    change: tuple[str, str], needle: str, place: str, message: str
) -> None:
    text = variant(change)

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, needle)}: {place}: {message}",
    )


def test_date_rules_are_read() -> None:
    text = variant(
        (
            "received_on: {type: date}",
            "received_on: {type: date, default: today, relative: past}",
        )
    )

    field = parse(text).opening.fields[0]

    assert (field.default_today, field.relative) == (True, "past")


def test_a_workflow_may_name_its_webhook() -> None:
    text = variant(
        (
            "parties: [citizen]\n",
            "parties: [citizen]\nwebhook: https://dms.example.org/hook\n",
        )
    )

    assert parse(text).webhook == "https://dms.example.org/hook"


def test_a_webhook_must_be_an_http_url() -> None:
    text = variant(("parties: [citizen]\n", "parties: [citizen]\nwebhook: ftp://x\n"))

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, 'ftp://')}: webhook: 'ftp://x' is not an http(s) URL",
    )
