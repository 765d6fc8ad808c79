"""Case search on SQL: each database's own full-text index, never a scan.

The index, `case_search`, is kept by triggers on `wf_case` (storage/migrations
0009): FTS5 on SQLite, a `tsvector` with a GIN index on PostgreSQL. A search
reads the best `limit` ids and their ranks from the index alone, then those
cases' rows by id.

The user's words (`engine.search`: letters and digits only) are quoted here
for each engine all the same, and are only ever bound parameters:

    SQLite      each word a string, "word"* (a prefix; a one-letter word
                "w" alone), a double quote doubled; the words ANDed
    PostgreSQL  each word through quote_literal into to_tsquery twice, ORed:
                through `danish`, its stem as a whole lexeme of the title
                (weight A: "klager" finds "klage" and "klagen"), and through
                `simple`, as written and a prefix ':*' (a letter alone: whole),
                in any field; the words ANDed. Not the stem as a prefix: a
                stem is the word cut short, and its prefix finds too much
                ("ansen" would find "ansøgning" through "ans")

A case number is looked up by the unique index on `wf_case.number` (a range
of numbers for a number's beginning).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, Integer, Select, TextClause, func, select, text

from engine.records import Case
from engine.search import SearchTerms
from storage.sql.base import Rows
from storage.sql.mapping import case_of
from storage.tables import CASES

INDEX = "case_search"
# bm25's weight of a match in each FTS5 column (title, parties, authority), in
# the proportions PostgreSQL's ts_rank gives its A, B, C lexemes (1, 0.4, 0.2).
SQLITE_WEIGHTS = "10.0, 4.0, 2.0"

_SQLITE_FOUND = (
    f"SELECT rowid AS id, bm25({INDEX}, {SQLITE_WEIGHTS}) AS score FROM {INDEX} "
    f"WHERE {INDEX} MATCH :query ORDER BY score, rowid DESC LIMIT :limit"
)
_POSTGRES_FOUND = (
    "SELECT s.case_id AS id, ts_rank(s.document, asked.query) AS score "
    f"FROM {INDEX} AS s, (SELECT {{query}} AS query) AS asked "
    "WHERE s.document @@ asked.query "
    "ORDER BY score DESC, s.case_id DESC LIMIT :limit"
)


class SearchRows(Rows):
    """`engine.ports.CaseSearch`."""

    def search_cases(self, terms: SearchTerms, *, limit: int) -> Sequence[Case]:
        if terms.number is not None:
            stmt = _by_number(terms.number, limit)
            return [case_of(r) for r in self.conn.execute(stmt).mappings()]
        found = (
            _postgres_found(terms.words, limit)
            if self.postgres
            else _sqlite_found(terms.words, limit)
        )
        ranked = found.columns(id=Integer(), score=Float()).subquery("found")
        order = ranked.c.score.desc() if self.postgres else ranked.c.score
        stmt = (
            select(CASES)
            .join(ranked, ranked.c.id == CASES.c.id)
            .order_by(order, ranked.c.id.desc())
        )
        return [case_of(r) for r in self.conn.execute(stmt).mappings()]


def _sqlite_found(words: Sequence[str], limit: int) -> TextClause:
    return text(_SQLITE_FOUND).bindparams(query=fts5_query(words), limit=limit)


def fts5_query(words: Sequence[str]) -> str:
    """FTS5's query for `words`: each a string, a prefix but for a letter alone."""
    strings = (
        '"' + w.replace('"', '""') + ('"' if len(w) == 1 else '"*') for w in words
    )
    return " AND ".join(strings)


def _postgres_found(words: Sequence[str], limit: int) -> TextClause:
    parts = []
    values: dict[str, Any] = {"limit": limit, "in_title": ":A"}
    for i, word in enumerate(words):
        parts.append(
            f"(to_tsquery('danish', quote_literal(:w{i}) || :in_title) || "
            f"to_tsquery('simple', quote_literal(:w{i}) || :prefix{i}))"
        )
        whole = len(word) == 1  # a letter alone is a word, not a prefix
        values |= {f"w{i}": word, f"prefix{i}": "" if whole else ":*"}
    query = " && ".join(parts)
    return text(_POSTGRES_FOUND.format(query=query)).bindparams(**values)


def _by_number(number: str, limit: int) -> Select[Any]:
    """The case of `number` first, then those whose numbers begin with it."""
    low, high = number_range(number)
    stmt = select(CASES).where(
        CASES.c.number >= low, func.substr(CASES.c.number, 1, len(number)) == number
    )
    if high is not None:
        stmt = stmt.where(CASES.c.number < high)
    return stmt.order_by(CASES.c.number).limit(limit)


def number_range(prefix: str) -> tuple[str, str | None]:
    """The numbers that begin with `prefix` lie in [low, high) (high None: no
    bound), for the unique index on the number to read. The bound is the next
    prefix (2024-02834 -> 2024-02835), not `prefix` with a character above
    '9' appended, which a collation that ignores punctuation (PostgreSQL's
    en_US, say) would not put after the digits; `_by_number` then keeps only
    the numbers that do begin with `prefix`."""
    digits = prefix.replace("-", "")
    following = str(int(digits) + 1).zfill(len(digits))
    if len(following) > len(digits):
        return prefix, None
    return prefix, f"{following[:4]}-{following[4:]}"


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's `include_name`: what autogenerate compares with the models.

    Not the search index (nor FTS5's own tables behind it, `case_search_data`
    and the like): the migrations make it, the models do not name it.
    """
    if type_ != "table" or name is None:
        return True
    return name != INDEX and not name.startswith(INDEX + "_")
