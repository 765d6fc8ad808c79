"""Rendering a page: the Jinja2 templates, the language, times in Copenhagen.

Templates are autoescaped (every value is text; only the workflow diagram, an
SVG the engine draws from the declaration, goes in as markup) and strict (a
missing value is an error in the tests, not a blank on the page). Every page
is sent with headers that keep it out of caches and frames and allow no
script at all: the pages need none.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from engine.dates.calendars import COPENHAGEN
from service.api.state import api_state
from service.pages import i18n
from service.pages.auth import Viewer
from service.pages.labelled import Said
from service.present import via_text

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""No script, no framing, nothing from elsewhere; case data is not cached.

`style-src 'unsafe-inline'` is for the inline SVG's own style attributes."""


def day(value: date) -> str:
    """A date as `2024-11-06`."""
    return value.isoformat()


def when(value: datetime) -> str:
    """An instant as Copenhagen local time, `2024-10-09 10:00`."""
    return f"{value.astimezone(COPENHAGEN):%Y-%m-%d %H:%M}"


def isotime(value: datetime) -> str:
    """An instant for `<time datetime>`: local time with its UTC offset."""
    return value.astimezone(COPENHAGEN).isoformat(timespec="seconds")


@pass_context
def _number(context: Context, value: int) -> str:
    strings = context["_"]
    assert isinstance(strings, i18n.Strings)
    return strings.number(value)


ENV = Environment(
    loader=PackageLoader("service.pages", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(day=day, when=when, isotime=isotime, num=_number, via=via_text)


def page_language(request: Request) -> str:
    """The language a page is rendered in (see `service.pages.i18n`)."""
    return i18n.language(request, api_state(request).settings.language)


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    status: int = 200,
    section: str | None = None,
    keep_query: bool = True,
    **context: Any,
) -> HTMLResponse:
    """The page `template` for `viewer` (None: logged out), as a response.

    Args:
        section: which item of the menu is the current page.
        keep_query: whether the language link keeps the page's query; error
            pages drop it.
    """
    lang = page_language(request)
    html = ENV.get_template(template).render(
        lang=lang,
        _=i18n.Strings(lang),
        viewer=viewer,
        section=section,
        office=api_state(request).settings.office,
        lang_switch=i18n.switch(request, lang, keep_query=keep_query),
        said=Said(request, lang),  # the workflows' labels in the page's language
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    i18n.remember(request, response)
    return response
