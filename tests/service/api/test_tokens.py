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
from tests.service.conftest import Result, Run, run_quietly, snapshot


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


class TestExpiry:
    """A new token works SAGSFLOW_TOKEN_DAYS days (365) unless told otherwise.

    The CLI runs on the real clock, so the tests compare the stored expiry with
    the stored creation time, never with the clock.
    """

    @staticmethod
    def made(run: Run, *argv: str) -> tuple[dict[str, str | None], str]:
        """`token create jur ARGV`: the listed token and what stderr said."""
        code, out, err = run("token", "create", "jur", *argv)
        assert code == 0, err
        token_id = (tokens.split(out.strip()) or ("", ""))[0]
        listed = json.loads(run("token", "list", "--json").out)
        (entry,) = [t for t in listed if t["id"] == token_id]
        return entry, err

    @staticmethod
    def lifetime(entry: dict[str, str | None]) -> timedelta:
        assert entry["expires_at"] is not None
        assert entry["created_at"] is not None
        return datetime.fromisoformat(entry["expires_at"]) - datetime.fromisoformat(
            entry["created_at"]
        )

    def test_a_token_works_365_days_by_default(
        self, users: CaseEngine, run: Run
    ) -> None:
        entry, err = self.made(run)
        assert self.lifetime(entry) == timedelta(days=365)
        assert ", until " in err

    def test_token_days_sets_how_long(
        self, users: CaseEngine, run: Run, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SAGSFLOW_TOKEN_DAYS", " 30 ")
        entry, _ = self.made(run)
        assert self.lifetime(entry) == timedelta(days=30)

    def test_no_expiry_works_until_revoked(
        self, users: CaseEngine, run: Run, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SAGSFLOW_TOKEN_DAYS", "30")
        entry, err = self.made(run, "--no-expiry")
        assert entry["expires_at"] is None
        assert entry["status"] == "active"
        assert ", no expiry" in err

    def test_expires_names_the_last_day_whatever_token_days_says(
        self, users: CaseEngine, run: Run, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SAGSFLOW_TOKEN_DAYS", "30")
        entry, _ = self.made(run, "--expires", "2099-06-30")
        assert entry["expires_at"] == "2099-06-30T22:00:00+00:00"

    @pytest.mark.parametrize(
        ("days", "argv", "message"),
        [
            ("0", (), "SAGSFLOW_TOKEN_DAYS must be a whole number of days, 1 to 36500"),
            (
                "-5",
                (),
                "SAGSFLOW_TOKEN_DAYS must be a whole number of days, 1 to 36500",
            ),
            ("a year", (), "SAGSFLOW_TOKEN_DAYS must be a whole number"),
            ("1.5", (), "SAGSFLOW_TOKEN_DAYS must be a whole number"),
            ("36501", (), "SAGSFLOW_TOKEN_DAYS must be a whole number"),
            ("99999999999", ("--no-expiry",), "SAGSFLOW_TOKEN_DAYS must be a whole"),
            (None, ("--no-expiry", "--expires", "2099-06-30"), "not both"),
        ],
    )
    def test_a_bad_lifetime_is_one_line_and_changes_nothing(
        self,
        users: CaseEngine,
        run: Run,
        db_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        days: str | None,
        argv: tuple[str, ...],
        message: str,
    ) -> None:
        if days is not None:
            monkeypatch.setenv("SAGSFLOW_TOKEN_DAYS", days)
        before = snapshot(db_path)
        code, out, err = run("token", "create", "jur", *argv)
        assert (code, out) == (1, "")
        assert err.startswith("sagsflow: error: ")
        assert message in err
        assert len(err.splitlines()) == 1
        assert snapshot(db_path) == before

    def test_a_lifetime_token_stops_when_it_is_over(
        self, api: Api, users: CaseEngine, clock: FakeClock, api_store: SqlCaseStore
    ) -> None:
        made, text = tokens.issue(
            api_store, users.clock, "jur", lifetime=timedelta(days=1)
        )
        assert made.expires_at == clock.now() + timedelta(days=1)
        headers = {"Authorization": f"Bearer {text}"}
        clock.advance(timedelta(days=1) - timedelta(seconds=1))
        assert api.get("/workflows", headers=headers).status_code == 200
        clock.advance(timedelta(seconds=1))
        assert_problem(api.get("/workflows", headers=headers), 401, "unauthenticated")

    @pytest.mark.parametrize(
        ("lifetime", "message"),
        [
            (timedelta(0), "must be positive"),
            (timedelta(days=-1), "must be positive"),
            (timedelta(days=999_999_999), "past the year 9999"),
        ],
    )
    def test_issue_refuses_a_lifetime_that_is_none(
        self,
        users: CaseEngine,
        api_store: SqlCaseStore,
        lifetime: timedelta,
        message: str,
    ) -> None:
        with pytest.raises(InvalidInputError, match=message):
            tokens.issue(api_store, users.clock, "jur", lifetime=lifetime)
        assert tokens.list_tokens(api_store) == []
