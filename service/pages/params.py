"""Reading a page's query: only the names it takes, bounded, NUL-free.

A page refuses a query name it does not take (a mistyped filter must not
silently widen what is shown), a text over `MAX_TEXT` characters, NUL
characters (PostgreSQL cannot compare them) and an unknown `?lang=`, each
with one clear 400 page.
"""

from __future__ import annotations

from starlette.requests import Request

from service.pages import i18n
from service.pages.errors import PageError

MAX_TEXT = 128
MAX_PAGE = 100_000


def check(request: Request, *names: str) -> None:
    """Refuse a query that names anything but `names` (and `lang`).

    Raises:
        PageError: 400, naming what is wrong.
    """
    items = request.query_params.multi_items()
    if "\x00" in request.url.path or any("\x00" in k or "\x00" in v for k, v in items):
        raise PageError(400, "error.nul")
    unknown = sorted({k for k, _ in items} - {*names, i18n.PARAM})
    if unknown:
        raise PageError(400, "error.bad_param", names=", ".join(unknown))
    lang = request.query_params.get(i18n.PARAM)
    if lang is not None and lang not in i18n.LANGUAGES:
        raise PageError(400, "error.bad_lang", value=lang[:16])


def text(request: Request, name: str) -> str | None:
    """A text parameter, stripped; None when absent or blank.

    Raises:
        PageError: 400 when longer than `MAX_TEXT`.
    """
    value = request.query_params.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise PageError(400, "error.too_long", name=name, most=MAX_TEXT)
    return value or None


def page_number(request: Request) -> int:
    """`?page=N`, from 1 (the default) to `MAX_PAGE`.

    Raises:
        PageError: 400 for anything else.
    """
    value = request.query_params.get("page", "1").strip()
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE))
    if not digits or not 1 <= int(value) <= MAX_PAGE:
        raise PageError(400, "error.bad_page", most=MAX_PAGE)
    return int(value)


def flag(request: Request, name: str) -> bool:
    """A yes-or-no query parameter: absent, or `1`.

    Raises:
        PageError: 400, any other value.
    """
    value = request.query_params.get(name)
    if value not in (None, "1"):
        raise PageError(400, "error.bad_param", names=name)
    return value == "1"
