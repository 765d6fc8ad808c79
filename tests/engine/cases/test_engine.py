"""Tests for engine.cases.engine.CaseEngine, on every store (memory and SQLite).

The founding case (docs/domain.md) is replayed with back-dated effective times while
the fake clock stands at 2024-11-25 09:00 UTC, so `at` and `recorded_at` differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.dates.calendars import BusinessCalendar
from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DefinitionError,
    DuplicateError,
    EngineError,
    GuardRejectedError,
    InvalidDataError,
    InvalidInputError,
    InvalidTimeError,
    RoleNotAllowedError,
    TransitionNotAllowedError,
    UserNotFoundError,
    WorkflowNotFoundError,
)
from engine.logs import contains_cpr
from engine.records import AuditEntry, AuditFilter, Case, CaseFilter, Party
from engine.testing import FakeClock
from engine.workflow.file import parse_workflow
from engine.workflow.guards import GUARDS
from engine.workflow.registry import WorkflowRegistry
from workflows import bundled_paths

WORKFLOW = "ombudsman-inquiry"
CEST = timezone(timedelta(hours=2))  # Copenhagen summer time (until 27 Oct 2024)
CET = timezone(timedelta(hours=1))  # Copenhagen winter time
NOW = datetime(2024, 11, 25, 9, 0, tzinfo=UTC)  # the conftest clock

OPENED_AT = datetime(2024, 10, 3, 10, 0, tzinfo=CEST)
INQUIRY_AT = datetime(2024, 10, 9, 9, 30, tzinfo=CEST)
DISPATCHED_AT = datetime(2024, 10, 9, 15, 0, tzinfo=CEST)
REPLY_AT = datetime(2024, 11, 10, 11, 0, tzinfo=CET)  # a Sunday
CLOSED_AT = datetime(2024, 11, 20, 14, 0, tzinfo=CET)
AUTHORITY = Party(role="authority", name="Socialforvaltningen")


def _open_founding_case(engine: CaseEngine) -> str:
    view = engine.open_case(
        WORKFLOW,
        actor="bra",
        title="Police report for digital harassment",
        parties=[AUTHORITY],
        data={"own_initiative": True},
        at=OPENED_AT,
    )
    return view.case.number


def _awaiting_reply(engine: CaseEngine) -> str:
    """The founding case up to the point where Social Services owes a reply."""
    number = _open_founding_case(engine)
    engine.fire(number, "send_inquiry", actor="jur", at=INQUIRY_AT)
    engine.fire(number, "mark_dispatched", actor="jur", at=DISPATCHED_AT)
    return number


@dataclass(frozen=True)
class _Snapshot:
    cases: tuple[Case, ...]
    audit: tuple[AuditEntry, ...]
    users: tuple[object, ...]
    views: tuple[CaseView, ...]


def _snapshot(engine: CaseEngine) -> _Snapshot:
    cases = tuple(engine.list_cases(CaseFilter()))
    return _Snapshot(
        cases=cases,
        audit=tuple(engine.audit_log(AuditFilter())),
        users=tuple(engine.list_users()),
        views=tuple(engine.show(c.number) for c in cases),
    )


# -- the founding case ----------------------------------------------------------
def test_founding_case_is_recorded_step_by_step(engine: CaseEngine) -> None:
    number = _awaiting_reply(engine)
    engine.fire(number, "receive_reply", actor="jur", at=REPLY_AT)
    view = engine.fire(
        number,
        "close",
        actor="bra",
        data={"outcome": "no_further_action"},
        at=CLOSED_AT,
    )

    calendar = BusinessCalendar().id
    assert number == "2024-0000001"
    assert view == engine.show(number)
    steps = [
        (e.seq, e.event, e.from_state, e.to_state, e.actor, e.role, e.at)
        for e in view.history
    ]
    assert steps == [
        (1, "open", None, "opened", "bra", "advisor", OPENED_AT),
        (2, "send_inquiry", "opened", "inquiry_sent", "jur", "caseworker", INQUIRY_AT),
        (
            3,
            "mark_dispatched",
            "inquiry_sent",
            "awaiting_reply",
            "jur",
            "caseworker",
            DISPATCHED_AT,
        ),
        (
            4,
            "receive_reply",
            "awaiting_reply",
            "assessed",
            "jur",
            "caseworker",
            REPLY_AT,
        ),
        (5, "close", "assessed", "closed", "bra", "advisor", CLOSED_AT),
    ]
    deadlines = [
        (e.due_before, e.due_after, e.calendar, e.document) for e in view.history
    ]
    assert deadlines == [
        (None, date(2024, 10, 17), calendar, None),  # intake: 10 working days
        (date(2024, 10, 17), date(2024, 10, 11), calendar, f"{number}-1"),
        (date(2024, 10, 11), date(2024, 11, 6), calendar, None),
        (date(2024, 11, 6), date(2024, 11, 22), calendar, f"{number}-2"),
        (date(2024, 11, 22), None, None, f"{number}-3"),
    ]
    for entry in view.history:
        assert entry.recorded_at == NOW
        assert entry.case_number == number
        assert (entry.workflow, entry.workflow_version) == (WORKFLOW, 3)
    assert view.history[0].readable == {
        "title": "Police report for digital harassment",
        "own_initiative": True,
        "parties": {"authority": {"name": "Socialforvaltningen", "email": None}},
    }
    assert view.history[-1].readable == {"outcome": "no_further_action"}

    documents = [
        (d.seq, d.number, d.title, d.direction, d.date, d.event_seq)
        for d in view.documents
    ]
    assert documents == [
        (1, f"{number}-1", "Inquiry letter", "outgoing", date(2024, 10, 9), 2),
        (
            2,
            f"{number}-2",
            "Reply from the administration",
            "incoming",
            date(2024, 11, 10),
            4,
        ),
        (3, f"{number}-3", "Closing letter", "outgoing", date(2024, 11, 20), 5),
    ]
    assert {d.recorded_at for d in view.documents} == {NOW}

    case = view.case
    assert (case.state, case.version, case.documents_count) == ("closed", 5, 3)
    assert (case.due, case.calendar, case.chase_position) == (None, None, 0)
    assert case.parties == (AUTHORITY,)
    assert case.data == {"own_initiative": True, "outcome": "no_further_action"}
    assert case.opened_at == OPENED_AT
    assert case.state_entered_at == case.last_event_at == CLOSED_AT
    assert case.updated_at == NOW


def test_waiting_period_across_the_dst_change_ends_on_local_date(
    engine: CaseEngine,
) -> None:
    """Dispatched 9 Oct (CEST), 20 working days later is 6 Nov (CET), not a UTC sum."""
    number = _awaiting_reply(engine)
    case = engine.show(number).case
    assert (case.state, case.due, case.calendar) == (
        "awaiting_reply",
        date(2024, 11, 6),
        BusinessCalendar().id,
    )


def test_back_dated_times_are_recorded_in_utc(engine: CaseEngine) -> None:
    """An `at` given at +02:00 is stored as the same instant in UTC (records.py)."""
    number = _open_founding_case(engine)
    view = engine.fire(number, "send_inquiry", actor="jur", at=INQUIRY_AT)
    instants = [
        view.case.opened_at,
        view.case.state_entered_at,
        view.case.last_event_at,
        *(e.at for e in view.history),
    ]
    assert instants == [OPENED_AT, INQUIRY_AT, INQUIRY_AT, OPENED_AT, INQUIRY_AT]
    assert {i.utcoffset() for i in instants} == {timedelta(0)}


# -- bad input leaves the store exactly as it was -------------------------------
Attempt = Callable[[CaseEngine, str], object]

BAD_INPUTS: list[Any] = [
    pytest.param(
        lambda e, n: e.fire("2024-0999999", "note", actor="jur", document="Call"),
        CaseNotFoundError,
        "no case '2024-0999999'",
        id="unknown-case",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "close", actor="bra", data={"outcome": "criticism"}),
        TransitionNotAllowedError,
        "allowed now: 'extend_deadline', 'receive_reply', 'withdraw', 'note'",
        id="event-not-allowed-now",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "approve", actor="bra"),
        TransitionNotAllowedError,
        "'approve' is not an event of this case's workflow",
        id="unknown-event",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "receive_reply", actor="ghost"),
        UserNotFoundError,
        "no user 'ghost'",
        id="unknown-user",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "receive_reply", actor="bra"),
        RoleNotAllowedError,
        "user 'bra' (advisor) may not 'receive_reply'",
        id="role-not-allowed",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "note", actor="rev", document="Read the file"),
        RoleNotAllowedError,
        "user 'rev' (auditor)",
        id="auditor-cannot-write",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "mark_dispatched", actor="system"),
        TransitionNotAllowedError,
        "cannot 'mark_dispatched'",
        id="system-event-in-wrong-state",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "extend_deadline", actor="jur", data={"reason": "ill"}),
        InvalidDataError,
        "'extend_deadline' needs 'reply_by'",
        id="missing-data",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "receive_reply", actor="jur", data={"colour": "red"}),
        InvalidDataError,
        "takes no field 'colour'",
        id="unknown-data",
    ),
    pytest.param(
        lambda e, n: e.fire(
            n,
            "extend_deadline",
            actor="jur",
            data={"reply_by": "next week", "reason": "ill"},
        ),
        InvalidDataError,
        "'reply_by': 'next week' is not a date",
        id="mistyped-date",
    ),
    pytest.param(
        lambda e, n: e.fire(
            n, "note", actor="jur", document="Call", data={"direction": "sideways"}
        ),
        InvalidDataError,
        "'sideways' is not allowed",
        id="choice-not-allowed",
    ),
    pytest.param(
        lambda e, n: e.fire(
            n,
            "extend_deadline",
            actor="jur",
            data={"reply_by": "2024-10-01", "reason": "ill"},
        ),
        InvalidDataError,
        "'reply_by' 2024-10-01 lies before",
        id="reply-by-in-the-past",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "note", actor="jur"),
        InvalidDataError,
        "'note' journals a document",
        id="required-document-missing",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "note", actor="jur", document="   "),
        InvalidDataError,
        "a document needs a title",
        id="blank-document-title",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "note", actor="jur", document="Call about 010190-1234"),
        InvalidDataError,
        "a document title must not hold a CPR number",
        id="cpr-in-document-title",
    ),
    pytest.param(
        lambda e, n: e.fire(
            n, "receive_reply", actor="jur", at=NOW + timedelta(seconds=1)
        ),
        InvalidTimeError,
        "lies in the future",
        id="at-in-the-future",
    ),
    pytest.param(
        lambda e, n: e.fire(
            n, "receive_reply", actor="jur", at=DISPATCHED_AT - timedelta(seconds=1)
        ),
        InvalidTimeError,
        "lies before the case's last step",
        id="at-before-last-entry",
    ),
    pytest.param(
        lambda e, n: e.fire(
            n,
            "receive_reply",
            actor="jur",
            at=datetime(2024, 11, 10, 12),  # noqa: DTZ001
        ),
        InvalidTimeError,
        "needs a time zone",
        id="naive-at",
    ),
    pytest.param(
        lambda e, n: e.fire(n, "receive_reply", actor="jur", expected_version=2),
        ConcurrentUpdateError,
        "since version 2 (it is now at version 3)",
        id="stale-expected-version",
    ),
    pytest.param(
        lambda e, n: e.open_case(
            WORKFLOW, actor="jur", title="Own motion", data={"own_initiative": True}
        ),
        GuardRejectedError,
        "only the advisor opens a case on the office's own initiative",
        id="guard-refuses-opening",
    ),
    pytest.param(
        lambda e, n: e.open_case(WORKFLOW, actor="jur", title="Citizen 0101901234"),
        InvalidDataError,
        "a case title must not hold a CPR number",
        id="cpr-in-case-title",
    ),
    pytest.param(
        lambda e, n: e.open_case(
            WORKFLOW, actor="jur", title="Complaint", document="Letter 010190 1234"
        ),
        InvalidDataError,
        "a document title must not hold a CPR number",
        id="cpr-in-opening-document",
    ),
    pytest.param(
        lambda e, n: e.open_case(WORKFLOW, actor="jur", title="  "),
        InvalidDataError,
        "a case needs a title",
        id="blank-case-title",
    ),
    pytest.param(
        lambda e, n: e.open_case(
            WORKFLOW,
            actor="jur",
            title="Complaint",
            parties=[Party(role="judge", name="Byretten")],
        ),
        InvalidDataError,
        "has no party role 'judge'",
        id="unknown-party-role",
    ),
    pytest.param(
        lambda e, n: e.open_case(
            WORKFLOW, actor="jur", title="Complaint", parties=[AUTHORITY, AUTHORITY]
        ),
        InvalidDataError,
        "party role 'authority' given twice",
        id="party-role-twice",
    ),
    pytest.param(
        lambda e, n: e.open_case(
            WORKFLOW, actor="jur", title="Complaint", at=NOW + timedelta(days=1)
        ),
        InvalidTimeError,
        "lies in the future",
        id="opening-in-the-future",
    ),
    pytest.param(
        lambda e, n: e.open_case(WORKFLOW, actor="rev", title="Complaint"),
        RoleNotAllowedError,
        "may not 'open'",
        id="auditor-cannot-open",
    ),
    pytest.param(
        lambda e, n: e.open_case("parking-fines", actor="jur", title="Complaint"),
        WorkflowNotFoundError,
        "no workflow 'parking-fines'",
        id="unknown-workflow",
    ),
    pytest.param(
        lambda e, n: e.open_case(WORKFLOW, actor="jur", title="Again", number=n),
        DuplicateError,
        "already exists",
        id="duplicate-case-number",
    ),
    pytest.param(
        lambda e, n: e.add_user("bra", ["caseworker"]),
        DuplicateError,
        "user 'bra' already exists",
        id="duplicate-user",
    ),
    *(
        pytest.param(
            lambda e, n, address=address: e.open_case(
                WORKFLOW,
                actor="jur",
                title="Complaint",
                parties=[Party(role="authority", name="Forvaltningen", email=address)],
            ),
            InvalidDataError,
            "party 'authority': the e-mail address is not one valid address",
            id=f"party-email-{name}",
        )
        for name, address in (
            ("header-injection", "f@kk.dk\r\nBcc: all@kk.dk"),
            ("list", "f@kk.dk, g@kk.dk"),
            ("display-name", "Forvaltningen <f@kk.dk>"),
            ("no-at", "forvaltningen"),
            ("special-use", "f@kk.local"),
        )
    ),
    pytest.param(
        lambda e, n: e.open_case(
            WORKFLOW,
            actor="jur",
            title="Complaint",
            parties=[Party(role="authority", name="F", email="010190-1234@kk.dk")],
        ),
        InvalidDataError,
        "an e-mail address must not hold a CPR number",
        id="party-email-cpr",
    ),
    pytest.param(
        lambda e, n: e.add_user("kim", ["caseworker"], "kim@kk.dk\nBcc: x@y.dk"),
        InvalidDataError,
        "user 'kim': the e-mail address is not one valid address",
        id="user-email-two-lines",
    ),
]


@pytest.mark.parametrize(("attempt", "error", "message"), BAD_INPUTS)
def test_bad_input_is_refused_and_leaves_the_store_as_it_was(
    engine: CaseEngine, attempt: Attempt, error: type[EngineError], message: str
) -> None:
    number = _awaiting_reply(engine)
    before = _snapshot(engine)

    with pytest.raises(error) as caught:
        attempt(engine, number)

    assert message in str(caught.value)
    assert not contains_cpr(str(caught.value))  # the refusal never echoes one
    assert _snapshot(engine) == before


def test_transition_not_allowed_names_the_allowed_events(engine: CaseEngine) -> None:
    number = _awaiting_reply(engine)
    with pytest.raises(TransitionNotAllowedError) as caught:
        engine.fire(number, "close", actor="bra", data={"outcome": "criticism"})
    error = caught.value
    assert (error.number, error.state, error.event) == (
        number,
        "awaiting_reply",
        "close",
    )
    assert error.allowed == ("extend_deadline", "receive_reply", "withdraw", "note")


def test_guard_refusing_a_second_extension_leaves_the_store_as_it_was(
    engine: CaseEngine,
) -> None:
    """The caseworker grants the first extension; a second one needs the advisor."""
    number = _awaiting_reply(engine)
    extension = {"reply_by": "2024-12-06", "reason": "asked for more time"}
    engine.fire(number, "extend_deadline", actor="jur", data=extension)
    before = _snapshot(engine)

    with pytest.raises(GuardRejectedError) as caught:
        engine.fire(number, "extend_deadline", actor="jur", data=extension)

    assert caught.value.guard == "repeat_needs_advisor"
    assert _snapshot(engine) == before
    view = engine.fire(number, "extend_deadline", actor="bra", data=extension)
    assert (view.case.version, view.history[-1].role) == (5, "advisor")


def test_refused_openings_consume_no_case_number(engine: CaseEngine) -> None:
    engine.open_case(WORKFLOW, actor="jur", title="First")
    for title in ("About 010190-1234", "   "):
        with pytest.raises(InvalidDataError):
            engine.open_case(WORKFLOW, actor="jur", title=title)
    with pytest.raises(GuardRejectedError):
        engine.open_case(
            WORKFLOW, actor="jur", title="Own", data={"own_initiative": True}
        )
    assert engine.open_case(WORKFLOW, actor="jur", title="Second").case.number == (
        "2024-0000002"
    )


def test_expected_version_that_is_current_is_accepted(engine: CaseEngine) -> None:
    number = _awaiting_reply(engine)
    view = engine.fire(number, "receive_reply", actor="jur", expected_version=3)
    assert (view.case.state, view.case.version) == ("assessed", 4)


def test_at_equal_to_the_last_entry_is_accepted(engine: CaseEngine) -> None:
    number = _awaiting_reply(engine)
    view = engine.fire(number, "receive_reply", actor="jur", at=DISPATCHED_AT)
    assert view.history[-1].at == view.history[-2].at == DISPATCHED_AT


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("2024-12", id="short-sequence"),
        pytest.param("24-0283489", id="short-year"),
        pytest.param("2024/0283489", id="slash"),
        pytest.param("", id="empty"),
    ],
)
def test_malformed_case_number_is_invalid_data(engine: CaseEngine, number: str) -> None:
    before = _snapshot(engine)
    with pytest.raises(InvalidDataError, match="is not a case number"):
        engine.open_case(WORKFLOW, actor="jur", title="Imported", number=number)
    assert _snapshot(engine) == before


# -- case numbers ---------------------------------------------------------------
def test_case_numbers_are_sequential_per_year_and_restart_each_year(
    engine: CaseEngine, clock: FakeClock
) -> None:
    def open_at(at: datetime) -> str:
        return engine.open_case(WORKFLOW, actor="jur", title="C", at=at).case.number

    clock.set(datetime(2025, 1, 6, 9, 0, tzinfo=UTC))
    numbers = [
        open_at(datetime(2024, 11, 1, 9, 0, tzinfo=UTC)),
        open_at(datetime(2024, 11, 2, 9, 0, tzinfo=UTC)),
        open_at(datetime(2025, 1, 2, 9, 0, tzinfo=UTC)),
        open_at(datetime(2024, 12, 30, 9, 0, tzinfo=UTC)),  # back-dated into 2024
        open_at(datetime(2025, 1, 3, 9, 0, tzinfo=UTC)),
    ]
    assert numbers == [
        "2024-0000001",
        "2024-0000002",
        "2025-0000001",
        "2024-0000003",
        "2025-0000002",
    ]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(
            datetime(2024, 12, 31, 22, 59, 59, tzinfo=UTC),
            "2024-0000001",
            id="23:59:59-local-on-new-years-eve",
        ),
        pytest.param(
            datetime(2024, 12, 31, 23, 0, tzinfo=UTC),
            "2025-0000001",
            id="00:00-local-on-new-years-day-still-2024-in-utc",
        ),
    ],
)
def test_case_number_year_is_the_local_opening_date(
    engine: CaseEngine, clock: FakeClock, at: datetime, expected: str
) -> None:
    clock.set(datetime(2025, 1, 2, 9, 0, tzinfo=UTC))
    assert engine.open_case(WORKFLOW, actor="jur", title="C", at=at).case.number == (
        expected
    )


def test_brought_over_case_number_is_kept_and_allocation_continues_above(
    engine: CaseEngine,
) -> None:
    engine.open_case(WORKFLOW, actor="jur", title="Before")
    kept = engine.open_case(
        WORKFLOW, actor="bra", title="Founding", number="2024-0283489"
    )
    after = engine.open_case(WORKFLOW, actor="jur", title="After")
    lower = engine.open_case(WORKFLOW, actor="bra", title="Low", number="2024-0000500")
    last = engine.open_case(WORKFLOW, actor="jur", title="Last")

    assert kept.case.number == "2024-0283489"
    assert after.case.number == "2024-0283490"
    assert lower.case.number == "2024-0000500"
    assert last.case.number == "2024-0283491"


def test_duplicate_case_number_is_refused(engine: CaseEngine) -> None:
    engine.open_case(WORKFLOW, actor="bra", title="Founding", number="2024-0283489")
    before = _snapshot(engine)
    with pytest.raises(DuplicateError, match="2024-0283489"):
        engine.open_case(WORKFLOW, actor="bra", title="Again", number="2024-0283489")
    assert _snapshot(engine) == before


def test_sequence_beyond_seven_digits_still_formats(engine: CaseEngine) -> None:
    with engine.store.transaction() as tx:
        tx.reserve_case_number("2024-9999999")
        allocated = tx.next_case_number(2024)
    assert allocated == "2024-10000000"

    view = engine.open_case(WORKFLOW, actor="jur", title="Big office")
    number = view.case.number
    assert number == "2024-10000001"
    view = engine.fire(number, "note", actor="jur", document="Phone call")
    assert [d.number for d in view.documents] == ["2024-10000001-1"]
    assert engine.show(number).case.number == number


# -- workflow versions ------------------------------------------------------------
def _bundled_text() -> str:
    """The bundled declaration as a version records it: its labels cut out."""
    path = next(p for p in bundled_paths() if p.name == "ombudsman_inquiry.yaml")
    text = path.read_text(encoding="utf-8")
    return parse_workflow(text, source=path.name, guards=GUARDS).text


def _registry_from(text: str, source: str) -> WorkflowRegistry:
    return WorkflowRegistry([parse_workflow(text, source=source, guards=GUARDS)])


def _edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_case_stays_on_the_workflow_version_it_was_opened_with(
    engine: CaseEngine, clock: FakeClock
) -> None:
    v1_text = _bundled_text()
    v2_text = _edit(
        _edit(v1_text, "version: 3\n", "version: 4\n"),
        "deadline: {within: 2 working days}",
        "deadline: {within: 5 working days}",
    )
    old = engine.open_case(WORKFLOW, actor="jur", title="Opened under v1").case
    v2_engine = CaseEngine(
        store=engine.store,
        registry=_registry_from(v2_text, "ombudsman_inquiry_v2.yaml"),
        clock=clock,
        calendar=BusinessCalendar(),
    )

    fired = v2_engine.fire(old.number, "send_inquiry", actor="jur")
    new = v2_engine.open_case(WORKFLOW, actor="jur", title="Opened under v2").case
    new_fired = v2_engine.fire(new.number, "send_inquiry", actor="jur")

    # Monday 25 Nov: v1 gives 2 working days, v2 gives 5.
    assert (fired.case.workflow_version, fired.case.due) == (3, date(2024, 11, 27))
    assert [e.workflow_version for e in fired.history] == [3, 3]
    assert (new_fired.case.workflow_version, new_fired.case.due) == (
        4,
        date(2024, 12, 2),
    )
    assert [e.workflow_version for e in new_fired.history] == [4, 4]
    with engine.store.transaction(write=False) as tx:
        assert tx.workflow_text(WORKFLOW, 3) == v1_text
        assert tx.workflow_text(WORKFLOW, 4) == v2_text


def test_changing_a_used_workflow_without_a_new_version_is_refused(
    engine: CaseEngine, clock: FakeClock
) -> None:
    """New cases are refused; cases already opened keep the recorded rules."""
    v1_text = _bundled_text()
    number = _awaiting_reply(engine)
    edited = _edit(
        v1_text,
        "assesses it.\n    deadline: {within: 10 working days}",
        "assesses it.\n    deadline: {within: 15 working days}",
    )
    edited_engine = CaseEngine(
        store=engine.store,
        registry=_registry_from(edited, "ombudsman_inquiry.yaml"),
        clock=clock,
        calendar=BusinessCalendar(),
    )
    before = _snapshot(engine)

    with pytest.raises(DefinitionError, match="raise 'version'"):
        edited_engine.open_case(WORKFLOW, actor="jur", title="New")
    with pytest.raises(DefinitionError, match="raise 'version'"):
        edited_engine.import_case(_founding_record())

    assert _snapshot(engine) == before
    with engine.store.transaction(write=False) as tx:
        assert tx.workflow_text(WORKFLOW, 3) == v1_text
    # Monday 25 Nov: the recorded 10 working days, not the edited 15.
    view = edited_engine.fire(number, "receive_reply", actor="jur")
    assert (view.case.state, view.case.due) == ("assessed", date(2024, 12, 9))


def test_refused_first_opening_records_no_declaration(engine: CaseEngine) -> None:
    """The declaration is recorded with the first case that uses it, not before."""
    with pytest.raises(InvalidDataError):
        engine.open_case(WORKFLOW, actor="jur", title="About 010190-1234")
    with engine.store.transaction(write=False) as tx:
        assert tx.workflow_text(WORKFLOW, 3) is None

    engine.open_case(WORKFLOW, actor="jur", title="Complaint")
    with engine.store.transaction(write=False) as tx:
        assert tx.workflow_text(WORKFLOW, 3) == _bundled_text()


# -- import ---------------------------------------------------------------------
def _founding_record(**changes: object) -> dict[str, Any]:
    record: dict[str, Any] = {
        "workflow": WORKFLOW,
        "number": "2024-0283489",
        "title": "Police report for digital harassment",
        "parties": {"authority": {"name": "Socialforvaltningen", "email": "sof@kk.dk"}},
        "events": [
            {
                "event": "open",
                "actor": "bra",
                "at": "2024-10-03T10:00:00+02:00",
                "data": {"own_initiative": True},
            },
            {"event": "send_inquiry", "actor": "jur", "at": "2024-10-09T09:30:00"},
            {"event": "mark_dispatched", "actor": "jur", "at": "2024-10-09T15:00"},
            {"event": "receive_reply", "actor": "jur", "at": "2024-11-10"},
            {
                "event": "close",
                "actor": "bra",
                "at": "2024-11-20T13:00:00Z",
                "data": {"outcome": "no_further_action"},
            },
        ],
    }
    record.update(changes)
    return record


def _with_event(index: int, **changes: object) -> dict[str, Any]:
    record = _founding_record()
    record["events"][index] = {**record["events"][index], **changes}
    return record


def test_import_brings_over_a_whole_case(engine: CaseEngine) -> None:
    view = engine.import_case(_founding_record())

    number = "2024-0283489"
    assert (view.case.number, view.case.state, view.case.version) == (
        number,
        "closed",
        5,
    )
    assert view.case.parties == (
        Party(role="authority", name="Socialforvaltningen", email="sof@kk.dk"),
    )
    assert [(e.seq, e.event, e.actor) for e in view.history] == [
        (1, "open", "bra"),
        (2, "send_inquiry", "jur"),
        (3, "mark_dispatched", "jur"),
        (4, "receive_reply", "jur"),
        (5, "close", "bra"),
    ]
    assert [e.at for e in view.history] == [
        OPENED_AT,
        INQUIRY_AT,  # no offset: local time
        DISPATCHED_AT,
        datetime(2024, 11, 10, 0, 0, tzinfo=CET),  # a bare date: local midnight
        datetime(2024, 11, 20, 13, 0, tzinfo=UTC),
    ]
    assert {e.recorded_at for e in view.history} == {NOW}
    assert [d.number for d in view.documents] == [f"{number}-{i}" for i in (1, 2, 3)]
    assert view.history[2].due_after == date(2024, 11, 6)
    assert view == engine.show(number)
    assert engine.open_case(WORKFLOW, actor="jur", title="Next").case.number == (
        "2024-0283490"
    )


def test_import_without_a_number_allocates_one(engine: CaseEngine) -> None:
    record = _founding_record()
    del record["number"]
    assert engine.import_case(record).case.number == "2024-0000001"


@pytest.mark.parametrize(
    ("record", "error", "message"),
    [
        pytest.param(
            _with_event(4, data={"outcome": "criticism"}),
            InvalidDataError,
            "events[4] (close): 'severity' is required",
            id="data-missing-in-last-event",
        ),
        pytest.param(
            _with_event(2, data={"reply_by": "2024-12-01"}),
            InvalidDataError,
            "events[2] (mark_dispatched)",
            id="unknown-data-in-the-middle",
        ),
        pytest.param(
            _with_event(2, event="close"),
            TransitionNotAllowedError,
            "cannot 'close' from state 'inquiry_sent'",
            id="event-not-allowed-in-the-middle",
        ),
        pytest.param(
            _with_event(3, at="2024-10-01"),
            InvalidTimeError,
            "lies before the case's last step",
            id="at-out-of-order",
        ),
        pytest.param(
            _with_event(3, at="2025-01-01"),
            InvalidTimeError,
            "lies in the future",
            id="at-in-the-future",
        ),
        pytest.param(
            _with_event(3, actor="ghost"),
            UserNotFoundError,
            "no user 'ghost'",
            id="unknown-actor",
        ),
        pytest.param(
            _with_event(4, actor="jur"),
            RoleNotAllowedError,
            "user 'jur' (caseworker) may not 'close'",
            id="role-not-allowed",
        ),
        pytest.param(
            _with_event(2, document="Sent to 010190-1234"),
            InvalidDataError,
            "CPR",
            id="cpr-in-document-title",
        ),
    ],
)
def test_import_failing_part_way_leaves_nothing(
    engine: CaseEngine, record: dict[str, Any], error: type[EngineError], message: str
) -> None:
    engine.open_case(WORKFLOW, actor="jur", title="Already here")
    before = _snapshot(engine)

    with pytest.raises(error) as caught:
        engine.import_case(record)

    assert message in str(caught.value)
    assert _snapshot(engine) == before
    with pytest.raises(CaseNotFoundError):
        engine.show("2024-0283489")


@pytest.mark.parametrize(
    ("record", "error", "place"),
    [
        pytest.param(
            _with_event(3, at="2024-10-01"),
            InvalidTimeError,
            "events[3] (receive_reply)",
            id="at-out-of-order",
        ),
        pytest.param(
            _with_event(2, event="close"),
            TransitionNotAllowedError,
            "events[2] (close)",
            id="event-not-allowed",
        ),
        pytest.param(
            _with_event(4, actor="jur"),
            RoleNotAllowedError,
            "events[4] (close)",
            id="role-not-allowed",
        ),
    ],
)
def test_import_errors_part_way_name_the_event(
    fast_engine: CaseEngine, record: dict[str, Any], error: type, place: str
) -> None:
    with pytest.raises(error) as caught:
        fast_engine.import_case(record)
    assert str(caught.value).startswith(place)


def _without(key: str) -> dict[str, Any]:
    record = _founding_record()
    del record[key]
    return record


@pytest.mark.parametrize(
    ("record", "error", "place"),
    [
        pytest.param(_without("events"), InvalidDataError, "'events'", id="no-events"),
        pytest.param(
            _founding_record(events=[]), InvalidDataError, "'events'", id="empty-events"
        ),
        pytest.param(
            _founding_record(events={"event": "open"}),
            InvalidDataError,
            "'events'",
            id="events-not-a-list",
        ),
        pytest.param(
            _founding_record(events=_founding_record()["events"][1:]),
            InvalidDataError,
            "events[0] must be 'open', not 'send_inquiry'",
            id="first-event-not-open",
        ),
        pytest.param(
            _with_event(2, event="open"),
            InvalidDataError,
            "only events[0] may be 'open'",
            id="open-again",
        ),
        pytest.param(
            _founding_record(colour="red"),
            InvalidDataError,
            "unknown key 'colour'",
            id="unknown-top-key",
        ),
        pytest.param(
            _with_event(1, when="2024-10-09"),
            InvalidDataError,
            "unknown key 'events[1].when'",
            id="unknown-event-key",
        ),
        pytest.param(
            _with_event(1, at="the ninth of October"),
            InvalidTimeError,
            "events[1].at 'the ninth of October' does not parse",
            id="bad-at",
        ),
        pytest.param(
            _with_event(1, at=20241009), InvalidDataError, "events[1].at", id="at-int"
        ),
        pytest.param(
            _with_event(1, data=["reply_by"]),
            InvalidDataError,
            "events[1].data",
            id="data-not-object",
        ),
        pytest.param(
            _with_event(1, document=7),
            InvalidDataError,
            "events[1].document",
            id="document-not-text",
        ),
        pytest.param(
            _with_event(1, actor=""),
            InvalidDataError,
            "'events[1].actor'",
            id="actor-empty",
        ),
        pytest.param(_without("title"), InvalidDataError, "'title'", id="no-title"),
        pytest.param(
            _without("workflow"), InvalidDataError, "'workflow'", id="no-workflow"
        ),
        pytest.param(
            _founding_record(number="2024-283489"),
            InvalidDataError,
            "'number'",
            id="number-malformed",
        ),
        pytest.param(
            _founding_record(number=2024283489),
            InvalidDataError,
            "'number'",
            id="number-not-text",
        ),
        pytest.param(
            _founding_record(parties={"authority": 3}),
            InvalidDataError,
            "parties.authority",
            id="party-not-a-name",
        ),
        pytest.param(
            _founding_record(parties={"authority": {"name": "S", "email": 1}}),
            InvalidDataError,
            "parties.authority.email",
            id="party-email-not-text",
        ),
        pytest.param(
            _founding_record(parties=["authority"]),
            InvalidDataError,
            "'parties'",
            id="parties-not-object",
        ),
    ],
)
def test_import_structural_errors_name_their_place(
    engine: CaseEngine, record: Mapping[str, object], error: type, place: str
) -> None:
    before = _snapshot(engine)
    with pytest.raises(error) as caught:
        engine.import_case(record)
    assert isinstance(caught.value, InvalidInputError)
    assert place in str(caught.value)
    assert _snapshot(engine) == before


# -- users ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user_id", "roles", "message"),
    [
        pytest.param("kim", ["wizard"], "unknown role 'wizard'", id="unknown-role"),
        pytest.param("kim", [], "a user needs an id and a role", id="no-role"),
        pytest.param("  ", ["caseworker"], "must be 1-64 letters", id="blank-id"),
        pytest.param("kim lund", ["caseworker"], "must be 1-64", id="space-in-id"),
        pytest.param("system", ["advisor"], "'system'", id="reserved-system-id"),
        pytest.param(" System ", ["advisor"], "'system'", id="system-in-disguise"),
        pytest.param("kim", ["caseworker", "system"], "'system'", id="system-role"),
        pytest.param(
            "010190-1234", ["caseworker"], "must not be a CPR number", id="cpr-as-id"
        ),
        pytest.param(
            "0101901234", ["caseworker"], "must not be a CPR number", id="cpr-no-dash"
        ),
    ],
)
def test_add_user_refuses_bad_users(
    engine: CaseEngine, user_id: str, roles: list[str], message: str
) -> None:
    before = _snapshot(engine)
    with pytest.raises(InvalidDataError, match=message) as caught:
        engine.add_user(user_id, roles)
    assert not contains_cpr(str(caught.value))
    assert _snapshot(engine) == before


def test_add_user_records_roles_once_and_the_clock_time(engine: CaseEngine) -> None:
    user = engine.add_user("kim", ["caseworker", "advisor", "caseworker"], "k@kk.dk")
    assert (user.roles, user.email, user.created_at) == (
        ("caseworker", "advisor"),
        "k@kk.dk",
        NOW,
    )
    assert user in engine.list_users()
    assert [u.id for u in engine.list_users()] == [
        "bra",
        "ind",
        "jur",
        "jur2",
        "kim",
        "rev",
    ]


def test_user_with_several_roles_acts_in_the_most_senior_allowed(
    engine: CaseEngine,
) -> None:
    engine.add_user("lead", ["intake", "caseworker", "advisor"])
    number = engine.open_case(WORKFLOW, actor="lead", title="C").case.number
    view = engine.fire(number, "send_inquiry", actor="lead")
    assert [e.role for e in view.history] == ["advisor", "caseworker"]


def test_system_actor_fires_mark_dispatched_without_being_a_user(
    engine: CaseEngine,
) -> None:
    number = _open_founding_case(engine)
    engine.fire(number, "send_inquiry", actor="jur", at=INQUIRY_AT)
    view = engine.fire(number, "mark_dispatched", actor="system", at=DISPATCHED_AT)

    entry = view.history[-1]
    assert (entry.actor, entry.role, entry.to_state) == (
        "system",
        "system",
        "awaiting_reply",
    )
    assert "system" not in [u.id for u in engine.list_users()]


@pytest.mark.parametrize(
    ("event", "data"),
    [
        pytest.param("receive_reply", {}, id="receive_reply"),
        pytest.param("withdraw", {}, id="withdraw"),
        pytest.param("note", {}, id="note"),
    ],
)
def test_system_actor_holds_only_the_system_role(
    engine: CaseEngine, event: str, data: dict[str, object]
) -> None:
    number = _awaiting_reply(engine)
    before = _snapshot(engine)
    with pytest.raises(RoleNotAllowedError, match="user 'system' \\(system\\)"):
        engine.fire(number, event, actor="system", data=data, document="Letter")
    assert _snapshot(engine) == before


# -- audit log ------------------------------------------------------------------
@pytest.fixture
def two_cases(engine: CaseEngine) -> tuple[str, str]:
    first = _awaiting_reply(engine)  # seqs 1-3: 3 Oct, 9 Oct, 9 Oct
    second = engine.open_case(
        WORKFLOW, actor="jur2", title="Second", at=datetime(2024, 10, 5, tzinfo=UTC)
    ).case.number
    engine.fire(first, "receive_reply", actor="jur", at=REPLY_AT)  # seq 4
    engine.fire(
        second,
        "send_inquiry",
        actor="jur2",
        at=datetime(2024, 11, 12, tzinfo=UTC),
    )
    return first, second


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param(
            AuditFilter(),
            [(0, 1), (0, 2), (0, 3), (0, 4), (1, 1), (1, 2)],
            id="everything-by-case-then-seq",
        ),
        pytest.param(AuditFilter(actor="jur2"), [(1, 1), (1, 2)], id="actor"),
        pytest.param(AuditFilter(actor="bra"), [(0, 1)], id="actor-bra"),
        pytest.param(AuditFilter(actor="nobody"), [], id="actor-unknown"),
        pytest.param(
            AuditFilter(since=datetime(2024, 10, 9, 7, 30, tzinfo=UTC)),
            [(0, 2), (0, 3), (0, 4), (1, 2)],
            id="since-inclusive",
        ),
        pytest.param(
            AuditFilter(until=datetime(2024, 10, 9, 7, 30, tzinfo=UTC)),
            [(0, 1), (1, 1)],
            id="until-exclusive",
        ),
        pytest.param(
            AuditFilter(
                since=datetime(2024, 10, 9, 9, 31, tzinfo=CEST),
                until=datetime(2024, 11, 12, tzinfo=UTC),
            ),
            [(0, 3), (0, 4)],
            id="window-with-offsets",
        ),
        pytest.param(
            AuditFilter(since=NOW - timedelta(minutes=1)),
            [],
            id="effective-time-not-recorded-time",
        ),
        pytest.param(
            AuditFilter(actor="jur", since=datetime(2024, 10, 10, tzinfo=UTC)),
            [(0, 4)],
            id="actor-and-since",
        ),
    ],
)
def test_audit_log_filters(
    engine: CaseEngine,
    two_cases: tuple[str, str],
    selection: AuditFilter,
    expected: list[tuple[int, int]],
) -> None:
    found = [
        (two_cases.index(e.case_number), e.seq) for e in engine.audit_log(selection)
    ]
    assert found == expected


def test_audit_log_by_case_number(
    engine: CaseEngine, two_cases: tuple[str, str]
) -> None:
    first, second = two_cases
    selection = AuditFilter(case_number=second)
    assert [(e.case_number, e.seq) for e in engine.audit_log(selection)] == [
        (second, 1),
        (second, 2),
    ]
    selection = AuditFilter(case_number=first, actor="jur")
    assert [e.seq for e in engine.audit_log(selection)] == [2, 3, 4]


def test_audit_log_of_an_unknown_case_is_case_not_found(engine: CaseEngine) -> None:
    with pytest.raises(CaseNotFoundError):
        list(engine.audit_log(AuditFilter(case_number="2024-0999999")))


# -- documents --------------------------------------------------------------------
def test_documents_continue_their_numbering_after_reopening(
    engine: CaseEngine,
) -> None:
    """A reopened case keeps its number; document numbers continue."""
    number = _awaiting_reply(engine)
    engine.fire(number, "receive_reply", actor="jur")
    engine.fire(number, "close", actor="bra", data={"outcome": "no_further_action"})
    engine.fire(
        number,
        "reopen",
        actor="bra",
        data={"reason": "new information"},
        document="Decision to reopen",
    )
    view = engine.fire(
        number,
        "note",
        actor="ind",
        document="Phone call from the citizen",
        data={"direction": "incoming"},
    )

    assert view.case.state == "opened"
    assert "outcome" not in view.case.data
    assert [(d.number, d.direction, d.event_seq) for d in view.documents] == [
        (f"{number}-1", "outgoing", 2),
        (f"{number}-2", "incoming", 4),
        (f"{number}-3", "outgoing", 5),
        (f"{number}-4", "note", 6),
        (f"{number}-5", "incoming", 7),
    ]
    assert view.documents[3].title == "Decision to reopen"


# -- personal data ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("how", "where"),
    [
        pytest.param("party", "party 'citizen'", id="party-name"),
        pytest.param("reason", "'reason': must not hold a CPR number", id="text-data"),
    ],
)
def test_cpr_numbers_are_refused_in_free_text(
    engine: CaseEngine, how: str, where: str
) -> None:
    """CPR numbers identify; they never go into names or free-text data."""
    number = _awaiting_reply(engine)
    before = _snapshot(engine)

    def attempt() -> object:
        if how == "party":
            return engine.open_case(
                WORKFLOW,
                actor="jur",
                title="Klage",
                parties=[Party(role="citizen", name="Jens 010190-1234")],
            )
        return engine.fire(
            number, "withdraw", actor="jur", data={"reason": "borger 0101901234"}
        )

    with pytest.raises(InvalidDataError, match=where):
        attempt()
    assert _snapshot(engine) == before


def test_audit_log_of_an_unknown_case_is_refused_before_streaming(
    engine: CaseEngine,
) -> None:
    with pytest.raises(CaseNotFoundError):
        engine.audit_log(AuditFilter(case_number="2099-0000001"))  # not iterated
