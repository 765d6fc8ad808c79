"""Finding cases by their number, a word of their title or a name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from engine.records import Case
from engine.search import SearchTerms


class CaseSearch(Protocol):
    def search_cases(self, terms: SearchTerms, *, limit: int) -> Sequence[Case]:
        """The cases `terms` find, open and closed, best first, at most `limit`.

        By number: the case of that number, then those whose numbers begin
        with it, in number order. By words: the cases where every word is
        found in the title, the parties' names or the authority's name (not an
        erased name), ranked by the database's full-text rank (bm25 on
        SQLite, ts_rank on PostgreSQL; a word in the title weighs most, then
        in a party's name, then in the authority's), the newest first among
        equals. A SQL store reads its full-text index, never scans the cases.
        """
        ...
