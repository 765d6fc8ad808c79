"""Danish by default, English on request; every word is in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.pages import i18n
from tests.service.pages.conftest import Pages
from tests.service.pages.html import parse

TEMPLATES = Path(i18n.__file__).parent / "templates"
PAGES = ("/ui/", "/ui/audit", "/ui/audit/verify", "/ui/cases/2024-0283489")


@pytest.mark.parametrize("path", PAGES)
def test_danish_by_default_english_on_request_and_remembered(
    pages: Pages, founding: str, path: str
) -> None:
    client = pages.as_user("bra")
    danish = parse(client.get(path).text)
    assert danish.find("html").attrs["lang"] == "da"
    switch = danish.find("a", id="lang-switch")
    assert (switch.attrs["href"], switch.text) == ("?lang=en", "English")
    english = client.get(path + "?lang=en")
    assert english.status_code == 200
    assert "sagsflow_lang=en" in english.headers["set-cookie"]
    page = parse(english.text)
    assert page.find("html").attrs["lang"] == "en"
    assert page.find("a", id="lang-switch").attrs["href"] == "?lang=da"
    assert page.find("button", id="logout").text == "Log out"
    again = parse(client.get(path).text)  # the cookie keeps it
    assert again.find("html").attrs["lang"] == "en"
    assert parse(client.get(path + "?lang=da").text).find("html").attrs["lang"] == "da"


def test_english_words_on_the_dashboard(pages: Pages, founding: str) -> None:
    page = parse(pages.as_user("rev").get("/ui/?lang=en").text)
    assert page.find("h1").text == "Overview"
    assert page.find("section", id="overdue-cases").find("h2").text == "Overdue cases"
    assert "rung 1 of 3" in page.find("tr", data_case=founding).text


def test_the_switch_keeps_the_search(pages: Pages) -> None:
    page = parse(pages.as_user("rev").get("/ui/audit?actor=jur&page=1").text)
    href = page.find("a", id="lang-switch").attrs["href"]
    assert href == "?actor=jur&page=1&lang=en"


def test_an_unknown_language_is_a_400_page(pages: Pages) -> None:
    response = pages.as_user("rev").get("/ui/?lang=fr")
    assert response.status_code == 400
    assert "'fr'" in parse(response.text).find(id="error-message").text


def test_the_login_page_speaks_english_too(pages: Pages) -> None:
    page = parse(pages.anonymous().get("/ui/login?lang=en").text)
    assert page.find("h1").text == "Log in"
    assert page.find("label", for_="token").text == "Access token"


def test_both_languages_have_every_word() -> None:
    assert set(i18n.STRINGS["da"]) == set(i18n.STRINGS["en"])


def test_every_word_a_template_names_is_there() -> None:
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        used |= set(re.findall(r"""_\(\s*["']([a-z_.0-9]+)["']\s*[,)]""", text))
    assert used
    assert used <= set(i18n.STRINGS["da"])
    made = [  # keys a template makes from data
        *(f"chaser.timer.{t}" for t in ("running", "stopped", "off")),
        *(f"kind.{k}" for k in ("audit", "reminder", "document", "deadline")),
        *(
            f"deadline.status.{s}"
            for s in ("met", "replaced", "missed", "running", "overdue", "paused")
        ),
        *(f"direction.{d}" for d in ("incoming", "outgoing", "note")),
        *(f"error.{status}" for status in (400, 403, 404, 405, 413, 500, 503)),
    ]
    assert set(made) <= set(i18n.STRINGS["da"])


def test_numbers_are_grouped_as_each_language_writes_them() -> None:
    assert i18n.Strings("da").number(10000) == "10.000"
    assert i18n.Strings("en").number(10000) == "10,000"


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("da", 1, "over fristen med 1 arbejdsdag"),
        ("da", 2, "over fristen med 2 arbejdsdage"),
        ("da", 0, "over fristen med 0 arbejdsdage"),
        ("en", 1, "overdue by 1 working day"),
        ("en", 500, "overdue by 500 working days"),
    ],
)
def test_counted_words_take_singular_or_plural(
    lang: str, n: int, expected: str
) -> None:
    assert i18n.Strings(lang)("deadline.overdue_by", n=n) == expected


def test_no_word_shows_a_bar_or_a_parenthesised_plural() -> None:
    for lang in i18n.LANGUAGES:
        strings = i18n.Strings(lang)
        for key in i18n.STRINGS[lang]:
            text = i18n.STRINGS[lang][key]
            assert "(e)" not in text, key
            assert "(s)" not in text, key
            if "|" in text:
                for count in (1, 2):
                    shown = strings(
                        key, n=count, days=count, day="2024-11-06", state="opened"
                    )
                    assert "|" not in shown, key
