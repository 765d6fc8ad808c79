"""What a case search asks for: the user's text made into plain words.

A search (`case list --search`, `GET /cases?q=`, the pages' case box) takes a
case number, a word of a title or a name. The text never reaches a database's
query language as it was typed: it is cut into words of letters and digits
(æ, ø, å and every other letter kept, lower-cased), and every other character
is dropped, the full-text engines' operators (`"`, `*`, `:`, `&`, `|`, `!`,
brackets) with the rest; each store then quotes every word for its own engine
(storage/sql/search.py). Words such as NEAR, AND or NOT are words like any
other. A text that holds a case number (`2024-0283489`, or its beginning such
as `2024-02834`) searches by that number alone ("sag 2024-0283489" too; the
first number, if it holds more).

A word finds the words of a case that begin with it ("søren" finds "Søren"
and "Sørensen"); a word of one letter finds only itself, so an initial
narrows a name instead of matching every name with that letter in front.
Every word must be found (in any of the fields searched).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.exceptions import InvalidInputError

MAX_LENGTH = 200  # characters: more than any number, title or name a person types

_NUMBER = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]+")
_WORD = re.compile(r"[^\W_]+")  # letters and digits, of any script


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """A search, cleaned: a case number (or its beginning), else words."""

    words: tuple[str, ...] = ()  # lower-case letters and digits, each once
    number: str | None = None  # a case number, or the beginning of one

    def __post_init__(self) -> None:
        if (self.number is None) == (not self.words):
            raise ValueError("a search is by number or by words")


def parse_search(text: str) -> SearchTerms:
    """The words (or the case number) of the user's `text`.

    Raises:
        InvalidInputError: the text is longer than MAX_LENGTH, or holds no
            letter or digit to search for. The message never quotes the text:
            it may be a person's name.
    """
    if len(text) > MAX_LENGTH:
        raise InvalidInputError(
            f"a search is at most {MAX_LENGTH} characters; this one has {len(text):,}"
        )
    cleaned = unicodedata.normalize("NFC", text).lower()
    number = _NUMBER.search(cleaned)
    if number is not None:
        return SearchTerms(number=number.group())
    words = tuple(dict.fromkeys(_WORD.findall(cleaned)))
    if not words:
        raise InvalidInputError(
            "a search needs a case number, a word of a title or a name: "
            "this one holds no letter or digit"
        )
    return SearchTerms(words=words)


def words_of(text: str) -> list[str]:
    """The words a stored text is found by, cut as a search cuts its own."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def finds(word: str, words: Iterable[str]) -> bool:
    """Whether the search word `word` finds one of `words` (see the docstring)."""
    if len(word) == 1:
        return word in words
    return any(w.startswith(word) for w in words)


def search_alone(given: Mapping[str, object]) -> None:
    """Refuse the listing's filters beside a search (option or parameter name
    -> its value; a false value was not given): a search looks through every
    case, open and closed, and ranks what it finds.

    Raises:
        InvalidInputError: naming each filter given.
    """
    named = [name for name, value in given.items() if value]
    if named:
        raise InvalidInputError(
            "a search looks through every case and is not narrowed by other "
            f"filters: leave out {', '.join(named)}"
        )
