"""The sign-in settings: read from the environment, refused clearly when wrong.

A bad setting stops `create_app` (so `sagsflow api` and `serve`) with one
message naming the variable; the command line prints it as one error line and
exits 1; the client secret is in no message and no repr.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases.engine import CaseEngine
from engine.exceptions import InvalidInputError
from service.api.app import create_app
from service.settings import Settings
from storage import SqlCaseStore
from tests.service.conftest import Run

SECRET = "the-client-secret-nobody-may-read-0123456789"
GOOD = {
    "SAGSFLOW_OIDC_ISSUER": "https://login.microsoftonline.com/TENANT/v2.0",
    "SAGSFLOW_OIDC_CLIENT_ID": "0b5c4b1e-sagsflow",
    "SAGSFLOW_OIDC_CLIENT_SECRET": SECRET,
    "SAGSFLOW_PUBLIC_URL": "https://sagsflow.kommune.example/",
}


def test_the_defaults_and_what_the_environment_gives() -> None:
    plain = Settings.from_env({})
    assert (plain.oidc_issuer, plain.oidc_user_claim) == (None, "preferred_username")
    assert (plain.oidc_scopes, plain.session_idle_minutes) == (
        "openid profile email",
        30,
    )
    assert plain.token_login == "on"
    given = Settings.from_env(
        {
            **GOOD,
            "SAGSFLOW_OIDC_USER_CLAIM": " upn ",
            "SAGSFLOW_OIDC_SCOPES": "  openid   email ",
            "SAGSFLOW_OIDC_NAME": "Kommunens login",
            "SAGSFLOW_SESSION_IDLE_MINUTES": "15",
            "SAGSFLOW_TOKEN_LOGIN": "OFF",
        }
    )
    assert given.oidc_issuer == GOOD["SAGSFLOW_OIDC_ISSUER"]
    assert (given.oidc_user_claim, given.oidc_scopes) == ("upn", "openid email")
    assert (given.oidc_name, given.session_idle_minutes) == ("Kommunens login", 15)
    assert given.token_login == "off"
    assert SECRET not in repr(given)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"SAGSFLOW_OIDC_CLIENT_ID": "", "SAGSFLOW_PUBLIC_URL": ""},
            "SAGSFLOW_OIDC_ISSUER is set, so SAGSFLOW_OIDC_CLIENT_ID, "
            "SAGSFLOW_PUBLIC_URL must be too",
        ),
        (
            {"SAGSFLOW_OIDC_CLIENT_SECRET": ""},
            "so SAGSFLOW_OIDC_CLIENT_SECRET must be too",
        ),
        (
            {"SAGSFLOW_OIDC_ISSUER": "http://login.example.org"},
            "SAGSFLOW_OIDC_ISSUER must be an https:// address",
        ),
        (
            {"SAGSFLOW_OIDC_ISSUER": "https://login.example.org/?tenant=x"},
            "SAGSFLOW_OIDC_ISSUER must be an address with a host and no query",
        ),
        (
            {"SAGSFLOW_PUBLIC_URL": "ftp://sagsflow.example.org"},
            "SAGSFLOW_PUBLIC_URL must be an https:// address",
        ),
        (
            {"SAGSFLOW_OIDC_SCOPES": "profile email"},
            "SAGSFLOW_OIDC_SCOPES must include 'openid'",
        ),
        (
            {"SAGSFLOW_SESSION_IDLE_MINUTES": "0"},
            "SAGSFLOW_SESSION_IDLE_MINUTES must be a whole number of minutes",
        ),
        (
            {"SAGSFLOW_SESSION_IDLE_MINUTES": "half an hour"},
            "SAGSFLOW_SESSION_IDLE_MINUTES must be a whole number of minutes",
        ),
        (
            {"SAGSFLOW_TOKEN_LOGIN": "sometimes"},
            "SAGSFLOW_TOKEN_LOGIN must be 'on' or 'off'",
        ),
        (
            {"SAGSFLOW_TOKEN_LOGIN": "off", "SAGSFLOW_OIDC_ISSUER": ""},
            "SAGSFLOW_TOKEN_LOGIN=off leaves the pages no way to sign in",
        ),
    ],
    ids=[
        "no-client-id-nor-public-url",
        "no-secret",
        "plain-http",
        "a-query",
        "public-url-not-web",
        "no-openid-scope",
        "idle-zero",
        "idle-words",
        "token-login-sometimes",
        "no-way-in",
    ],
)
def test_a_bad_sign_in_setting_stops_the_app_with_one_clear_message(
    api_engine: CaseEngine,
    api_store: SqlCaseStore,
    changes: dict[str, str],
    message: str,
) -> None:
    settings = Settings.from_env({**GOOD, **changes})
    with pytest.raises(InvalidInputError) as refused:
        create_app(engine=api_engine, store=api_store, settings=settings)
    assert message in str(refused.value)
    assert SECRET not in str(refused.value)


def test_http_is_taken_on_this_machine_only(
    api_engine: CaseEngine, api_store: SqlCaseStore
) -> None:
    for local in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:80"):
        settings = Settings.from_env(
            {**GOOD, "SAGSFLOW_OIDC_ISSUER": local, "SAGSFLOW_PUBLIC_URL": local}
        )
        assert create_app(engine=api_engine, store=api_store, settings=settings)


def test_sagsflow_api_refuses_a_bad_setting_in_one_line(
    run: Run, initialised: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {**GOOD, "SAGSFLOW_PUBLIC_URL": "sagsflow.example"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SAGSFLOW_API_PORT", "0")
    result = run("api")
    assert "Traceback" not in result.out + result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("sagsflow: error: SAGSFLOW_PUBLIC_URL must be")
    assert result.code == 1
    assert SECRET not in result.out + result.err
