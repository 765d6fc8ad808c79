"""A case on the command line as text or JSON (case show, open, fire, assign).

Text is in `SAGSFLOW_LANGUAGE` (da by default), the workflow's identifiers in
its labels (`speaking`); JSON keeps the identifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click

from engine.cases.view import CaseView
from engine.exceptions import InvalidInputError
from engine.workflow.labels import LANGUAGES, Spoken
from service import present
from service.cli import text
from service.cli.context import Context


def language(ctx: Context) -> str:
    """The language of human-readable output: `SAGSFLOW_LANGUAGE`.

    Raises:
        InvalidInputError: it names a language sagsflow does not speak.
    """
    chosen = ctx.settings.language
    if chosen not in LANGUAGES:
        raise InvalidInputError(
            f"SAGSFLOW_LANGUAGE must be 'da' or 'en', not {chosen[:16]!r}"
        )
    return chosen


def speaking(ctx: Context) -> Callable[[str], Spoken]:
    """A workflow's labels (its newest version's) in the chosen language, by name.

    Raises:
        InvalidInputError: `SAGSFLOW_LANGUAGE` is not a language sagsflow speaks.
    """
    chosen = language(ctx)
    registry = ctx.engine.registry
    return lambda workflow: registry.labels(workflow).speaking(chosen)


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
        spoken = speaking(ctx)(view.case.workflow)
        click.echo(
            text.case_text(
                view, now=moment, calendar=engine.calendar, age=age, spoken=spoken
            )
        )
