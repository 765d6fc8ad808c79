"""Cases found by what people remember of them: the number, a title word, a name.

`engine.search` makes the user's text into words (or a case number); the
store finds and ranks the cases (`CaseSearch`); this module says of each case
found which of its fields matched, to show beside it: the number; a party's
name (one who is not the authority: the citizen, a journalist); the
authority's name; or the title. A name is named before the title: the title
is shown with every result anyway, the name is why a case nobody remembers
the title of was found. A word the store matched through its stemmer alone
(PostgreSQL's `danish` configuration on titles) falls to the title, the only
field stemmed.

What a case is found by (`searchable`) is its title and its parties' names
as they stand; a name erased is not searched (the SQL stores' triggers leave
it out of their index the same way, storage/migrations 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.audit.personal import ERASED
from engine.cases.view import CaseView, ReadsViews, revealed
from engine.ports import CaseSearch
from engine.records import Case
from engine.search import SearchTerms, finds, words_of

AUTHORITY = "authority"  # the party role whose name is searched as the authority's
SEARCH_READ = "case_search"  # the access log's action for a case a search showed


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseMatch:
    """A case a search found, and what of it matched."""

    case: Case
    field: str  # "number", "party", "authority" or "title"
    value: str  # what that field holds: the number, the name, the title


@dataclass(frozen=True, kw_only=True, slots=True)
class Searchable:
    """The texts a case is found by."""

    title: str
    parties: tuple[str, ...]  # the names of the parties but the authority
    authorities: tuple[str, ...]  # the authority's name (a case may name none)


def searchable(case: Case) -> Searchable:
    """What `case` is found by: its title and its parties' names, none erased."""
    names = [p for p in case.parties if p.name != ERASED]
    return Searchable(
        title=case.title,
        parties=tuple(p.name for p in names if p.role != AUTHORITY),
        authorities=tuple(p.name for p in names if p.role == AUTHORITY),
    )


def search(tx: CaseSearch, terms: SearchTerms, *, limit: int) -> list[CaseMatch]:
    """The cases `terms` find in `tx`, best first, each with what matched."""
    return [matched(case, terms) for case in tx.search_cases(terms, limit=limit)]


def matched(case: Case, terms: SearchTerms) -> CaseMatch:
    """`case` as `terms` found it: which field matched (see the docstring)."""
    if terms.number is not None:
        return CaseMatch(case=case, field="number", value=case.number)
    texts = searchable(case)
    for field, names in (("party", texts.parties), ("authority", texts.authorities)):
        for name in names:
            words = words_of(name)
            if any(finds(word, words) for word in terms.words):
                return CaseMatch(case=case, field=field, value=name)
    return CaseMatch(case=case, field="title", value=case.title)


def with_records(
    tx: ReadsViews, matches: Sequence[CaseMatch]
) -> list[tuple[CaseMatch, CaseView]]:
    """Each match with its case's record, read together in `tx`."""
    ids = [_id(m.case) for m in matches]
    histories = revealed(tx, tx.histories(ids))
    documents = tx.documents_of(ids)
    return [
        (
            m,
            CaseView(
                case=m.case,
                history=histories[_id(m.case)],
                documents=documents[_id(m.case)],
            ),
        )
        for m in matches
    ]


def _id(case: Case) -> int:
    assert case.id is not None, "a stored case has an id"
    return case.id
