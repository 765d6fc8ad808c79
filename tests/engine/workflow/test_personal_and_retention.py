"""Personal data fields (`personal: true`) and a workflow's retention rule.

Each bad file starts from `tests.engine.workflow.test_definition.BASE` and
changes one thing; the problem reported must name the file, the line and the
place, and nothing but a `DefinitionError` ever comes out of a bad file.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.exceptions import DefinitionError
from engine.workflow.definition import (
    FieldType,
    Period,
    PeriodUnit,
    Retention,
    StateKind,
)
from engine.workflow.file import parse_workflow
from engine.workflow.guards import GUARDS
from tests.engine.workflow.test_definition import (
    SOURCE,
    TRANSITIONS,
    line_of,
    parse,
    problems_of,
    variant,
)
from workflows import bundled_paths

REASON = "reason: {type: text, required_if: {outcome: [bad]}}"
REASON_PERSONAL = "reason: {type: text, required_if: {outcome: [bad]}, personal: true}"
RULE = "retention:\n  personal_data: {after: 5 years, from: done}\n"
STATES = "states:\n"
PERIOD_HINT = "write 'N days', 'N months' or 'N years', e.g. '5 years'"
WITHDRAW = (
    "  - event: withdraw\n    from: waiting\n    to: done\n"
    "    roles: [caseworker]\n    data:\n      reason: {type: text}\n"
)


def with_rule(rule: str) -> str:
    """`BASE` with `rule` (the YAML of a `retention:` section) before its states."""
    return variant((STATES, rule + STATES))


# ---------------------------------------------------------------- personal data


def test_a_field_marked_personal_is_personal_data() -> None:
    definition = parse(
        variant(
            (REASON, REASON_PERSONAL),
            ("received_on: {type: date}", "received_on: {type: date, personal: no}"),
        )
    )

    reason, outcome = (
        definition.transitions[1].field(n) for n in ("reason", "outcome")
    )
    assert reason is not None
    assert reason.personal is True
    assert outcome is not None
    assert outcome.personal is False
    assert definition.opening.fields[0].personal is False
    assert definition.personal_fields == frozenset({"reason"})


def test_no_field_is_personal_unless_marked() -> None:
    definition = parse(variant())

    assert definition.personal_fields == frozenset()
    assert all(
        not f.personal
        for t in (definition.opening, *definition.transitions)
        for f in t.fields
    )


def test_personal_fields_of_the_opening_and_every_event_are_collected() -> None:
    text = variant(
        (
            "    received_on: {type: date}\n",
            "    received_on: {type: date}\n"
            "    requester_name: {type: text, personal: true}\n",
        ),
        (REASON, REASON_PERSONAL),
        (
            "      reply_by: {type: date}\n",
            "      reply_by: {type: date}\n      asked: {type: date, personal: true}\n",
        ),
    )

    assert parse(text).personal_fields == frozenset(
        {"requester_name", "reason", "asked"}
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [("'yes'", "'yes'"), ("1", "1"), ("[true]", "[True]"), ("null", "None")],
    ids=["text", "number", "list", "null"],
)
def test_personal_must_be_true_or_false(value: str, shown: str) -> None:
    text = variant((REASON, f"reason: {{type: text, personal: {value}}}"))

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, 'personal:')}: transitions[1].data.reason.personal:"
        f" must be true or false, not {shown}",
    )


def test_a_choice_is_never_personal() -> None:
    text = variant(
        (
            "outcome: {type: choice, values: [fine, bad]}",
            "outcome: {type: choice, values: [fine, bad], personal: true}",
        )
    )

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, 'personal:')}: transitions[1].data.outcome.personal:"
        " a 'choice' holds one of the workflow's own values, never personal data",
    )


def test_a_field_personal_in_one_event_and_not_another_is_refused() -> None:
    text = variant(
        (REASON, REASON_PERSONAL),
        (TRANSITIONS, TRANSITIONS + WITHDRAW),
    )

    (problem,) = problems_of(text)

    assert problem == (
        f"{SOURCE}:{line_of(text, 'reason: {type: text}')}: transitions[0].data.reason:"
        " 'reason' is personal data in transitions[2].data.reason but not here:"
        " a field is personal everywhere or nowhere"
    )


def test_every_place_a_field_is_not_personal_is_named_once() -> None:
    text = variant(
        (
            "    received_on: {type: date}\n",
            "    received_on: {type: date}\n    reason: {type: text}  # opening\n",
        ),
        (REASON, REASON_PERSONAL),
        (TRANSITIONS, TRANSITIONS + WITHDRAW),
    )

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, '# opening')}: open.data.reason: 'reason' is"
        " personal data in transitions[2].data.reason but not here nor in"
        " transitions[0].data.reason: a field is personal everywhere or nowhere",
    )


def test_personal_everywhere_is_accepted() -> None:
    text = variant(
        (REASON, REASON_PERSONAL),
        (
            TRANSITIONS,
            TRANSITIONS
            + WITHDRAW.replace("{type: text}", "{type: text, personal: true}"),
        ),
    )

    assert parse(text).personal_fields == frozenset({"reason"})


@pytest.mark.parametrize("key", ["until", "from"])
def test_a_date_a_deadline_counts_by_cannot_be_personal(key: str) -> None:
    deadline = (
        "{until: reply_by, within: 5 working days}"
        if key == "until"
        else "{within: 5 working days, from: received_on}"
    )
    field = "reply_by" if key == "until" else "received_on"
    text = variant(
        ("{within: 5 working days}", deadline),
        (f"{field}: {{type: date}}", f"{field}: {{type: date, personal: true}}"),
    )

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, 'deadline:')}: states.waiting.deadline.{key}:"
        f" {field!r} is personal data, which a deadline cannot be counted by:"
        " it may be erased",
    )


# ---------------------------------------------------------------- retention


def test_a_retention_rule_is_read() -> None:
    definition = parse(with_rule(RULE))

    assert definition.retention == Retention(
        after=Period(amount=5, unit=PeriodUnit.YEARS), from_state="done"
    )
    assert definition.state("done").kind is StateKind.FINAL
    assert definition.retention is not None
    assert definition.retention.describe() == (
        "personal data erased 5 years after entering 'done'"
    )


def test_no_retention_rule_is_none() -> None:
    assert parse(variant()).retention is None


def test_a_retention_rule_may_be_written_in_block_style() -> None:
    rule = "retention:\n  personal_data:\n    after: 1 month\n    from: done\n"

    assert parse(with_rule(rule)).retention == Retention(
        after=Period(amount=1, unit=PeriodUnit.MONTHS), from_state="done"
    )


RULE_PROBLEMS = [
    pytest.param(
        "retention:\n  personal_data: {after: 5 years, from: waiting}\n",
        "years, from: waiting}",
        "retention.personal_data.from",
        "'waiting' is not a final state: personal data is kept while a case is "
        "open, so retention counts from a final state (done)",
        id="from-not-final",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5 years, from: closed}\n",
        "from: closed",
        "retention.personal_data.from",
        "unknown state 'closed'; known: start, waiting, done",
        id="from-unknown",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5 years, from: Done}\n",
        "from: Done",
        "retention.personal_data.from",
        "'Done' must be snake_case (a-z, 0-9, _)",
        id="from-not-a-name",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5, from: done}\n",
        "after: 5",
        "retention.personal_data.after",
        f"5 is not a period; {PERIOD_HINT}",
        id="after-bare-number",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5 weeks, from: done}\n",
        "after: 5 weeks",
        "retention.personal_data.after",
        f"'5 weeks' is not a period; {PERIOD_HINT}",
        id="after-weeks",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 20 working days, from: done}\n",
        "20 working days",
        "retention.personal_data.after",
        f"'20 working days' is not a period; {PERIOD_HINT}",
        id="after-working-days",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 0 years, from: done}\n",
        "0 years",
        "retention.personal_data.after",
        "'0 years': a period is from 1 to 999",
        id="after-zero",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: [5 years], from: done}\n",
        "after:",
        "retention.personal_data.after",
        f"a list is not a period; {PERIOD_HINT}",
        id="after-list",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5 years, from: done, until: x}\n",
        "until: x",
        "retention.personal_data.until",
        "unknown key; allowed: after, from",
        id="unknown-rule-key",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5 years, from: done}\n  logs: {}\n",
        "logs:",
        "retention.logs",
        "unknown key; allowed: personal_data",
        id="unknown-retention-key",
    ),
    pytest.param(
        "retention:\n  personal_data: {after: 5 years}\n",
        "personal_data:",
        "retention.personal_data",
        "needs 'from', e.g. {after: 5 years, from: closed}",
        id="from-missing",
    ),
    pytest.param(
        "retention:\n  personal_data: {}\n",
        "personal_data:",
        "retention.personal_data",
        "needs 'after' and 'from', e.g. {after: 5 years, from: closed}",
        id="rule-empty",
    ),
    pytest.param(
        "retention: {}\n",
        "retention:",
        "retention",
        "needs 'personal_data', e.g. {personal_data: {after: 5 years, from: closed}}",
        id="retention-empty",
    ),
    pytest.param(
        "retention:\n",
        "retention:",
        "retention",
        "must be a mapping, not nothing",
        id="retention-nothing",
    ),
    pytest.param(
        "retention: 5 years\n",
        "retention:",
        "retention",
        "must be a mapping, not the text '5 years'",
        id="retention-text",
    ),
    pytest.param(
        "retention:\n  personal_data: 5 years\n",
        "personal_data:",
        "retention.personal_data",
        "must be a mapping, not the text '5 years'",
        id="rule-text",
    ),
]


@pytest.mark.parametrize(("rule", "needle", "place", "message"), RULE_PROBLEMS)
def test_a_bad_retention_rule_is_one_problem_with_its_place(
    rule: str, needle: str, place: str, message: str
) -> None:
    text = with_rule(rule)

    assert problems_of(text) == (
        f"{SOURCE}:{line_of(text, needle)}: {place}: {message}",
    )


def test_every_problem_of_a_rule_is_reported_together() -> None:
    text = with_rule("retention:\n  personal_data: {after: 5, from: start, keep: x}\n")

    place = f"{SOURCE}:{line_of(text, 'keep: x')}: retention.personal_data"
    assert problems_of(text) == (
        f"{place}.keep: unknown key; allowed: after, from",
        f"{place}.after: 5 is not a period; {PERIOD_HINT}",
        f"{place}.from: 'start' is not a final state: personal data is kept while"
        " a case is open, so retention counts from a final state (done)",
    )


def test_the_message_is_one_line_naming_the_file() -> None:
    text = with_rule("retention:\n  personal_data: {after: 5, from: done}\n")

    with pytest.raises(DefinitionError) as refused:
        parse(text)

    assert str(refused.value) == (
        f"invalid workflow: {SOURCE}:{line_of(text, 'after: 5')}: "
        f"retention.personal_data.after: 5 is not a period; {PERIOD_HINT}"
    )


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2000),
    st.sampled_from(
        ["5 years", "1 day", "done", "start", "waiting", "0 days", "x", "", "3 weeks"]
    ),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["after", "from", "personal_data", "until", "x"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(rule=_VALUES, personal=_SCALARS)
def test_any_retention_or_personal_value_is_read_or_refused_clearly(
    rule: object, personal: object
) -> None:
    """Whatever is written there, the answer is a definition or a DefinitionError."""
    section = yaml.safe_dump({"retention": rule}, default_flow_style=True)
    flag = yaml.safe_dump(personal, default_flow_style=True).splitlines()[0]
    text = variant(
        (STATES, section + STATES),
        (REASON, f"reason: {{type: text, personal: {flag}}}"),
    )
    problems: tuple[str, ...] = ()
    try:
        definition = parse_workflow(text, source=SOURCE, guards=GUARDS)
    except DefinitionError as refused:
        problems = refused.problems or ("(no problem named)",)
    else:
        assert definition.retention is None or definition.retention.from_state == "done"
    assert all(re.match(rf"{SOURCE}:\d+: ", p) for p in problems), problems


# ------------------------------------------------------------ bundled workflows


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.name)
def test_bundled_workflows_keep_free_text_reasons_as_personal_data(path: Path) -> None:
    definition = parse_workflow(
        path.read_text("utf-8"), source=path.name, guards=GUARDS
    )

    assert definition.version == 3  # 1 had neither rule; its cases stay on it
    assert definition.personal_fields == frozenset({"reason"})
    free_text = {
        f.name
        for t in (definition.opening, *definition.transitions)
        for f in t.fields
        if f.type is FieldType.TEXT
    }
    assert free_text <= definition.personal_fields
    assert definition.retention == Retention(
        after=Period(amount=5, unit=PeriodUnit.YEARS), from_state="closed"
    )
    assert definition.state("closed").kind is StateKind.FINAL


def test_the_json_of_a_definition_carries_personal_and_retention() -> None:
    """`workflow show --json` is the definition's fields, as plain values."""
    definition = parse(with_rule(RULE).replace(REASON, REASON_PERSONAL))

    shown = dataclasses.asdict(definition)

    assert shown["retention"] == {
        "after": {"amount": 5, "unit": PeriodUnit.YEARS},
        "from_state": "done",
    }
    reason = shown["transitions"][1]["fields"][1]
    assert (reason["name"], reason["personal"]) == ("reason", True)
