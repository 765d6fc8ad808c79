"""`/ui/oidc/login` and `/ui/oidc/callback`: signing in at the office's provider.

`GET /ui/oidc/login?next=PATH` sets out (`service.pages.oidc_flow.start`):
the browser gets the cookie `sagsflow_sign_in` (HttpOnly, Path=/ui/oidc, ten
minutes, SameSite=Lax: the provider's redirect back is a navigation from
another site, on which a Strict cookie would not come along) and goes to the
provider. A GET link, not a form: the pages' Content-Security-Policy allows
forms to post to this site only, and a browser applies that to the redirect
after a post too.

`GET /ui/oidc/callback` is where the provider sends the browser back
(`oidc_flow.finish`). A finished sign-in sets the session cookie and answers
a short page that goes on to `next` by itself (a meta refresh, no script): the
session cookie is SameSite=Strict, and a browser leaves a Strict cookie off a
redirect that a navigation from another site started, so a plain 303 would
arrive without it; the page's own navigation starts on this site. A refused
one answers a page that says why, with its status (400, 401, 403, 502, 503),
and nobody is signed in. Either way the sign-in cookie is cleared.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from engine.logs import redact_text
from service.api.state import api_state
from service.pages import i18n, params
from service.pages.auth import safe_next, secure_cookies, set_session
from service.pages.errors import PageError
from service.pages.oidc import ProviderError, ProviderUnavailableError
from service.pages.oidc_flow import (
    COOKIE,
    COOKIE_PATH,
    SIGN_IN_LIFETIME,
    SignInError,
    finish,
    start,
)
from service.pages.routes.login import sign_in_setup
from service.pages.templating import page_language, render

router = APIRouter()
log = structlog.get_logger()

MAX_CALLBACK_FIELDS = 16


@router.get("/oidc/login")
def sign_in(request: Request) -> Response:
    """Set out for the provider, to come back to `next`."""
    params.check(request, "next")
    provider = sign_in_setup(request).provider
    if provider is None:
        raise PageError(404, "error.no_page")
    state = api_state(request)
    target = safe_next(request.query_params.get("next"))
    try:
        departure = start(state.store, state.engine.clock, provider, target)
    except ProviderUnavailableError as exc:
        return _refused(request, SignInError(503, "signin.provider_down", str(exc)))
    except ProviderError as exc:
        return _refused(request, SignInError(502, "signin.provider_failed", str(exc)))
    response = RedirectResponse(departure.url, status_code=303)
    response.set_cookie(
        COOKIE,
        departure.browser_secret,
        max_age=int(SIGN_IN_LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return response


@router.get("/oidc/callback")
def callback(request: Request) -> Response:
    """The provider sent the browser back: sign in, or say why not."""
    setup = sign_in_setup(request)
    if setup.provider is None:
        raise PageError(404, "error.no_page")
    items = request.query_params.multi_items()
    if len(items) > MAX_CALLBACK_FIELDS or any(
        "\x00" in k or "\x00" in v for k, v in items
    ):
        return _refused(request, SignInError(400, "signin.no_state", "bad_query"))
    state = api_state(request)
    try:
        arrival = finish(
            state.store,
            state.engine.clock,
            setup,
            dict(items),
            request.cookies.get(COOKIE),
        )
    except SignInError as refusal:
        return _refused(request, refusal)
    request.state.user = arrival.user.id
    log.info("page_login", user=arrival.user.id, method="oidc")
    response = render(request, "signed_in.html", viewer=None, next=arrival.next_path)
    set_session(request, response, arrival.cookie)
    _forget_sign_in(request, response)
    return response


def _refused(request: Request, refusal: SignInError) -> Response:
    log.warning("page_sign_in_refused", reason=refusal.reason, status=refusal.status)
    request.state.problem = f"page-{refusal.status}"
    strings = i18n.Strings(page_language(request))
    name = sign_in_setup(request).name
    response = render(
        request,
        "signin_refused.html",
        viewer=None,
        status=refusal.status,
        keep_query=False,  # the callback's query holds the code and the state
        code=refusal.status,
        message=redact_text(strings(refusal.key, provider=name, **refusal.values)),
    )
    _forget_sign_in(request, response)
    return response


def _forget_sign_in(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
