"""`/ui/login` and `/ui/logout`: a token in, the session cookie out.

The login form posts the token; a valid one (the API's own check) sets the
session cookie and sends the browser on to `next`, a path of the pages and
nothing else. An invalid one answers 401 with the form again.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import structlog
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from service.api import tokens
from service.api.state import api_state
from service.pages import i18n, params
from service.pages.auth import (
    MAX_TOKEN_CHARS,
    check_origin,
    clear_session,
    safe_next,
    set_session,
)
from service.pages.errors import LOGIN, PageError
from service.pages.templating import page_language, render

router = APIRouter()
log = structlog.get_logger()

MAX_FIELDS = 8


@router.get("/login")
def login_form(request: Request) -> Response:
    """The login form; `next` is where a valid token leads."""
    params.check(request, "next")
    target = safe_next(request.query_params.get("next"))
    return render(request, "login.html", viewer=None, next=target, error=None)


@router.post("/login", dependencies=[Depends(check_origin)])
async def login(request: Request) -> Response:
    """Check the token; on success set the session cookie and go on."""
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
    request.state.user = found.id
    log.info("page_login", user=found.id)
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, token)
    return response


@router.post("/logout", dependencies=[Depends(check_origin)])
def logout(request: Request) -> Response:
    """Forget the session cookie (the token itself stays valid)."""
    response = RedirectResponse(LOGIN, status_code=303)
    clear_session(request, response)
    return response


def _refused(request: Request, target: str, message: str) -> Response:
    request.state.problem = "page-401"
    return render(
        request, "login.html", viewer=None, status=401, next=target, error=message
    )


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
