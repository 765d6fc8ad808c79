"""Case search in memory: the SQL stores' search, by reading every case.

The same words find the same cases as on SQLite (a word finds the words that
begin with it, a letter alone only itself; every word must be found; erased
names are not searched). The ranking follows the SQL stores' weights as far
as a sum can: each word counts what the best field it is found in weighs
(title, then a party's name, then the authority's), the newest case first
among equals. No stemming: on PostgreSQL a title word also finds its
other forms.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.cases.search import searchable
from engine.records import Case
from engine.search import SearchTerms, finds, words_of
from storage.memory.state import MemoryRows

TITLE, PARTY, AUTHORITY = 1.0, 0.4, 0.2  # PostgreSQL's ts_rank weights A, B, C


class SearchMemory(MemoryRows):
    """`engine.ports.CaseSearch`."""

    def search_cases(self, terms: SearchTerms, *, limit: int) -> Sequence[Case]:
        cases = self.s.cases.values()
        if terms.number is not None:
            number = terms.number
            return sorted(
                (c for c in cases if c.number.startswith(number)),
                key=lambda c: c.number,
            )[:limit]
        scored: list[tuple[float, int, Case]] = []
        for case in cases:
            score = _score(case, terms.words)
            if score:
                scored.append((-score, -(case.id or 0), case))
        return [case for *_, case in sorted(scored)[:limit]]


def _score(case: Case, words: Sequence[str]) -> float:
    """What `case` scores for `words`: 0 unless every word is found."""
    texts = searchable(case)
    fields = (
        (TITLE, words_of(texts.title)),
        (PARTY, [w for name in texts.parties for w in words_of(name)]),
        (AUTHORITY, [w for name in texts.authorities for w in words_of(name)]),
    )
    score = 0.0
    for word in words:
        weight = max((w for w, found in fields if finds(word, found)), default=0.0)
        if not weight:
            return 0.0
        score += weight
    return score
