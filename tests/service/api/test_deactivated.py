"""A deactivated user's token: 401 at its next request, whoever deactivated them.

The API's process holds one store; the advisor deactivates the user from
another (the CLI on the same database file). No restart, no revocation
needed for the token to stop.
"""

from __future__ import annotations

from pathlib import Path

from engine.cases.engine import CaseEngine
from engine.dates.calendars import BusinessCalendar
from storage import SqlCaseStore, create_db_engine
from tests.service.api.conftest import Api, assert_problem
from tests.service.conftest import run_quietly


def test_the_token_stops_at_its_next_request(
    api: Api, api_engine: CaseEngine, db_path: Path
) -> None:
    assert api.get("/workflows", "jur").status_code == 200
    other = create_db_engine(f"sqlite:///{db_path}", create=False)
    try:
        CaseEngine(
            store=SqlCaseStore(other),
            registry=api_engine.registry,
            clock=api_engine.clock,
            calendar=BusinessCalendar(),
        ).deactivate_user("jur", actor="bra", reason="Fratrådt")
    finally:
        other.dispose()
    response = api.get("/workflows", "jur")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/workflows", "jur2").status_code == 200


def test_the_cli_deactivates_and_the_api_refuses_at_once(
    api: Api, api_engine: CaseEngine, db_path: Path
) -> None:
    assert api.get("/cases", "jur2").status_code == 200
    done = run_quietly(
        "--db", f"sqlite:///{db_path}",
        "user", "deactivate", "jur2", "--actor", "bra", "--reason", "Fratrådt",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert_problem(api.get("/cases", "jur2"), 401, "unauthenticated")
    # activated again, the old token stays revoked
    again = run_quietly(
        "--db", f"sqlite:///{db_path}",
        "user", "activate", "jur2", "--actor", "bra",
    )  # fmt: skip
    assert again.code == 0, again.err
    assert_problem(api.get("/cases", "jur2"), 401, "unauthenticated")
