"""A case on the command line as text or JSON (case show, open, fire, assign)."""

from __future__ import annotations

from datetime import datetime

import click

from engine.cases.view import CaseView
from service import present
from service.cli import text
from service.cli.context import Context


def show_case(
    ctx: Context, view: CaseView, as_json: bool, now: datetime | None = None
) -> None:
    engine = ctx.engine
    moment = now or engine.clock.now()
    age = engine.age(view.case, moment)
    if as_json:
        shown = present.case_json(view, now=moment, calendar=engine.calendar, age=age)
        click.echo(present.dumps(shown))
    else:
        click.echo(text.case_text(view, now=moment, calendar=engine.calendar, age=age))
