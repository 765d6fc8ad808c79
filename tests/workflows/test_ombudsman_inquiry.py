"""The bundled `ombudsman-inquiry` workflow: its transitions, roles and rules.

The dates follow the founding case: opened 8 Oct 2024, inquiry sent 9 Oct, reply
received Sunday 10 Nov, closed 20 Nov. The clock stands at 25 Nov 2024 09:00 UTC;
steps are back-dated with `at=`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product

import pytest

from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.exceptions import (
    GuardRejectedError,
    InvalidDataError,
    RoleNotAllowedError,
    TransitionNotAllowedError,
)
from engine.workflow.machine import WorkflowMachine
from engine.workflow.registry import WorkflowRegistry

WORKFLOW = "ombudsman-inquiry"
D = date.fromisoformat


def utc(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


@pytest.fixture
def machine(registry: WorkflowRegistry) -> WorkflowMachine:
    return registry.machine(registry.get(WORKFLOW))


# ------------------------------------------------------------ transition table

STATES = ("opened", "inquiry_sent", "awaiting_reply", "assessed", "closed")
EVENTS = (
    "open",
    "send_inquiry",
    "mark_dispatched",
    "extend_deadline",
    "receive_reply",
    "close",
    "reject",
    "withdraw",
    "reopen",
    "note",
)
ALLOWED_IN = {
    "opened": ("send_inquiry", "reject", "withdraw", "note"),
    "inquiry_sent": ("mark_dispatched", "receive_reply", "withdraw", "note"),
    "awaiting_reply": ("extend_deadline", "receive_reply", "withdraw", "note"),
    "assessed": ("close", "withdraw", "note"),
    "closed": ("reopen", "note"),
}
NO = None  # the event is not allowed in the state

TABLE = [
    ("opened", "open", NO),
    ("opened", "send_inquiry", "inquiry_sent"),
    ("opened", "mark_dispatched", NO),
    ("opened", "extend_deadline", NO),
    ("opened", "receive_reply", NO),
    ("opened", "close", NO),
    ("opened", "reject", "closed"),
    ("opened", "withdraw", "closed"),
    ("opened", "reopen", NO),
    ("opened", "note", "opened"),
    ("inquiry_sent", "open", NO),
    ("inquiry_sent", "send_inquiry", NO),
    ("inquiry_sent", "mark_dispatched", "awaiting_reply"),
    ("inquiry_sent", "extend_deadline", NO),
    ("inquiry_sent", "receive_reply", "assessed"),
    ("inquiry_sent", "close", NO),
    ("inquiry_sent", "reject", NO),
    ("inquiry_sent", "withdraw", "closed"),
    ("inquiry_sent", "reopen", NO),
    ("inquiry_sent", "note", "inquiry_sent"),
    ("awaiting_reply", "open", NO),
    ("awaiting_reply", "send_inquiry", NO),
    ("awaiting_reply", "mark_dispatched", NO),
    ("awaiting_reply", "extend_deadline", "awaiting_reply"),
    ("awaiting_reply", "receive_reply", "assessed"),
    ("awaiting_reply", "close", NO),
    ("awaiting_reply", "reject", NO),
    ("awaiting_reply", "withdraw", "closed"),
    ("awaiting_reply", "reopen", NO),
    ("awaiting_reply", "note", "awaiting_reply"),
    ("assessed", "open", NO),
    ("assessed", "send_inquiry", NO),
    ("assessed", "mark_dispatched", NO),
    ("assessed", "extend_deadline", NO),
    ("assessed", "receive_reply", NO),
    ("assessed", "close", "closed"),
    ("assessed", "reject", NO),
    ("assessed", "withdraw", "closed"),
    ("assessed", "reopen", NO),
    ("assessed", "note", "assessed"),
    ("closed", "open", NO),
    ("closed", "send_inquiry", NO),
    ("closed", "mark_dispatched", NO),
    ("closed", "extend_deadline", NO),
    ("closed", "receive_reply", NO),
    ("closed", "close", NO),
    ("closed", "reject", NO),
    ("closed", "withdraw", NO),
    ("closed", "reopen", "opened"),
    ("closed", "note", "closed"),
]


@pytest.mark.parametrize(
    ("state", "event", "expected"), TABLE, ids=[f"{s}-{e}" for s, e, _ in TABLE]
)
def test_transition_table(
    machine: WorkflowMachine, state: str, event: str, expected: str | None
) -> None:
    if expected is not None:
        assert machine.next_state(state, event) == expected
        return
    with pytest.raises(TransitionNotAllowedError) as info:
        machine.next_state(state, event, case_number="2024-0283489")

    error = info.value
    assert error.allowed == ALLOWED_IN[state]
    assert (error.number, error.state, error.event) == ("2024-0283489", state, event)


def test_table_covers_every_state_and_event(registry: WorkflowRegistry) -> None:
    definition = registry.get(WORKFLOW)

    assert tuple(s.name for s in definition.states) == STATES
    assert definition.events == EVENTS
    assert [(s, e) for s, e, _ in TABLE] == list(product(STATES, EVENTS))
    for state in STATES:
        assert definition.allowed_events(state) == ALLOWED_IN[state]


@pytest.mark.parametrize("state", STATES)
def test_unknown_event_lists_the_allowed_ones(
    machine: WorkflowMachine, state: str
) -> None:
    with pytest.raises(TransitionNotAllowedError) as info:
        machine.next_state(state, "fly_to_the_moon")

    assert info.value.allowed == ALLOWED_IN[state]


# ------------------------------------------------------------------ helpers

# The founding case's path, step by step: (event, actor, data, effective time).
PATH = [
    ("send_inquiry", "jur", {}, utc(10, 9)),
    ("mark_dispatched", "jur", {}, utc(10, 9, 14)),
    ("receive_reply", "jur", {}, utc(11, 10, 12)),  # a Sunday
    ("close", "bra", {"outcome": "no_further_action"}, utc(11, 20)),
]


def open_case(
    engine: CaseEngine,
    *,
    actor: str = "jur",
    data: dict[str, object] | None = None,
    document: str | None = None,
) -> CaseView:
    """Open a case on 8 Oct 2024, the day before the founding case's inquiry."""
    return engine.open_case(
        WORKFLOW,
        actor=actor,
        title="Report to the police",
        data=data,
        document=document,
        at=utc(10, 8),
    )


def case_in(engine: CaseEngine, state: str) -> str:
    """A new case moved along the founding path until it is in `state`."""
    number = open_case(engine).case.number
    for event, actor, data, at in PATH[: STATES.index(state)]:
        engine.fire(number, event, actor=actor, data=data, at=at)
    assert engine.show(number).case.state == state
    return number


# ---------------------------------------------------------------- role table

USERS = {
    "intake": "ind",
    "caseworker": "jur",
    "advisor": "bra",
    "auditor": "rev",
    "system": "system",
}

# The state each event is fired from, with data that satisfies its rules.
FIRING = {
    "send_inquiry": ("opened", {}),
    "mark_dispatched": ("inquiry_sent", {}),
    "extend_deadline": (
        "awaiting_reply",
        {"reply_by": "2024-12-20", "reason": "asked for more time"},
    ),
    "receive_reply": ("awaiting_reply", {}),
    "close": ("assessed", {"outcome": "no_further_action"}),
    "reject": ("opened", {"reason": "outside the office's remit"}),
    "withdraw": ("opened", {}),
    "reopen": ("closed", {"reason": "new information"}),
    "note": ("opened", {}),
}

MAY = {
    "open": {"caseworker", "advisor"},
    "send_inquiry": {"caseworker"},
    "mark_dispatched": {"caseworker", "system"},
    "extend_deadline": {"caseworker", "advisor"},
    "receive_reply": {"caseworker"},
    "close": {"advisor"},
    "reject": {"advisor"},
    "withdraw": {"caseworker", "advisor"},
    "reopen": {"advisor"},
    "note": {"intake", "caseworker", "advisor"},
}
ROLE_TABLE = [(e, r, r in MAY[e]) for e in EVENTS for r in USERS]


@pytest.mark.parametrize(
    ("event", "role", "allowed"),
    ROLE_TABLE,
    ids=[f"{e}-{r}-{'may' if a else 'may-not'}" for e, r, a in ROLE_TABLE],
)
def test_role_table(
    fast_engine: CaseEngine, event: str, role: str, allowed: bool
) -> None:
    actor = USERS[role]

    def fire() -> CaseView:
        if event == "open":
            return fast_engine.open_case(WORKFLOW, actor=actor, title="A complaint")
        state, data = FIRING[event]
        number = case_in(fast_engine, state)
        document = "Phone call with the administration" if event == "note" else None
        return fast_engine.fire(
            number, event, actor=actor, data=data, document=document
        )

    if allowed:
        view = fire()
        assert view.history[-1].event == event
        assert (view.history[-1].actor, view.history[-1].role) == (actor, role)
        return
    with pytest.raises(RoleNotAllowedError) as info:
        fire()
    assert info.value.actor == actor
    assert set(info.value.allowed) == MAY[event]


def test_role_table_matches_declaration(registry: WorkflowRegistry) -> None:
    definition = registry.get(WORKFLOW)

    declared = {t.event: set(t.roles) for t in definition.transitions}
    declared["open"] = set(definition.opening.roles)
    assert declared == MAY


# --------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("actor", "own_initiative"),
    [("jur", True), ("jur", "true"), ("jur", "ja")],
    ids=["bool", "text-true", "text-ja"],
)
def test_own_initiative_by_caseworker_is_refused(
    fast_engine: CaseEngine, actor: str, own_initiative: object
) -> None:
    with pytest.raises(GuardRejectedError) as info:
        open_case(fast_engine, actor=actor, data={"own_initiative": own_initiative})

    assert info.value.guard == "own_initiative_needs_advisor"


def test_own_initiative_by_advisor_is_allowed(fast_engine: CaseEngine) -> None:
    view = open_case(fast_engine, actor="bra", data={"own_initiative": True})

    assert view.case.state == "opened"
    assert view.case.data == {"own_initiative": True}
    assert (view.history[0].actor, view.history[0].role) == ("bra", "advisor")


def test_caseworker_opens_when_not_own_initiative(fast_engine: CaseEngine) -> None:
    view = open_case(fast_engine, actor="jur", data={"own_initiative": False})

    assert view.case.state == "opened"
    assert view.case.due == D("2024-10-22")  # 10 working days to decide on intake
    assert view.documents == ()  # the opening journals only a titled document


def test_send_inquiry_journals_the_inquiry_letter(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "opened")

    view = fast_engine.fire(number, "send_inquiry", actor="jur", at=utc(10, 9))

    (letter,) = view.documents
    assert letter.number == f"{number}-1"
    assert (letter.title, letter.direction) == ("Inquiry letter", "outgoing")
    assert letter.date == D("2024-10-09")
    assert view.history[-1].document == f"{number}-1"
    assert view.case.documents_count == 1


@pytest.mark.parametrize(
    ("sent_at", "due"),
    [
        (utc(10, 9), "2024-10-11"),  # Wednesday -> Friday
        (utc(10, 11), "2024-10-15"),  # Friday -> Tuesday, over the weekend
        (utc(10, 12), "2024-10-15"),  # Saturday: counted from the Saturday
    ],
    ids=["wednesday", "friday", "saturday"],
)
def test_inquiry_sent_has_two_working_days(
    fast_engine: CaseEngine, sent_at: datetime, due: str
) -> None:
    number = case_in(fast_engine, "opened")

    view = fast_engine.fire(number, "send_inquiry", actor="jur", at=sent_at)

    assert view.case.state == "inquiry_sent"
    assert view.case.due == D(due)


@pytest.mark.parametrize(
    ("inquiry_data", "due"),
    [
        ({}, "2024-11-06"),  # 20 working days after 9 Oct, across the DST change
        ({"reply_by": "2024-11-15"}, "2024-11-15"),  # the date the letter gave
        ({"reply_by": "2024-10-09"}, "2024-10-09"),  # the same day is not before it
    ],
    ids=["20-working-days", "reply-by", "reply-by-same-day"],
)
def test_mark_dispatched_sets_the_reply_deadline(
    fast_engine: CaseEngine, inquiry_data: dict[str, object], due: str
) -> None:
    number = case_in(fast_engine, "opened")
    fast_engine.fire(
        number, "send_inquiry", actor="jur", data=inquiry_data, at=utc(10, 9)
    )

    view = fast_engine.fire(number, "mark_dispatched", actor="jur", at=utc(10, 9, 14))

    assert view.case.state == "awaiting_reply"
    assert view.case.due == D(due)
    assert view.history[-1].due_before == D("2024-10-11")
    assert view.history[-1].due_after == D(due)


def test_system_marks_dispatched(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "inquiry_sent")

    view = fast_engine.fire(number, "mark_dispatched", actor="system")

    assert view.history[-1].role == "system"
    assert view.case.state == "awaiting_reply"


def test_reply_by_in_the_past_does_not_block_dispatch(fast_engine: CaseEngine) -> None:
    """Either send_inquiry refuses the date, or the letter can still go out."""
    number = case_in(fast_engine, "opened")
    try:
        fast_engine.fire(
            number,
            "send_inquiry",
            actor="jur",
            data={"reply_by": "2024-10-01"},
            at=utc(10, 9),
        )
    except InvalidDataError:
        return  # refused up front

    view = fast_engine.fire(number, "mark_dispatched", actor="jur", at=utc(10, 9, 14))

    assert view.case.state == "awaiting_reply"


def test_first_extension_by_caseworker(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "awaiting_reply")

    view = fast_engine.fire(
        number,
        "extend_deadline",
        actor="jur",
        data={"reply_by": "2024-11-20", "reason": "The administration asked"},
        at=utc(10, 30),
    )

    assert view.case.state == "awaiting_reply"
    assert view.case.due == D("2024-11-20")
    assert view.case.data["reason"] == "The administration asked"
    assert view.history[-1].due_before == D("2024-11-06")


def _extend(
    engine: CaseEngine, number: str, actor: str, reply_by: str, at: datetime
) -> CaseView:
    return engine.fire(
        number,
        "extend_deadline",
        actor=actor,
        data={"reply_by": reply_by, "reason": "asked for more time"},
        at=at,
    )


def test_second_extension_needs_the_advisor(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "awaiting_reply")
    _extend(fast_engine, number, "jur", "2024-11-20", utc(10, 30))

    with pytest.raises(GuardRejectedError) as info:
        _extend(fast_engine, number, "jur2", "2024-11-27", utc(11, 18))
    assert info.value.guard == "repeat_needs_advisor"
    assert fast_engine.show(number).case.due == D("2024-11-20")

    view = _extend(fast_engine, number, "bra", "2024-11-27", utc(11, 18))
    assert view.case.due == D("2024-11-27")
    assert view.history[-1].role == "advisor"


def test_note_between_extensions_does_not_start_a_new_stay(
    fast_engine: CaseEngine,
) -> None:
    number = case_in(fast_engine, "awaiting_reply")
    _extend(fast_engine, number, "jur", "2024-11-20", utc(10, 30))
    fast_engine.fire(number, "note", actor="jur", document="Call", at=utc(11, 1))

    with pytest.raises(GuardRejectedError):
        _extend(fast_engine, number, "jur", "2024-11-27", utc(11, 18))


def test_first_extension_of_a_new_stay_is_the_caseworkers_again(
    fast_engine: CaseEngine,
) -> None:
    number = case_in(fast_engine, "awaiting_reply")
    _extend(fast_engine, number, "jur", "2024-11-06", utc(10, 30))
    fast_engine.fire(number, "receive_reply", actor="jur", at=utc(11, 10, 12))
    fast_engine.fire(
        number, "close", actor="bra", data={"outcome": "no_further_action"}
    )
    fast_engine.fire(number, "reopen", actor="bra", data={"reason": "new facts"})
    fast_engine.fire(number, "send_inquiry", actor="jur")
    fast_engine.fire(number, "mark_dispatched", actor="jur")

    view = _extend(fast_engine, number, "jur", "2025-01-31", utc(11, 25, 9))

    assert view.case.due == D("2025-01-31")


def test_extension_before_the_events_date_is_refused(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "awaiting_reply")

    with pytest.raises(InvalidDataError, match="reply_by"):
        _extend(fast_engine, number, "bra", "2024-10-29", utc(10, 30))
    assert fast_engine.show(number).case.due == D("2024-11-06")


def test_extension_needs_a_date_and_a_reason(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "awaiting_reply")

    with pytest.raises(InvalidDataError) as info:
        fast_engine.fire(number, "extend_deadline", actor="jur", at=utc(10, 30))

    assert "'reply_by'" in str(info.value)
    assert "'reason'" in str(info.value)


@pytest.mark.parametrize("state", ["inquiry_sent", "awaiting_reply"])
def test_receive_reply(fast_engine: CaseEngine, state: str) -> None:
    number = case_in(fast_engine, state)

    view = fast_engine.fire(number, "receive_reply", actor="jur", at=utc(11, 10, 12))

    assert view.case.state == "assessed"
    reply = view.documents[-1]
    assert (reply.title, reply.direction) == (
        "Reply from the administration",
        "incoming",
    )
    assert reply.date == D("2024-11-10")
    assert reply.number == f"{number}-2"


def test_assessed_has_ten_working_days(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "awaiting_reply")

    view = fast_engine.fire(number, "receive_reply", actor="jur", at=utc(11, 10, 12))

    # Received on Sunday 10 Nov: 11 Nov is the first of the ten working days.
    assert view.case.due == D("2024-11-22")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "'close' needs 'outcome'"),
        ({"outcome": "criticism"}, "'severity' is required when outcome is"),
        (
            {"outcome": "criticism_with_recommendation"},
            "'severity' is required when outcome is",
        ),
        ({"outcome": "shrug"}, "'outcome': 'shrug' is not allowed"),
        ({"outcome": "rejected"}, "'outcome': 'rejected' is not allowed"),
        (
            {"outcome": "no_further_action", "severity": "harsh"},
            "'severity': 'harsh' is not allowed",
        ),
    ],
    ids=[
        "no-outcome",
        "criticism-without-severity",
        "recommendation-without-severity",
        "unknown-outcome",
        "rejected-is-not-a-closing-outcome",
        "unknown-severity",
    ],
)
def test_close_refuses_bad_data(
    fast_engine: CaseEngine, data: dict[str, object], message: str
) -> None:
    number = case_in(fast_engine, "assessed")

    with pytest.raises(InvalidDataError, match=message):
        fast_engine.fire(number, "close", actor="bra", data=data)
    assert fast_engine.show(number).case.state == "assessed"


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "no_further_action"},
        {"outcome": "resolved_in_dialogue", "reason": "settled by phone"},
        {"outcome": "criticism", "severity": "mild"},
        {"outcome": "criticism_with_recommendation", "severity": "very_serious"},
    ],
    ids=["no-further-action", "dialogue", "criticism", "recommendation"],
)
def test_close(fast_engine: CaseEngine, data: dict[str, object]) -> None:
    """Criticism is allowed: the administration's reply is on the case."""
    number = case_in(fast_engine, "assessed")

    view = fast_engine.fire(number, "close", actor="bra", data=data, at=utc(11, 20))

    assert view.case.state == "closed"
    assert view.case.due is None
    assert {k: view.case.data[k] for k in data} == data
    letter = view.documents[-1]
    assert (letter.title, letter.direction) == ("Closing letter", "outgoing")
    assert letter.number == f"{number}-3"


def test_reject_sets_outcome_rejected(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "opened")

    view = fast_engine.fire(
        number, "reject", actor="bra", data={"reason": "outside the office's remit"}
    )

    assert view.case.state == "closed"
    assert view.case.data["outcome"] == "rejected"
    assert view.history[-1].readable == {
        "reason": "outside the office's remit",
        "outcome": "rejected",
    }
    assert view.documents[-1].title == "Rejection letter"


def test_reject_needs_a_reason(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "opened")

    with pytest.raises(InvalidDataError, match="'reject' needs 'reason'"):
        fast_engine.fire(number, "reject", actor="bra")


def test_reject_cannot_choose_the_outcome(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "opened")

    with pytest.raises(InvalidDataError, match="takes no field 'outcome'"):
        fast_engine.fire(
            number,
            "reject",
            actor="bra",
            data={"reason": "no", "outcome": "withdrawn"},
        )


@pytest.mark.parametrize("state", STATES[:-1])
def test_withdraw_from_every_open_state(fast_engine: CaseEngine, state: str) -> None:
    number = case_in(fast_engine, state)

    view = fast_engine.fire(number, "withdraw", actor="jur")

    assert view.case.state == "closed"
    assert view.case.data["outcome"] == "withdrawn"
    assert view.case.due is None


def test_withdraw_journals_the_citizens_letter_when_titled(
    fast_engine: CaseEngine,
) -> None:
    number = case_in(fast_engine, "opened")

    view = fast_engine.fire(
        number, "withdraw", actor="jur", document="Letter withdrawing the complaint"
    )

    assert view.documents[-1].direction == "incoming"


def test_reopen_needs_a_reason(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "closed")

    with pytest.raises(InvalidDataError, match="'reopen' needs 'reason'"):
        fast_engine.fire(number, "reopen", actor="bra")


def test_reopen_clears_the_outcome_and_keeps_number_and_documents(
    fast_engine: CaseEngine,
) -> None:
    number = open_case(fast_engine).case.number
    fast_engine.fire(
        number,
        "send_inquiry",
        actor="jur",
        data={"reply_by": "2024-11-08"},
        at=utc(10, 9),
    )
    fast_engine.fire(number, "mark_dispatched", actor="jur", at=utc(10, 9, 14))
    fast_engine.fire(number, "receive_reply", actor="jur", at=utc(11, 10, 12))
    closed = fast_engine.fire(
        number,
        "close",
        actor="bra",
        data={"outcome": "criticism", "severity": "serious"},
        at=utc(11, 20),
    )
    assert closed.documents[-1].number == f"{number}-3"

    view = fast_engine.fire(
        number,
        "reopen",
        actor="bra",
        data={"reason": "the administration sent new information"},
        document="Reopening note",
        at=utc(11, 22),
    )

    assert view.case.number == number
    assert view.case.state == "opened"
    assert view.case.due == D("2024-12-06")  # intake anew: 10 working days from 22 Nov
    for cleared in ("outcome", "severity", "reply_by"):
        assert cleared not in view.case.data
    assert view.case.data["reason"] == "the administration sent new information"
    assert view.documents[-1].number == f"{number}-4"
    assert view.documents[-1].direction == "note"

    again = fast_engine.fire(number, "send_inquiry", actor="jur")
    assert again.documents[-1].number == f"{number}-5"
    assert [d.number for d in again.documents] == [f"{number}-{i}" for i in range(1, 6)]
    after = fast_engine.fire(number, "mark_dispatched", actor="jur")
    assert after.case.due == D("2024-12-23")  # 20 working days, not the old reply_by


@pytest.mark.parametrize(
    ("state", "due"),
    [
        ("opened", "2024-10-22"),
        ("inquiry_sent", "2024-10-11"),
        ("awaiting_reply", "2024-11-06"),
        ("assessed", "2024-11-22"),
        ("closed", None),
    ],
)
def test_note_keeps_state_and_deadline(
    fast_engine: CaseEngine, state: str, due: str | None
) -> None:
    number = case_in(fast_engine, state)
    before = fast_engine.show(number).case

    view = fast_engine.fire(
        number,
        "note",
        actor="ind",
        data={"direction": "incoming"},
        document="Phone call from the administration",
    )

    case = view.case
    assert case.state == state
    assert case.due == (D(due) if due else None)
    assert case.state_entered_at == before.state_entered_at
    assert case.chase_position == before.chase_position
    assert case.version == before.version + 1
    entry = view.history[-1]
    assert (entry.from_state, entry.to_state) == (state, state)
    assert entry.due_before == entry.due_after == case.due
    note = view.documents[-1]
    assert note.title == "Phone call from the administration"
    assert note.direction == "incoming"


def test_note_needs_a_document_title(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "awaiting_reply")

    with pytest.raises(InvalidDataError, match="'note' journals a document"):
        fast_engine.fire(number, "note", actor="jur")
    with pytest.raises(InvalidDataError, match="a document needs a title"):
        fast_engine.fire(number, "note", actor="jur", document="   ")


def test_the_founding_case(fast_engine: CaseEngine) -> None:
    """Egen drift by the advisor, inquiry 9 Oct, reply Sunday 10 Nov, closed 20 Nov."""
    view = open_case(
        fast_engine,
        actor="bra",
        data={"own_initiative": True},
        document="Note on the police report",
    )
    number = view.case.number
    for event, actor, data, at in PATH:
        view = fast_engine.fire(number, event, actor=actor, data=data, at=at)

    assert [e.event for e in view.history] == [
        "open",
        "send_inquiry",
        "mark_dispatched",
        "receive_reply",
        "close",
    ]
    assert [(e.to_state, e.due_after) for e in view.history] == [
        ("opened", D("2024-10-22")),
        ("inquiry_sent", D("2024-10-11")),
        ("awaiting_reply", D("2024-11-06")),
        ("assessed", D("2024-11-22")),
        ("closed", None),
    ]
    assert [(d.number, d.direction, d.date) for d in view.documents] == [
        (f"{number}-1", "note", D("2024-10-08")),
        (f"{number}-2", "outgoing", D("2024-10-09")),
        (f"{number}-3", "incoming", D("2024-11-10")),
        (f"{number}-4", "outgoing", D("2024-11-20")),
    ]
    assert view.case.data == {"own_initiative": True, "outcome": "no_further_action"}
