"""A rung's notice to `owner`: the owner, their deputy while away, else the advisor.

The founding case is chased on 7 Nov 2024 (reminder 1), 22 Nov (reminder 2)
and 2 Dec (escalation). Other caseworkers act on it too: under `owner` their
acting no longer earns them the case's notices.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine.cases.engine import CaseEngine
from engine.chasing.chaser import Chaser
from engine.dates.timeparse import parse_instant
from engine.records import Notification, Party
from engine.testing import FakeClock, chaser_for

WORKFLOW = "ombudsman-inquiry"
AUTHORITY = Party(role="authority", name="Socialforvaltningen", email="sof@example.org")
MANAGEMENT = Party(
    role="authority_management", name="Direktionen", email="dir@example.org"
)


def at(text: str) -> datetime:
    return parse_instant(text)


@pytest.fixture
def office(engine: CaseEngine) -> CaseEngine:
    """Caseworkers with addresses, and an advisor with one."""
    engine.add_user("mab", ["caseworker"], "mab@example.org")
    engine.add_user("sli", ["caseworker"], "sli@example.org")
    engine.add_user("lkb", ["caseworker"], "lkb@example.org")
    engine.add_user("chef", ["advisor"], "chef@example.org")
    return engine


def founding_case(engine: CaseEngine, clock: FakeClock, **owner: object) -> str:
    """Opened 3 Oct 2024, the inquiry dispatched 9 Oct by sli (not the owner)."""
    clock.set(at("2024-10-09T16:00"))
    number = engine.open_case(
        WORKFLOW,
        actor="bra",
        title="Politianmeldelse",
        parties=[AUTHORITY, MANAGEMENT],
        at=at("2024-10-03T10:00"),
        **owner,  # type: ignore[arg-type]
    ).case.number
    engine.fire(number, "send_inquiry", actor="sli", at=at("2024-10-09T09:30"))
    engine.fire(number, "mark_dispatched", actor="sli", at=at("2024-10-09T15:00"))
    return number


def notices(engine: CaseEngine, rung: str) -> set[str]:
    """The addresses (or log lines) the rung's notices to users went to."""
    with engine.store.transaction(write=False) as tx:
        outbox: list[Notification] = list(tx.list_notifications())
    return {
        n.recipient
        for n in outbox
        if n.kind == "notice" and n.payload.get("rung") == rung
    }


def sweep_at(chaser: Chaser, clock: FakeClock, moment: str) -> list[str]:
    clock.set(at(moment))
    return [c.rung for c in chaser.sweep().chased]


def test_the_owner_gets_the_notice_then_the_new_owner_then_the_deputy(
    office: CaseEngine, clock: FakeClock
) -> None:
    engine = office
    chaser = chaser_for(engine)
    number = founding_case(engine, clock, owner="mab")
    assert engine.show(number).case.owner == "mab"

    assert sweep_at(chaser, clock, "2024-11-07T09:00") == ["reminder_1"]
    assert notices(engine, "reminder_1") == {"mab@example.org"}  # not sli, who acted

    clock.set(at("2024-11-08T10:00"))
    engine.assign_case(number, "lkb", actor="bra", reason="Omfordeling")
    assert sweep_at(chaser, clock, "2024-11-22T09:00") == ["reminder_2"]
    assert notices(engine, "reminder_2") == {"lkb@example.org"}

    engine.set_away(
        "lkb",
        starts=date(2024, 11, 25),
        ends=date(2024, 12, 6),
        deputy="sli",
        actor="chef",
    )
    assert sweep_at(chaser, clock, "2024-12-02T09:00") == ["escalation"]
    # the advisor who acted on the case (bra), and the owner's notice to the deputy
    assert notices(engine, "escalation") == {
        "advisor: bra (no e-mail address)",
        "sli@example.org",
    }


def test_an_unassigned_case_s_notice_goes_to_the_advisor(
    office: CaseEngine, clock: FakeClock
) -> None:
    engine = office
    number = founding_case(engine, clock)
    assert engine.show(number).case.owner is None

    assert sweep_at(chaser_for(engine), clock, "2024-11-07T09:00") == ["reminder_1"]

    assert notices(engine, "reminder_1") == {
        "chef@example.org",
        "owner: bra (no e-mail address)",
    }


def test_away_without_a_deputy_or_with_one_away_too_goes_to_the_advisor(
    office: CaseEngine, clock: FakeClock
) -> None:
    engine = office
    number = founding_case(engine, clock, owner="mab")
    engine.set_away(
        "mab",
        starts=date(2024, 11, 1),
        ends=date(2024, 11, 8),
        deputy="lkb",
        actor="bra",
    )
    engine.set_away(
        "lkb",
        starts=date(2024, 11, 4),
        ends=date(2024, 11, 7),
        deputy=None,
        actor="bra",
    )
    assert sweep_at(chaser_for(engine), clock, "2024-11-07T09:00") == ["reminder_1"]
    assert notices(engine, "reminder_1") == {
        "chef@example.org",
        "owner: bra (no e-mail address)",
    }
    assert engine.show(number).case.owner == "mab"  # away is not unassigned


def test_the_last_day_away_is_still_away_and_the_day_after_is_not(
    office: CaseEngine, clock: FakeClock
) -> None:
    engine = office
    founding_case(engine, clock, owner="mab")
    engine.set_away(
        "mab",
        starts=date(2024, 11, 1),
        ends=date(2024, 11, 6),
        deputy="sli",
        actor="mab",
    )
    assert sweep_at(chaser_for(engine), clock, "2024-11-07T09:00") == ["reminder_1"]
    assert notices(engine, "reminder_1") == {"mab@example.org"}
