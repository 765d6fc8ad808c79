"""The pages' words in Danish (the default) and English, and which one a page uses.

`?lang=da` or `?lang=en` on any page chooses the language and remembers it in
the cookie `sagsflow_lang`; without either, the office's `SAGSFLOW_LANGUAGE`.
The pages' own words are translated, and so are the case page's reasoning
(`engine.explain.case` says it in either language) and its diagram's legend and
description; state names, events, roles and workflow descriptions are the
workflow's own, and `audit verify`'s findings stay as the command line has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from service.api.auth import PAGES_PREFIX
from service.pages import words_da, words_en
from service.pages.auth import secure_cookies

LANGUAGES = ("da", "en")
COOKIE = "sagsflow_lang"
PARAM = "lang"

STRINGS: Mapping[str, Mapping[str, str]] = {"da": words_da.WORDS, "en": words_en.WORDS}


class Strings:
    """The words of one language; `strings("key", name=value)` in templates."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._table = STRINGS[lang]

    def __call__(self, key: str, **values: object) -> str:
        """The words for `key` filled in; "singular|plural" chosen by the count.

        The count is the value `n` (or `days`): 1 takes the part before the bar.
        """
        text = self._table[key]
        if "|" in text:
            one, other = text.split("|", 1)
            count = values.get("n", values.get("days"))
            text = one if count == 1 else other
        return text.format(**values)

    def maybe(self, key: str, default: str) -> str:
        """The words for `key` if there are any (for data such as directions)."""
        text = self._table.get(key)
        return text if text is not None else default

    def number(self, n: int) -> str:
        """A whole number with the language's thousands separator (10.000)."""
        grouped = f"{n:,}"
        return grouped.replace(",", ".") if self.lang == "da" else grouped


def chosen(request: Request) -> str | None:
    """The language named by `?lang=` (None without one, or an unknown one)."""
    value = request.query_params.get(PARAM)
    return value if value in LANGUAGES else None


def language(request: Request, default: str) -> str:
    """The page's language: `?lang=`, else the cookie, else `default`."""
    remembered = request.cookies.get(COOKIE)
    for candidate in (chosen(request), remembered, default):
        if candidate in LANGUAGES:
            return candidate
    return LANGUAGES[0]


def remember(request: Request, response: Response) -> None:
    """Keep a language chosen by `?lang=` in its cookie."""
    lang = chosen(request)
    if lang is not None and lang != request.cookies.get(COOKIE):
        response.set_cookie(
            COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            path=PAGES_PREFIX,
            samesite="strict",
            httponly=True,
            secure=secure_cookies(request),
        )


def switch(request: Request, lang: str, *, keep_query: bool) -> dict[str, str]:
    """The header's link to the page in the other language.

    A relative `?...` link: the same page, with the query it has (filters,
    paging) when `keep_query`, else with nothing but the language (error
    pages: their query may hold what the page withholds).
    """
    other = next(code for code in LANGUAGES if code != lang)
    kept = (
        [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
        if keep_query
        else []
    )
    return {
        "href": "?" + urlencode([*kept, (PARAM, other)]),
        "lang": other,
        "label": STRINGS[lang]["switch.label"],
    }
