"""A person at the provider, without a browser: its forms driven over HTTP.

`at_provider(authorize_url, login)` does what a person does in the
provider's development login form (tests/oidc/provider.mjs): follows the
authorization request to the login form, types a login and a password,
confirms the consent form, and follows the provider's redirects until it
sends the browser back to the relying party. It returns that URL (the
callback with `code`, `state` and `iss`), which the test then opens in the
app's own client, as the browser would. `abort_at_provider` presses the
provider's "cancel" instead (an `access_denied` answer).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx2

WAIT_S = 30.0
_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)
_ABORT = re.compile(r'href="([^"]*/abort)"', re.IGNORECASE)


def _is_provider(url: str, issuer: str) -> bool:
    return urlsplit(url).netloc == urlsplit(issuer).netloc


def _follow(client: httpx2.Client, response: httpx2.Response, issuer: str) -> object:
    """Follow the provider's redirects: the page it stops at, or the URL it
    sends the browser to elsewhere (a str)."""
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        target = urljoin(str(response.url), response.headers["location"])
        if not _is_provider(target, issuer):
            return target
        response = client.get(target)
    raise AssertionError("the provider redirected too often")


def _submit(
    client: httpx2.Client, page: httpx2.Response, fields: dict[str, str]
) -> httpx2.Response:
    found = _FORM.search(page.text)
    assert found, f"no form on the provider's page: {page.text[:500]}"
    action = urljoin(str(page.url), found.group(1))
    return client.post(action, data=fields)


def at_provider(authorize_url: str, login: str, issuer: str) -> str:
    """Sign in at the provider as `login`; the URL it sends the browser back to."""
    with httpx2.Client(timeout=WAIT_S, follow_redirects=False) as client:
        step = _follow(client, client.get(authorize_url), issuer)
        for _ in range(3):  # the login form, then the consent form
            if isinstance(step, str):
                return step
            assert isinstance(step, httpx2.Response)
            assert step.status_code == 200, step.text[:500]
            if 'name="login"' in step.text:
                fields = {"prompt": "login", "login": login, "password": "any"}
            else:
                fields = {"prompt": "consent"}
            step = _follow(client, _submit(client, step, fields), issuer)
        assert isinstance(step, str), "the provider did not send the browser back"
        return step


def abort_at_provider(authorize_url: str, issuer: str) -> str:
    """Cancel at the provider's login form; the URL it sends the browser back to."""
    with httpx2.Client(timeout=WAIT_S, follow_redirects=False) as client:
        page = _follow(client, client.get(authorize_url), issuer)
        assert isinstance(page, httpx2.Response)
        found = _ABORT.search(page.text)
        assert found, f"no cancel link on the provider's page: {page.text[:500]}"
        cancel = client.get(urljoin(str(page.url), found.group(1)))
        back = _follow(client, cancel, issuer)
        assert isinstance(back, str)
        return back
