"""`/ui/login` and `/ui/logout`: signing in with a token, and signing out.

The login page offers the office's OpenID provider ("Sign in with ...",
`service.pages.routes.oidc`) when one is configured, and the token form when
token sign-in is on (`SAGSFLOW_TOKEN_LOGIN`, on by default). The form posts
the token; a valid one (the API's own check) opens a server-side session
(`service.pages.sessions`: the cookie holds the session, never the token) and
sends the browser on to `next`, a path of the pages and nothing else. An
invalid one answers 401 with the form again; with token sign-in off, a POST is
refused with a 403 page.

Signing out deletes the session and clears the cookie; with a provider, the
browser goes to `/ui/signed-out`, which offers the provider's end-session.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qs, urlencode

import structlog
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from service.api import tokens
from service.api.state import api_state
from service.pages import i18n, params, sessions
from service.pages.auth import (
    MAX_TOKEN_CHARS,
    check_origin,
    clear_session,
    safe_next,
    set_session,
)
from service.pages.errors import LOGIN, PageError
from service.pages.oidc_flow import SignInSetup
from service.pages.templating import page_language, render

router = APIRouter()
log = structlog.get_logger()

MAX_FIELDS = 8
SIGNED_OUT = "/ui/signed-out"


def sign_in_setup(request: Request) -> SignInSetup:
    """The pages' sign-in configuration (`service.pages.install`)."""
    return cast(SignInSetup, request.app.state.sign_in)


@router.get("/login")
def login_form(request: Request) -> Response:
    """The login page; `next` is where a sign-in leads."""
    params.check(request, "next")
    target = safe_next(request.query_params.get("next"))
    return _login_page(request, target, error=None)


@router.post("/login", dependencies=[Depends(check_origin)])
async def login(request: Request) -> Response:
    """Check the token; on success open a session and go on."""
    setup = sign_in_setup(request)
    if not setup.rules.token_login:
        log.warning("page_login_refused", reason="token_login_off")
        raise PageError(403, "login.token_off")
    form = _form(await request.body())
    token = (form.get("token") or "").strip()
    target = safe_next(form.get("next"))
    strings = i18n.Strings(page_language(request))
    if not token:
        return _refused(request, target, strings("login.missing"))
    state = api_state(request)
    found = (
        await run_in_threadpool(
            tokens.authenticate, state.store, state.engine.clock, token
        )
        if len(token) <= MAX_TOKEN_CHARS
        else tokens.Refusal(reason="malformed")
    )
    if isinstance(found, tokens.Refusal):
        log.warning("page_login_refused", reason=found.reason, token_id=found.token_id)
        return _refused(request, target, strings("login.refused"))
    parts = tokens.split(token)
    assert parts is not None  # it authenticated
    cookie = await run_in_threadpool(
        sessions.open_session,
        state.store,
        state.engine.clock,
        setup.rules,
        user_id=found.id,
        method=sessions.TOKEN,
        token_id=parts[0],
    )
    request.state.user = found.id
    log.info("page_login", user=found.id, method=sessions.TOKEN)
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, cookie)
    return response


@router.post("/logout", dependencies=[Depends(check_origin)])
def logout(request: Request) -> Response:
    """End the session (the row goes, the cookie is cleared)."""
    sessions.end_by_cookie(
        api_state(request).store, request.cookies.get(sessions.COOKIE)
    )
    provider = sign_in_setup(request).provider
    response = RedirectResponse(LOGIN if provider is None else SIGNED_OUT, 303)
    clear_session(request, response)
    return response


@router.get("/signed-out")
def signed_out(request: Request) -> Response:
    """Signed out of sagsflow; the provider's end-session, when there is one."""
    params.check(request)
    setup = sign_in_setup(request)
    end_session = setup.provider.end_session_url() if setup.provider else None
    return render(
        request,
        "signed_out.html",
        viewer=None,
        provider_name=setup.name,
        end_session=end_session,
    )


def _login_page(
    request: Request, target: str, *, error: str | None, status: int = 200
) -> Response:
    setup = sign_in_setup(request)
    provider = (
        {
            "name": setup.name,
            "href": "/ui/oidc/login?" + urlencode({"next": target}),
        }
        if setup.provider is not None
        else None
    )
    return render(
        request,
        "login.html",
        viewer=None,
        status=status,
        next=target,
        error=error,
        provider=provider,
        token_login=setup.rules.token_login,
    )


def _refused(request: Request, target: str, message: str) -> Response:
    request.state.problem = "page-401"
    return _login_page(request, target, error=message, status=401)


def _form(body: bytes) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each).

    Raises:
        PageError: 400 when the body is not an urlencoded UTF-8 form.
    """
    try:
        fields = parse_qs(
            body.decode("utf-8"), max_num_fields=MAX_FIELDS, keep_blank_values=True
        )
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "error.not_form") from None
    return {name: values[0] for name, values in fields.items()}
