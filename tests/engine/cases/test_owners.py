"""Case owners: who gets a case at opening, who may hand it on, and the queues.

On every store. Each refusal leaves the case exactly as it was.
"""

from __future__ import annotations

import pytest

from engine.audit.review import verify_store
from engine.cases.engine import CaseEngine
from engine.exceptions import (
    InvalidDataError,
    NotAllowedError,
    RoleNotAllowedError,
    UserNotFoundError,
)
from engine.records import CaseFilter
from engine.testing import FakeClock

INQUIRY = "ombudsman-inquiry"


def opened(engine: CaseEngine, actor: str = "jur", **kwargs: object) -> str:
    return engine.open_case(INQUIRY, actor=actor, title="Klage", **kwargs).case.number  # type: ignore[arg-type]


def owner_of(engine: CaseEngine, number: str) -> str | None:
    return engine.show_case(number).owner


def test_a_caseworker_who_opens_a_case_owns_it(engine: CaseEngine) -> None:
    assert owner_of(engine, opened(engine, "jur")) == "jur"


def test_a_case_the_advisor_or_intake_opens_is_unassigned(
    engine: CaseEngine,
) -> None:
    assert owner_of(engine, opened(engine, "bra")) is None
    request = engine.open_case("access-to-documents", actor="ind", title="Aktindsigt")
    assert request.case.owner is None


def test_an_owner_named_at_opening_owns_it(engine: CaseEngine) -> None:
    number = opened(engine, "bra", owner="jur2")
    assert owner_of(engine, number) == "jur2"
    assert engine.show(number).history[0].readable["owner"] == "jur2"
    assert owner_of(engine, opened(engine, "jur", unassigned=True)) is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"owner": "rev"}, InvalidDataError, "'rev' cannot own a case"),
        ({"owner": "ind"}, InvalidDataError, "'ind' cannot own a case"),
        ({"owner": "nobody"}, UserNotFoundError, "no user 'nobody'"),
        ({"owner": "system"}, InvalidDataError, "the system cannot own a case"),
        (
            {"owner": "jur", "unassigned": True},
            InvalidDataError,
            "give an owner or ask for an unassigned case, not both",
        ),
    ],
)
def test_an_owner_who_cannot_own_a_case_is_refused_at_opening(
    engine: CaseEngine, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        opened(engine, "bra", **kwargs)
    assert engine.list_cases(CaseFilter()) == []


def test_the_advisor_assigns_any_case_on_the_record(engine: CaseEngine) -> None:
    number = opened(engine, "jur")
    view = engine.assign_case(number, "jur2", actor="bra", reason="Ferie")

    assert view.case.owner == "jur2"
    last = view.history[-1]
    assert (last.event, last.actor, last.role) == ("assign", "bra", "advisor")
    assert last.from_state == last.to_state == "opened"
    assert last.readable == {"owner": "jur2", "previous": "jur", "reason": "Ferie"}
    report = verify_store(engine.store)
    assert report.ok, report.problems


def test_a_caseworker_takes_an_unassigned_case_and_hands_over_their_own(
    engine: CaseEngine,
) -> None:
    number = opened(engine, "bra")
    assert engine.assign_case(number, "jur", actor="jur").case.owner == "jur"
    assert engine.assign_case(number, "jur2", actor="jur").case.owner == "jur2"
    assert engine.assign_case(number, "bra", actor="jur2").case.owner == "bra"


@pytest.mark.parametrize(
    ("setup_owner", "actor", "to", "error", "message"),
    [
        # someone else's case, or an unassigned one to someone else
        ("jur", "jur2", "jur2", NotAllowedError, "is jur's"),
        (None, "jur", "jur2", NotAllowedError, "is unassigned"),
        # roles that never assign
        ("jur", "rev", "jur2", RoleNotAllowedError, "rev"),
        ("jur", "ind", "jur2", RoleNotAllowedError, "ind"),
        # owners who may not own a case, or the owner it has
        ("jur", "bra", "rev", InvalidDataError, "'rev' cannot own a case"),
        ("jur", "bra", "nobody", UserNotFoundError, "no user 'nobody'"),
        ("jur", "bra", "jur", InvalidDataError, "is jur's already"),
        ("jur", "nobody", "jur2", UserNotFoundError, "no user 'nobody'"),
    ],
)
def test_an_assignment_not_allowed_changes_nothing(
    engine: CaseEngine,
    setup_owner: str | None,
    actor: str,
    to: str,
    error: type[Exception],
    message: str,
) -> None:
    number = opened(engine, "bra", owner=setup_owner, unassigned=setup_owner is None)
    before = engine.show(number)

    with pytest.raises(error, match=message):
        engine.assign_case(number, to, actor=actor)

    assert engine.show(number) == before


def test_a_closed_case_keeps_its_owner(engine: CaseEngine, clock: FakeClock) -> None:
    number = opened(engine, "jur")
    engine.fire(number, "reject", actor="bra", data={"reason": "Uden for kompetence"})
    before = engine.show(number)
    assert before.case.state == "closed"

    with pytest.raises(InvalidDataError, match="closed case keeps its owner"):
        engine.assign_case(number, "jur2", actor="bra")

    assert engine.show(number) == before


def test_a_cpr_number_in_the_reason_is_refused(engine: CaseEngine) -> None:
    number = opened(engine, "jur")
    with pytest.raises(InvalidDataError) as raised:
        engine.assign_case(number, "jur2", actor="bra", reason="om 010203-1234")
    assert "010203" not in str(raised.value)
    assert owner_of(engine, number) == "jur"


def test_the_queues_select_by_owner_and_open_state(engine: CaseEngine) -> None:
    mine = opened(engine, "jur")
    theirs = opened(engine, "jur2")
    nobody = opened(engine, "bra")
    closed = opened(engine, "jur")
    engine.fire(closed, "reject", actor="bra", data={"reason": "Uden for kompetence"})

    def numbers(selection: CaseFilter) -> list[str]:
        return [c.number for c in engine.list_cases(selection)]

    assert numbers(CaseFilter(owner="jur")) == [mine, closed]
    assert numbers(CaseFilter(owner="jur", not_in_states=frozenset({"closed"}))) == [
        mine
    ]
    assert numbers(CaseFilter(owner="jur2")) == [theirs]
    assert numbers(CaseFilter(unassigned=True)) == [nobody]
    with engine.store.transaction(write=False) as tx:
        counts = tx.owner_counts(not_in_states=frozenset({"closed"}))
    assert list(counts) == [("jur", 1), ("jur2", 1), (None, 1)]
