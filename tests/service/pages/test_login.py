"""Logging in with a token, the session cookie, logging out, and what is refused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from engine.cases.engine import CaseEngine
from service.api import tokens
from storage import SqlCaseStore
from tests.service.api.conftest import assert_problem
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse


def test_the_login_form_has_a_labelled_password_field_and_the_way_back(
    pages: Pages,
) -> None:
    response = pages.anonymous().get("/ui/login?next=/ui/audit")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    form = page.find("form", action="/ui/login")
    assert form.attrs["method"] == "post"
    token = form.find("input", id="token")
    assert (token.attrs["name"], token.attrs["type"]) == ("token", "password")
    assert page.find("label", for_="token").text
    assert form.find("input", name="next").attrs == {
        "type": "hidden",
        "name": "next",
        "value": "/ui/audit",
    }
    assert form.find("button", id="login").attrs["type"] == "submit"


def test_a_valid_token_sets_the_session_cookie_and_goes_on(pages: Pages) -> None:
    client = pages.anonymous()
    response = client.post(
        "/ui/login", data={"token": pages.tokens["rev"], "next": "/ui/audit?case=x"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/audit?case=x"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sagsflow_session=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/ui"} <= attributes
    assert client.get("/ui/").status_code == 200


def test_a_wrong_token_answers_401_with_the_form_and_an_alert(pages: Pages) -> None:
    client = pages.anonymous()
    for token in ("sgf_000000000000_nope", "", "x" * 5000):
        response = client.post("/ui/login", data={"token": token, "next": "/ui/"})
        assert response.status_code == 401
        assert "set-cookie" not in response.headers
        page = parse(response.text)
        alert = page.find("p", id="login-error")
        assert alert.attrs["role"] == "alert"
        assert alert.text
        assert page.find("input", id="token")
    assert client.get("/ui/").status_code == 303


def test_a_revoked_token_stops_working_at_once(
    pages: Pages, api_engine: CaseEngine, api_store: SqlCaseStore
) -> None:
    client = pages.as_user("rev")
    assert client.get("/ui/").status_code == 200
    token_id = next(t.id for t in tokens.list_tokens(api_store) if t.user_id == "rev")
    tokens.revoke(api_store, api_engine.clock, token_id)
    response = client.get("/ui/audit")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=")
    assert 'sagsflow_session=""' in response.headers["set-cookie"]  # cleared


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/ui/",
        "//evil.example/ui/",
        "/\\evil.example",
        "/ui\\..\\x",
        "/cases/2024-0283489",
        "/ui/../cases",
        "javascript:alert(1)",
        "/ui/\nSet-Cookie: x=1",
        "",
    ],
)
def test_next_never_leaves_the_pages(pages: Pages, target: str) -> None:
    response = pages.anonymous().post(
        "/ui/login", data={"token": pages.tokens["rev"], "next": target}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/"


def test_a_page_without_a_session_sends_the_browser_to_log_in(pages: Pages) -> None:
    client = pages.anonymous()
    response = client.get("/ui/audit?case=2024-0283489&actor=jur")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/ui/login"
    assert parse_qs(location.query)["next"] == ["/ui/audit?case=2024-0283489&actor=jur"]
    form = parse(client.get(response.headers["location"]).text)
    assert form.find("input", name="next").attrs["value"] == (
        "/ui/audit?case=2024-0283489&actor=jur"
    )


def test_logging_out_forgets_the_session(pages: Pages) -> None:
    client = pages.as_user("bra")
    response = client.post("/ui/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login"
    assert client.get("/ui/").status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_site_is_refused(
    pages: Pages, headers: dict[str, str]
) -> None:
    client = pages.as_user("rev")
    refused = client.post(
        "/ui/login", data={"token": pages.tokens["bra"]}, headers=headers
    )
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    verify = client.post("/ui/audit/verify", headers=headers)
    assert verify.status_code == 403
    assert 'data-ok="' not in verify.text
    same_site = client.post("/ui/audit/verify", headers={"Origin": "http://testserver"})
    assert same_site.status_code == 200


def test_the_api_does_not_take_the_session_cookie(pages: Pages) -> None:
    client = pages.anonymous()
    cookie = {"Cookie": f"sagsflow_session={pages.tokens['bra']}"}
    for path in ("/cases", "/audit/log", "/audit/verify"):
        assert_problem(client.get(path, headers=cookie), 401, "unauthenticated")
    bearer = {"Authorization": f"Bearer {pages.tokens['bra']}"}
    assert client.get("/cases", headers=bearer).status_code == 200


def test_the_root_sends_a_browser_to_the_pages(pages: Pages) -> None:
    client = pages.anonymous()
    for path in ("/", "/ui"):
        response = client.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/ui/")


def test_a_forwarded_host_is_not_this_site_unless_a_trusted_proxy_sent_it(
    pages: Pages,
) -> None:
    # Only the server's ForwardedHeaders believes X-Forwarded-Host, from a proxy
    # in SAGSFLOW_FORWARDED_ALLOW_IPS (tests/service/test_behind_proxy.py).
    response = pages.anonymous().post(
        "/ui/login",
        data={"token": pages.tokens["rev"]},
        headers={
            "Origin": "https://sagsflow.example.org",
            "X-Forwarded-Host": "sagsflow.example.org",
        },
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
