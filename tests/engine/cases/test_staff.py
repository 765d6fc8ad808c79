"""Users' lifecycle on the record: added, deactivated, activated, roles, logins.

On every store. Each change is an entry of the users' hash chain; each refusal
leaves the users and the chain exactly as they were.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from engine.audit.review import verify_store
from engine.audit.users import GENESIS, link_hash
from engine.cases.engine import CaseEngine
from engine.exceptions import (
    DuplicateError,
    EngineError,
    InvalidDataError,
    NotAllowedError,
    UserDeactivatedError,
    UserNotFoundError,
)
from engine.ports import CaseStore
from engine.records import User
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from storage import SqlCaseStore, create_db_engine
from tests.conftest import make_engine

INQUIRY = "ombudsman-inquiry"


def snapshot(engine: CaseEngine) -> tuple[list[User], list[object]]:
    with engine.store.transaction(write=False) as tx:
        return list(tx.list_users()), list(tx.user_changes())


def test_every_change_is_an_entry_of_one_chain_that_verifies(
    engine: CaseEngine,
) -> None:
    engine.add_user(
        "mab", ["caseworker"], name="Mohammad Al-Badry", login="mab", actor="bra"
    )
    engine.change_roles("mab", add=["advisor"], actor="bra", reason="Stedfortræder")
    engine.deactivate_user("mab", actor="bra", reason="Fratrådt")
    engine.activate_user("mab", actor="bra", reason="Genansat")
    engine.bind_login("mab", "m.albadry", actor="bra")
    engine.rename_user("mab", "Mohammad Al Badry", actor="bra")

    history = engine.user_history("mab")
    assert [(c.change, c.actor, c.reason) for c in history] == [
        ("added", "bra", None),
        ("roles", "bra", "Stedfortræder"),
        ("deactivated", "bra", "Fratrådt"),
        ("activated", "bra", "Genansat"),
        ("login", "bra", None),
        ("name", "bra", None),
    ]
    assert history[2].state["active"] is False
    assert history[1].state["roles"] == ["caseworker", "advisor"]
    user = engine.user("mab")
    assert (user.name, user.login, user.roles, user.active) == (
        "Mohammad Al Badry",
        "m.albadry",
        ("caseworker", "advisor"),
        True,
    )
    with engine.store.transaction(write=False) as tx:
        chain = list(tx.user_changes())
        assert tx.users_head() == (chain[-1].seq, chain[-1].hash)
    # the five users of the fixture, then mab's six changes, one chain
    assert [c.seq for c in chain] == list(range(1, 12))
    prev = GENESIS
    for change in chain:
        assert (change.prev_hash, change.hash) == (prev, link_hash(prev, change))
        prev = change.hash
    report = verify_store(engine.store)
    assert (report.ok, report.user_changes) == (True, 11), report.problems


def test_a_deactivated_user_cannot_act_and_loses_the_cases_notices(
    engine: CaseEngine, clock: FakeClock
) -> None:
    number = engine.open_case(INQUIRY, actor="jur", title="Klage").case.number
    done = engine.deactivate_user("jur", actor="bra", reason="Fratrådt")
    assert [c.number for c in done.orphaned] == [number]
    assert [c.number for c in engine.cases_needing_owner()] == [number]

    with pytest.raises(UserDeactivatedError, match="'jur' is deactivated"):
        engine.fire(number, "send_inquiry", actor="jur")
    with pytest.raises(UserDeactivatedError):
        engine.open_case(INQUIRY, actor="jur", title="Ny klage")
    with pytest.raises(UserDeactivatedError):
        engine.set_away(
            "jur", starts=date(2024, 1, 1), ends=date(2024, 1, 2), deputy=None,
            actor="jur",
        )  # fmt: skip
    with pytest.raises(InvalidDataError, match="'jur' is deactivated and cannot own"):
        engine.assign_case(number, "jur", actor="bra")
    with engine.store.transaction(write=False) as tx:
        assert [u.id for u in tx.users_with_role("caseworker")] == ["jur2"]

    engine.assign_case(number, "jur2", actor="bra", reason="Overtaget")
    assert engine.cases_needing_owner() == ()
    engine.activate_user("jur", actor="bra")
    engine.fire(number, "send_inquiry", actor="jur")


def test_the_advisor_manages_users_and_the_office_keeps_one(
    engine: CaseEngine,
) -> None:
    before = snapshot(engine)
    refused: list[tuple[type[EngineError], str, object]] = [
        (NotAllowedError, "may not manage users",
         lambda: engine.add_user("x", ["caseworker"], actor="jur")),
        (NotAllowedError, "may not manage users",
         lambda: engine.deactivate_user("jur2", actor="rev", reason="r")),
        (UserNotFoundError, "no user 'nobody'",
         lambda: engine.change_roles("jur", add=["auditor"], actor="nobody")),
        (NotAllowedError, "last active advisor",
         lambda: engine.deactivate_user("bra", actor="bra", reason="Fratrådt")),
        (NotAllowedError, "last active advisor",
         lambda: engine.change_roles("bra", remove=["advisor"], add=["caseworker"],
                                     actor="bra")),
        (InvalidDataError, "give a reason",
         lambda: engine.deactivate_user("jur", actor="bra", reason="  ")),
        (InvalidDataError, "CPR number",
         lambda: engine.deactivate_user("jur", actor="bra", reason="0101901234")),
        (InvalidDataError, "built-in user",
         lambda: engine.deactivate_user("system", actor="bra", reason="r")),
        (InvalidDataError, "unknown role 'boss'",
         lambda: engine.change_roles("jur", add=["boss"], actor="bra")),
        (InvalidDataError, "unknown role 'system'",
         lambda: engine.change_roles("jur", add=["system"], actor="bra")),
        (InvalidDataError, "both added and removed",
         lambda: engine.change_roles("jur", add=["auditor"], remove=["auditor"],
                                     actor="bra")),
        (InvalidDataError, "would hold no role",
         lambda: engine.change_roles("jur", remove=["caseworker"], actor="bra")),
        (InvalidDataError, "holds exactly those roles",
         lambda: engine.change_roles("jur", add=["caseworker"], actor="bra")),
        (InvalidDataError, "give --add ROLE or --remove ROLE",
         lambda: engine.change_roles("jur", actor="bra")),
        (InvalidDataError, "active already",
         lambda: engine.activate_user("jur", actor="bra")),
        (DuplicateError, "already exists",
         lambda: engine.add_user("jur", ["caseworker"], actor="bra")),
        (InvalidDataError, "display name",
         lambda: engine.rename_user("jur", "\x1b[31m", actor="bra")),
        (InvalidDataError, "CPR number",
         lambda: engine.rename_user("jur", "010190-1234", actor="bra")),
        (InvalidDataError, "a login is",
         lambda: engine.bind_login("jur", "no spaces", actor="bra")),
    ]  # fmt: skip
    for error, message, act in refused:
        with pytest.raises(error, match=message):
            act()  # type: ignore[operator]
        assert snapshot(engine) == before, message


def test_a_login_names_one_user(engine: CaseEngine) -> None:
    engine.bind_login("jur", "jdoe", actor="bra")
    assert engine.user_by_login("jdoe") == engine.user("jur")
    with pytest.raises(InvalidDataError, match="bound to user 'jur' already"):
        engine.bind_login("jur2", "jdoe", actor="bra")
    with pytest.raises(InvalidDataError, match="bound to user 'jur' already"):
        engine.add_user("x", ["caseworker"], login="jdoe", actor="bra")
    with pytest.raises(InvalidDataError, match="has that login already"):
        engine.bind_login("jur", "jdoe", actor="bra")
    engine.bind_login("jur", None, actor="bra")
    assert engine.user_by_login("jdoe") is None
    engine.bind_login("jur2", "jdoe", actor="bra")
    assert engine.user_by_login("jdoe") == engine.user("jur2")


def test_a_deactivated_advisor_cannot_manage_users(engine: CaseEngine) -> None:
    engine.add_user("chef", ["advisor"], actor="bra")
    engine.deactivate_user("chef", actor="bra", reason="Orlov")
    with pytest.raises(UserDeactivatedError):
        engine.deactivate_user("bra", actor="chef", reason="Kup")
    assert engine.user("bra").active


def test_losing_the_owner_roles_lists_the_cases_as_needing_an_owner(
    engine: CaseEngine,
) -> None:
    number = engine.open_case(INQUIRY, actor="jur", title="Klage").case.number
    done = engine.change_roles(
        "jur", add=["auditor"], remove=["caseworker"], actor="bra"
    )
    assert [c.number for c in done.orphaned] == [number]
    assert [c.number for c in engine.owned_open_cases("jur")] == [number]


def test_a_change_in_another_process_counts_at_its_next_transaction(
    database_url: str, registry: WorkflowRegistry, clock: FakeClock
) -> None:
    """Two stores on one database, as `serve` and a person's command are."""
    first_db, second_db = (create_db_engine(database_url) for _ in range(2))
    try:
        serving = make_engine(SqlCaseStore(first_db), registry, clock)
        other = SqlCaseStore(second_db)
        assert serving.user("jur").active  # read, and remembered
        with serving.store.transaction(write=False) as tx:
            assert tx.get_user("jur") is not None

        person = CaseEngine(
            store=other,
            registry=registry,
            clock=clock,
            calendar=serving.calendar,
        )
        person.deactivate_user("jur", actor="bra", reason="Fratrådt")

        with serving.store.transaction(write=False) as tx:
            found = tx.get_user("jur")
            assert found is not None
            assert not found.active
            assert [u.id for u in tx.users_with_role("caseworker")] == ["jur2"]
        with pytest.raises(UserDeactivatedError):
            serving.open_case(INQUIRY, actor="jur", title="Klage")
    finally:
        first_db.dispose()
        second_db.dispose()


def test_a_concurrent_change_to_the_users_is_refused_not_forked(
    store: CaseStore, registry: WorkflowRegistry, clock: FakeClock
) -> None:
    engine = make_engine(store, registry, clock)
    first = engine.user_history("jur")[0]
    taken = replace(first, seq=first.seq + 1)  # the place another change took

    def append() -> None:
        with store.transaction() as tx:
            tx.append_user_change(taken)

    with pytest.raises(EngineError, match="changed the users at the same moment"):
        append()
    report = verify_store(store)
    assert report.ok, report.problems
