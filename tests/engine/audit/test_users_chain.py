"""The users' chain under attack: someone with write access to the database.

`audit verify` must name each change made behind sagsflow's back: a role
given in the users' table, an entry of the chain edited, deleted or the whole
chain re-written (the last only against a checkpoint), a user inserted or
removed. And revision 0010 enrols the users a database already had.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from engine.audit.anchor import Signer, anchored_heads
from engine.audit.review import checkpoint, verify_store
from engine.audit.users import GENESIS, USERS_CHAIN, seal, user_state
from engine.audit.verify import Report
from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from engine.records import User
from engine.testing import FakeClock
from engine.workflow.registry import WorkflowRegistry
from service.cli.main import cli
from storage import SqlCaseStore, create_db_engine, upgrade_schema
from storage.database import _alembic_config
from tests.conftest import make_engine

SIGNER = Signer(hmac_key=b"k" * 32)
NOW = datetime(2024, 11, 25, 12, tzinfo=UTC)


@pytest.fixture
def office(tmp_path: Path, registry: WorkflowRegistry) -> Path:
    """A SQLite file with the five users and jur made an advisor too."""
    path = tmp_path / "sagsflow.db"
    db = create_db_engine(f"sqlite:///{path}")
    upgrade_schema(db)
    engine = make_engine(SqlCaseStore(db), registry, FakeClock(NOW))
    engine.change_roles("jur", add=["advisor"], actor="bra", reason="Stedfortræder")
    db.dispose()
    return path


def sql(path: Path, *statements: str) -> None:
    """Run `statements` as an attacker would: with the append-only triggers off."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TRIGGER user_change_no_update")
        conn.execute("DROP TRIGGER user_change_no_delete")
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def verified(path: Path, anchored: dict[str, tuple[int, str]] | None = None) -> Report:
    db = create_db_engine(f"sqlite:///{path}", create=False)
    try:
        return verify_store(SqlCaseStore(db), anchored=anchored)
    finally:
        db.dispose()


def taken(path: Path) -> dict[str, tuple[int, str]]:
    db = create_db_engine(f"sqlite:///{path}", create=False)
    try:
        return anchored_heads([checkpoint(SqlCaseStore(db), now=NOW, signer=SIGNER)])
    finally:
        db.dispose()


def kinds(report: Report) -> list[tuple[str, int | None, str]]:
    return [(p.case, p.seq, p.kind) for p in report.problems]


def test_the_untouched_users_verify(office: Path) -> None:
    report = verified(office, taken(office))
    assert (report.ok, report.user_changes) == (True, 6)


def test_a_role_given_in_the_users_table_is_named(office: Path) -> None:
    sql(
        office,
        """UPDATE app_user SET roles = '["intake", "advisor"]' WHERE id = 'ind'""",
    )
    report = verified(office)
    assert kinds(report) == [(USERS_CHAIN, 4, "user_changed")]
    assert "user 'ind' differs from the users' chain in roles" in (
        report.problems[0].detail
    )


def test_a_reactivation_in_the_users_table_is_named(office: Path) -> None:
    sql(office, "UPDATE app_user SET active = 0 WHERE id = 'jur2'")
    assert kinds(verified(office)) == [(USERS_CHAIN, 3, "user_changed")]


def test_an_edited_chain_entry_is_named(office: Path) -> None:
    sql(office, """UPDATE user_change SET reason = 'ingen' WHERE seq = 6""")
    assert kinds(verified(office)) == [(USERS_CHAIN, 6, "altered")]


def test_a_deleted_entry_is_named(office: Path) -> None:
    sql(office, "DELETE FROM user_change WHERE seq = 3")
    assert kinds(verified(office)) == [(USERS_CHAIN, 3, "deleted")]


def test_a_cut_off_tail_shows_in_the_rows_and_against_a_checkpoint(
    office: Path,
) -> None:
    anchored = taken(office)
    sql(office, "DELETE FROM user_change WHERE seq = 6")
    # the users' table still says jur is an advisor; the chain no longer does
    assert kinds(verified(office)) == [(USERS_CHAIN, 2, "user_changed")]
    assert (USERS_CHAIN, 6, "truncated") in kinds(verified(office, anchored))


def test_a_consistently_rewritten_chain_shows_only_against_a_checkpoint(
    office: Path,
) -> None:
    """The attacker makes ind an advisor from the start and re-seals everything."""
    anchored = taken(office)
    db = create_db_engine(f"sqlite:///{office}", create=False)
    with SqlCaseStore(db).transaction(write=False) as tx:
        chain = list(tx.user_changes())
    db.dispose()
    forged, prev = [], GENESIS
    for entry in chain:
        if entry.user_id == "ind":
            entry = replace(entry, state=entry.state | {"roles": ["advisor"]})
        entry = seal(entry, prev)
        forged.append(entry)
        prev = entry.hash
    statements = ["DELETE FROM user_change"]
    for e in forged:
        state = json.dumps(e.state).replace("'", "''")
        statements.append(
            "INSERT INTO user_change VALUES ("
            f"{e.seq}, '{e.user_id}', '{e.change}', '{e.actor}', "
            f"'{e.at.isoformat()}', {_text(e.reason)}, '{state}', "
            f"'{json.dumps(e.via)}', '{e.prev_hash}', '{e.hash}')"
        )
    statements.append("""UPDATE app_user SET roles = '["advisor"]' WHERE id = 'ind'""")
    sql(office, *statements)

    assert verified(office).ok  # the chain alone cannot tell
    assert (USERS_CHAIN, 6, "rechained") in kinds(verified(office, anchored))


def test_a_user_inserted_or_removed_behind_the_chains_back_is_named(
    office: Path,
) -> None:
    sql(
        office,
        "INSERT INTO app_user (id, roles, created_at, active) VALUES "
        """('mole', '["advisor"]', '2024-11-25 12:00:00.000000', 1)""",
        "DELETE FROM app_user WHERE id = 'rev'",
    )
    assert kinds(verified(office)) == [
        (USERS_CHAIN, None, "user_inserted"),
        (USERS_CHAIN, 5, "user_deleted"),
    ]


def test_the_cli_names_a_tampered_role_change(office: Path) -> None:
    from click.testing import CliRunner

    sql(office, """UPDATE app_user SET roles = '["advisor"]' WHERE id = 'rev'""")
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{office}", "audit", "verify"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "BROKEN users: user 'rev' differs from the users' chain in roles",
        "1 broken: 0 cases, 0 entries, 6 changes to users",
    ]


def _text(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


# -- revision 0010 enrols the users already there ---------------------------------
@pytest.fixture
def at_0009(tmp_path: Path) -> Iterator[Engine]:
    db = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with db.begin() as conn:
        command.upgrade(_alembic_config(conn), "0009")
        for n, (user_id, role) in enumerate(
            (("bra", "advisor"), ("jur", "caseworker"))
        ):
            conn.execute(  # the table as revision 0009 had it
                text(
                    "INSERT INTO app_user (id, roles, email, created_at) "
                    "VALUES (:id, :roles, NULL, :at)"
                ),
                {
                    "id": user_id,
                    "roles": f'["{role}"]',
                    "at": f"2024-01-0{n + 1} 00:00:00.000000",
                },
            )
    yield db
    db.dispose()


def test_the_upgrade_enrols_the_users_on_a_chain_that_verifies(
    at_0009: Engine, registry: WorkflowRegistry
) -> None:
    upgrade_schema(at_0009)
    store = SqlCaseStore(at_0009)
    with store.transaction(write=False) as tx:
        chain = list(tx.user_changes())
    assert [(c.seq, c.user_id, c.change, c.actor) for c in chain] == [
        (1, "bra", "enrolled", "system"),
        (2, "jur", "enrolled", "system"),
    ]
    assert chain[0].state == user_state(User(id="bra", roles=("advisor",)))
    assert verify_store(store).ok
    engine = CaseEngine(
        store=store,
        registry=registry,
        clock=FakeClock(NOW),
        calendar=BusinessCalendar(),
    )
    engine.deactivate_user("jur", actor="bra", reason="Fratrådt")
    report = verify_store(store)
    assert (report.ok, report.user_changes) == (True, 3)
