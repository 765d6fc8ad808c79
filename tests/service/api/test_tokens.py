"""Bearer tokens: `sagsflow token create/list/revoke`, and what gets a 401.

The CLI runs in-process on the test's database (with the real clock: expiry
dates are far in the past or the future); the API through TestClient.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.exceptions import InvalidInputError, InvalidTimeError, UserNotFoundError
from engine.records import ApiToken, User
from engine.testing import FakeClock
from service.api import tokens
from storage import SqlCaseStore
from tests.service.api.conftest import Api, assert_problem
from tests.service.conftest import Result, run_quietly, snapshot


def sagsflow(db_path: Path, *argv: str) -> Result:
    return run_quietly("--db", f"sqlite:///{db_path}", *argv)


@pytest.fixture
def users(api_engine: CaseEngine) -> CaseEngine:
    """The test database with its users (and the engine on it)."""
    return api_engine


class TestCli:
    def test_create_prints_the_token_once_and_stores_its_digest_only(
        self, users: CaseEngine, db_path: Path
    ) -> None:
        code, out, err = sagsflow(db_path, "token", "create", "jur")
        assert code == 0, err
        text = out.strip()
        assert text.startswith(tokens.PREFIX)
        assert len(out.splitlines()) == 1  # stdout: the token, nothing else
        assert "not shown again" in err
        token_id, secret = tokens.split(text) or ("", "")
        stored = json.dumps(snapshot(db_path), default=str)
        assert secret not in stored
        assert tokens.digest(secret) in stored
        listed = sagsflow(db_path, "token", "list", "--json")
        assert listed.code == 0
        (entry,) = json.loads(listed.out)
        assert (entry["id"], entry["user"], entry["status"]) == (
            token_id,
            "jur",
            "active",
        )
        assert secret not in listed.out

    def test_the_created_token_works_until_revoked(
        self, users: CaseEngine, db_path: Path, api: Api
    ) -> None:
        text = sagsflow(db_path, "token", "create", "rev").out.strip()
        headers = {"Authorization": f"Bearer {text}"}
        assert api.get("/workflows", headers=headers).status_code == 200
        token_id = text[len(tokens.PREFIX) :].split("_")[0]
        revoked = sagsflow(db_path, "token", "revoke", token_id)
        assert revoked == (0, f"token {token_id} of rev is revoked\n", "")
        assert_problem(api.get("/workflows", headers=headers), 401, "unauthenticated")
        table = sagsflow(db_path, "token", "list").out
        assert token_id in table
        assert "revoked" in table

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (
                ("token", "create", "jur", "--expires", "next week"),
                "--expires 'next week' is not a date (YYYY-MM-DD)",
            ),
            (
                ("token", "create", "jur", "--expires", "2020-01-01"),
                "--expires 2020-01-01: that day has passed in Copenhagen",
            ),
            (("token", "create", "nobody"), "no user 'nobody'"),
            (("token", "create", "system"), "'system' is the scheduler's own user"),
            (("token", "revoke", "0123456789ab"), "no token '0123456789ab'"),
        ],
    )
    def test_refusals_are_one_line_and_change_nothing(
        self, users: CaseEngine, db_path: Path, argv: tuple[str, ...], message: str
    ) -> None:
        before = snapshot(db_path)
        code, out, err = sagsflow(db_path, *argv)
        assert (code, out) == (1, "")
        assert err.startswith("sagsflow: error: ")
        assert message in err
        assert len(err.splitlines()) == 1
        assert snapshot(db_path) == before

    def test_expires_at_the_end_of_the_day_in_copenhagen(
        self, users: CaseEngine, db_path: Path
    ) -> None:
        code, _, err = sagsflow(
            db_path, "token", "create", "jur", "--expires", "2099-06-30"
        )
        assert code == 0, err
        assert "until 2099-07-01 00:00 +02:00" in err
        (entry,) = json.loads(sagsflow(db_path, "token", "list", "--json").out)
        assert entry["expires_at"] == "2099-06-30T22:00:00+00:00"


class TestAuthentication:
    def test_an_expired_token_is_401(
        self, api: Api, users: CaseEngine, clock: FakeClock, api_store: SqlCaseStore
    ) -> None:
        _, text = tokens.issue(api_store, users.clock, "jur", expires="2024-11-25")
        headers = {"Authorization": f"Bearer {text}"}
        clock.set(datetime(2024, 11, 25, 22, 59, tzinfo=UTC))  # 23:59 in Copenhagen
        assert api.get("/workflows", headers=headers).status_code == 200
        clock.advance(timedelta(minutes=1))  # midnight: the day is over
        assert_problem(api.get("/workflows", headers=headers), 401, "unauthenticated")

    @pytest.mark.parametrize(
        "header",
        [
            "Bearer",
            "Bearer ",
            "Basic amVyOnNlY3JldA==",
            "Bearer not-a-token",
            "Bearer sgf_0123456789ab_unknown-id",
            "Bearer sgf_ZZZZ_bad-id",
            "bearer sgf_",
        ],
    )
    def test_anything_but_a_valid_token_is_401(self, api: Api, header: str) -> None:
        response = api.get("/cases", headers={"Authorization": header})
        assert_problem(response, 401, "unauthenticated")

    def test_a_wrong_secret_for_a_real_id_is_401(
        self, api: Api, users: CaseEngine, api_store: SqlCaseStore
    ) -> None:
        token, text = tokens.issue(api_store, users.clock, "bra")
        forged = f"{tokens.PREFIX}{token.id}_{'A' * 43}"
        assert (
            api.get("/cases", headers={"Authorization": f"Bearer {forged}"}).status_code
            == 401
        )
        assert (
            api.get("/cases", headers={"Authorization": f"bearer {text}"}).status_code
            == 200
        )

    def test_the_system_user_cannot_authenticate(
        self, api: Api, users: CaseEngine, clock: FakeClock, api_store: SqlCaseStore
    ) -> None:
        """Even a token planted in the database for it (the CLI refuses to make one)."""
        with pytest.raises(InvalidInputError):
            tokens.issue(api_store, users.clock, "system")
        with api_store.transaction() as tx:
            tx.add_user(User(id="system", roles=("system",), created_at=clock.now()))
            tx.add_token(
                ApiToken(
                    id="00000000000a",
                    user_id="system",
                    digest=tokens.digest("planted"),
                    created_at=clock.now(),
                )
            )
        planted = f"{tokens.PREFIX}00000000000a_planted"
        response = api.get("/cases", headers={"Authorization": f"Bearer {planted}"})
        assert_problem(response, 401, "unauthenticated")

    def test_issue_refuses_what_the_cli_refuses(
        self, users: CaseEngine, api_store: SqlCaseStore
    ) -> None:
        with pytest.raises(UserNotFoundError):
            tokens.issue(api_store, users.clock, "nobody")
        with pytest.raises(InvalidTimeError):
            tokens.issue(api_store, users.clock, "jur", expires="9999-12-31")
        with pytest.raises(InvalidTimeError):
            tokens.issue(
                api_store, users.clock, "jur", expires="2024-11-24"
            )  # yesterday by the clock
