"""The bundled `access-to-documents` workflow: transitions, roles and rules.

Offentlighedsloven § 36: answer within 7 working days of receipt, or tell the
requester why not and when. The clock stands at 25 Nov 2024 09:00 UTC; steps are
back-dated with `at=`. 7 Oct 2024 is a Monday, 9 Oct a Wednesday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import product

import pytest

from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.exceptions import (
    InvalidDataError,
    RoleNotAllowedError,
    TransitionNotAllowedError,
)
from engine.workflow.machine import WorkflowMachine
from engine.workflow.registry import WorkflowRegistry

WORKFLOW = "access-to-documents"
D = date.fromisoformat


def utc(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


@pytest.fixture
def machine(registry: WorkflowRegistry) -> WorkflowMachine:
    return registry.machine(registry.get(WORKFLOW))


# ------------------------------------------------------------ transition table

STATES = ("received", "being_processed", "decided", "closed")
EVENTS = (
    "open",
    "start_processing",
    "notify_delay",
    "decide",
    "close",
    "withdraw",
    "reopen",
    "note",
)
ALLOWED_IN = {
    "received": ("start_processing", "notify_delay", "withdraw", "note"),
    "being_processed": ("notify_delay", "decide", "withdraw", "note"),
    "decided": ("close", "withdraw", "note"),
    "closed": ("reopen", "note"),
}
NO = None  # the event is not allowed in the state

TABLE = [
    ("received", "open", NO),
    ("received", "start_processing", "being_processed"),
    ("received", "notify_delay", "being_processed"),
    ("received", "decide", NO),
    ("received", "close", NO),
    ("received", "withdraw", "closed"),
    ("received", "reopen", NO),
    ("received", "note", "received"),
    ("being_processed", "open", NO),
    ("being_processed", "start_processing", NO),
    ("being_processed", "notify_delay", "being_processed"),
    ("being_processed", "decide", "decided"),
    ("being_processed", "close", NO),
    ("being_processed", "withdraw", "closed"),
    ("being_processed", "reopen", NO),
    ("being_processed", "note", "being_processed"),
    ("decided", "open", NO),
    ("decided", "start_processing", NO),
    ("decided", "notify_delay", NO),
    ("decided", "decide", NO),
    ("decided", "close", "closed"),
    ("decided", "withdraw", "closed"),
    ("decided", "reopen", NO),
    ("decided", "note", "decided"),
    ("closed", "open", NO),
    ("closed", "start_processing", NO),
    ("closed", "notify_delay", NO),
    ("closed", "decide", NO),
    ("closed", "close", NO),
    ("closed", "withdraw", NO),
    ("closed", "reopen", "being_processed"),
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
        machine.next_state(state, event, case_number="2024-0000001")

    error = info.value
    assert error.allowed == ALLOWED_IN[state]
    assert (error.number, error.state, error.event) == ("2024-0000001", state, event)


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
        machine.next_state(state, "grant_everything")

    assert info.value.allowed == ALLOWED_IN[state]


# ------------------------------------------------------------------ helpers

# A plain request: received Monday 7 Oct, registered Wednesday 9 Oct, granted.
PATH = [
    ("start_processing", "jur", {}, utc(10, 10)),
    ("decide", "jur", {"decision": "granted"}, utc(10, 14)),
    ("close", "jur", {}, utc(10, 15)),
]


def open_case(
    engine: CaseEngine,
    *,
    actor: str = "ind",
    received_on: str | None = "2024-10-07",
    at: datetime | None = None,
) -> CaseView:
    """Open a request registered on 9 Oct 2024 (unless `at` says otherwise)."""
    data = {"received_on": received_on} if received_on else {}
    return engine.open_case(
        WORKFLOW,
        actor=actor,
        title="Request for the case file",
        data=data,
        at=at or utc(10, 9),
    )


def case_in(engine: CaseEngine, state: str) -> str:
    """A new request moved along `PATH` until it is in `state`."""
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
    "start_processing": ("received", {}),
    "notify_delay": (
        "received",
        {"answer_by": "2024-12-20", "reason": "many documents to assess"},
    ),
    "decide": ("being_processed", {"decision": "granted"}),
    "close": ("decided", {}),
    "withdraw": ("received", {}),
    "reopen": ("closed", {"reason": "the requester complained"}),
    "note": ("received", {}),
}

MAY = {
    "open": {"intake", "caseworker", "advisor"},
    "start_processing": {"caseworker"},
    "notify_delay": {"caseworker", "advisor"},
    "decide": {"caseworker", "advisor"},
    "close": {"caseworker", "advisor"},
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
            return open_case(fast_engine, actor=actor)
        state, data = FIRING[event]
        number = case_in(fast_engine, state)
        document = "Call with the requester" if event == "note" else None
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
    ("received_on", "opened_at", "due"),
    [
        ("2024-10-07", utc(10, 9), "2024-10-16"),  # Monday: 8-11, 14-16 Oct
        (None, utc(10, 9), "2024-10-18"),  # from the opening day, Wednesday
        ("2024-10-09", utc(10, 9), "2024-10-18"),  # received the day it is opened
        ("2024-10-12", utc(10, 14), "2024-10-22"),  # a Saturday: 14 Oct is day 1
        ("2024-03-27", utc(4, 2), "2024-04-10"),  # 28 Mar-1 Apr are Easter holidays
    ],
    ids=["received-monday", "no-date", "same-day", "saturday", "over-easter"],
)
def test_answer_due_seven_working_days_after_receipt(
    fast_engine: CaseEngine, received_on: str | None, opened_at: datetime, due: str
) -> None:
    view = open_case(fast_engine, received_on=received_on, at=opened_at)

    assert view.case.state == "received"
    assert view.case.due == D(due)
    assert view.history[0].due_after == D(due)


def test_opening_journals_the_request(fast_engine: CaseEngine) -> None:
    view = open_case(fast_engine)

    (request,) = view.documents
    number = view.case.number
    assert request.number == f"{number}-1"
    assert (request.title, request.direction) == (
        "Request for access to documents",
        "incoming",
    )
    assert request.date == D("2024-10-09")


def test_start_processing_keeps_the_deadline_from_receipt(
    fast_engine: CaseEngine,
) -> None:
    number = case_in(fast_engine, "received")

    view = fast_engine.fire(number, "start_processing", actor="jur", at=utc(10, 10))

    assert view.case.state == "being_processed"
    assert view.case.due == D("2024-10-16")


def test_start_processing_keeps_the_deadline_from_the_opening_day(
    fast_engine: CaseEngine,
) -> None:
    number = open_case(fast_engine, received_on=None).case.number

    view = fast_engine.fire(number, "start_processing", actor="jur", at=utc(10, 10))

    assert view.case.due == D("2024-10-18")


def test_received_on_after_the_opening_is_refused(fast_engine: CaseEngine) -> None:
    with pytest.raises(InvalidDataError, match="received_on"):
        open_case(fast_engine, received_on="2024-12-07", at=utc(10, 9))


@pytest.mark.parametrize("state", ["received", "being_processed"])
def test_notify_delay_sets_answer_by_as_the_deadline(
    fast_engine: CaseEngine, state: str
) -> None:
    number = case_in(fast_engine, state)

    view = fast_engine.fire(
        number,
        "notify_delay",
        actor="jur",
        data={"answer_by": "2024-11-01", "reason": "many documents to assess"},
        at=utc(10, 11),
    )

    assert view.case.state == "being_processed"
    assert view.case.due == D("2024-11-01")
    assert view.history[-1].due_before == D("2024-10-16")
    notice = view.documents[-1]
    assert (notice.title, notice.direction) == ("Notice of delay", "outgoing")
    assert notice.number == f"{view.case.number}-2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"answer_by": "2024-11-01"}, "'notify_delay' needs 'reason'"),
        ({"reason": "many documents"}, "'notify_delay' needs 'answer_by'"),
        (
            {"answer_by": "1 Nov", "reason": "many documents"},
            "'answer_by': '1 Nov' is not a date",
        ),
        (
            {"answer_by": "2024-10-10", "reason": "many documents"},
            "'answer_by' 2024-10-10 lies before the event's date 2024-10-11",
        ),
    ],
    ids=["no-reason", "no-date", "not-a-date", "date-before-the-notice"],
)
def test_notify_delay_refuses_bad_data(
    fast_engine: CaseEngine, data: dict[str, object], message: str
) -> None:
    number = case_in(fast_engine, "being_processed")

    with pytest.raises(InvalidDataError, match=message):
        fast_engine.fire(number, "notify_delay", actor="jur", data=data, at=utc(10, 11))
    assert fast_engine.show(number).case.due == D("2024-10-16")


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "granted"},
        {"decision": "partly_granted", "reason": "third-party interests"},
        {"decision": "refused", "reason": "internal working documents"},
    ],
    ids=["granted", "partly-granted", "refused"],
)
def test_decide(fast_engine: CaseEngine, data: dict[str, object]) -> None:
    number = case_in(fast_engine, "being_processed")

    view = fast_engine.fire(number, "decide", actor="jur", data=data, at=utc(10, 14))

    assert view.case.state == "decided"
    assert view.case.due is None
    assert {k: view.case.data[k] for k in data} == data
    decision = view.documents[-1]
    assert (decision.title, decision.direction) == (
        "Decision on access to documents",
        "outgoing",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "'decide' needs 'decision'"),
        ({"decision": "refused"}, "'reason' is required when decision is 'refused'"),
        (
            {"decision": "partly_granted"},
            "'reason' is required when decision is 'partly_granted'",
        ),
        ({"decision": "withdrawn"}, "'decision': 'withdrawn' is not allowed"),
        ({"decision": "refused", "reason": "  "}, "'reason': must be a non-empty"),
    ],
    ids=["no-decision", "refused", "partly-granted", "withdrawn", "blank-reason"],
)
def test_decide_refuses_bad_data(
    fast_engine: CaseEngine, data: dict[str, object], message: str
) -> None:
    number = case_in(fast_engine, "being_processed")

    with pytest.raises(InvalidDataError, match=message):
        fast_engine.fire(number, "decide", actor="jur", data=data, at=utc(10, 14))


def test_close_after_the_decision(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "decided")

    view = fast_engine.fire(number, "close", actor="jur", at=utc(10, 15))

    assert view.case.state == "closed"
    assert view.case.data["decision"] == "granted"


@pytest.mark.parametrize("state", STATES[:-1])
def test_withdraw_from_every_open_state(fast_engine: CaseEngine, state: str) -> None:
    number = case_in(fast_engine, state)

    view = fast_engine.fire(number, "withdraw", actor="jur")

    assert view.case.state == "closed"
    assert view.case.data["decision"] == "withdrawn"
    assert view.case.due is None


def test_reopen_needs_a_reason(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "closed")

    with pytest.raises(InvalidDataError, match="'reopen' needs 'reason'"):
        fast_engine.fire(number, "reopen", actor="bra")


def test_reopen_goes_back_to_processing(fast_engine: CaseEngine) -> None:
    number = open_case(fast_engine, received_on=None).case.number
    fast_engine.fire(
        number,
        "notify_delay",
        actor="jur",
        data={"answer_by": "2024-10-25", "reason": "many documents"},
        at=utc(10, 10),
    )
    fast_engine.fire(
        number, "decide", actor="jur", data={"decision": "granted"}, at=utc(10, 14)
    )
    fast_engine.fire(number, "close", actor="jur", at=utc(10, 15))

    view = fast_engine.fire(
        number,
        "reopen",
        actor="bra",
        data={"reason": "the requester complained"},
        document="Complaint received",
        at=utc(10, 16),
    )

    assert view.case.number == number
    assert view.case.state == "being_processed"
    assert "decision" not in view.case.data
    assert "answer_by" not in view.case.data
    assert view.case.due == D("2024-10-25")  # 7 working days from 16 Oct
    assert [d.number for d in view.documents] == [f"{number}-{i}" for i in (1, 2, 3, 4)]
    assert view.documents[-1].direction == "note"


def test_reopened_request_is_not_overdue_at_once(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "closed")

    view = fast_engine.fire(
        number,
        "reopen",
        actor="bra",
        data={"reason": "the requester complained"},
        at=utc(11, 15),
    )

    assert view.case.due is not None
    assert view.case.due >= D("2024-11-15")


@pytest.mark.parametrize(
    ("state", "due"),
    [
        ("received", "2024-10-16"),
        ("being_processed", "2024-10-16"),
        ("decided", None),
        ("closed", None),
    ],
)
def test_note_keeps_state_and_deadline(
    fast_engine: CaseEngine, state: str, due: str | None
) -> None:
    number = case_in(fast_engine, state)
    before = fast_engine.show(number).case

    view = fast_engine.fire(
        number, "note", actor="ind", document="Call with the requester"
    )

    assert view.case.state == state
    assert view.case.due == (D(due) if due else None)
    assert view.case.state_entered_at == before.state_entered_at
    assert view.documents[-1].direction == "note"


def test_note_needs_a_document_title(fast_engine: CaseEngine) -> None:
    number = case_in(fast_engine, "received")

    with pytest.raises(InvalidDataError, match="'note' journals a document"):
        fast_engine.fire(number, "note", actor="jur")
