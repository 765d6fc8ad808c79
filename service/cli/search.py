"""`sagsflow case list --search TEXT`: the cases a text finds, best first.

A case number (or its beginning), words of a title, or a name; see
engine/search.py for what a text finds and engine/cases/search.py for the
matched field shown. Each case found is logged as read (`case_search`) by
the acting user, in the table as in the JSON: a match may show a party's
name. The text is logged nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import click

from engine.cases.search import CaseMatch
from engine.search import search_alone
from service import present
from service.cli.context import Context
from service.cli.text import table

DEFAULT_LIMIT = 20  # a screenful: a search that finds more wants another word


def list_found(
    ctx: Context,
    text: str,
    *,
    others: Mapping[str, object],
    limit: int | None,
    actor: str | None,
    now: datetime,
    as_json: bool,
) -> None:
    """Print what `text` finds (`others`: the listing's filters, refused).

    Raises:
        InvalidInputError: a filter beside the search, a text too long or
            with nothing to search for.
    """
    search_alone(others)
    who = ctx.reading(actor)
    engine = ctx.engine
    limit = limit or DEFAULT_LIMIT
    if as_json:
        found = engine.search_views(text, limit=limit, reader=who)
        body = [
            present.case_json(
                view, now=now, calendar=engine.calendar, age=engine.age(view.case, now)
            )
            | {"match": present.match_json(match)}
            for match, view in found
        ]
        click.echo(present.dumps(body))
        return
    matches = engine.search(text, limit=limit, reader=who)
    click.echo(found_text(matches) if matches else "no case found")


def found_text(matches: Sequence[CaseMatch]) -> str:
    """The cases found, best first, each with what matched."""
    rows = [
        (
            m.case.number,
            m.case.workflow,
            m.case.state,
            _matched(m),
            m.case.title,
        )
        for m in matches
    ]
    return table(rows, ("number", "workflow", "state", "matched", "title"))


def _matched(match: CaseMatch) -> str:
    """The field; a name with it (the number and the title are shown anyway)."""
    if match.field in ("number", "title"):
        return match.field
    return f"{match.field}: {match.value}"
