"""`sagsflow demo`: a realistic synthetic office on the embedded default, at once.

Makes a demo database (the founding case and an office-year of synthetic cases,
`demo`), prints what it holds and what to try next, and with `--serve`
runs it: the chaser and the dispatcher, mailing a local SMTP sink that prints
each reminder as it goes out.

The database: `--db` (here or before `demo`), else `SAGSFLOW_DATABASE_URL`, else
`sagsflow-demo.db` in the working directory (never the default `sagsflow.db`,
which may be an office's real one). A database is made only where there is
none; one holding a demo office is shown again (or made anew with
`--replace`); anything else is refused untouched.
"""

from __future__ import annotations

import io
import os
import socket
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import click

from demo import database as demo_db
from demo import founding
from demo.office import (
    CASES,
    DEFAULT_CASES,
    DEFAULT_SEED,
    FINISHED,
    SEED,
    START,
    check_options,
    generate_office,
    summary_of,
    year_before,
)
from demo.people import ADVISOR, STAFF
from demo.sink import HOST, MailSink
from demo.summary import Summary, describe
from engine.clock import SystemClock
from engine.dates.calendars import local_date
from engine.dates.timeparse import parse_date
from engine.exceptions import InvalidInputError
from service import app as composition
from service.cli.context import Context
from service.cli.service import serve
from service.settings import DEFAULT_DATABASE_URL, Settings
from storage import SqlCaseStore, create_db_engine
from storage.database import sqlite_path

DEMO_DATABASE_URL = "sqlite:///sagsflow-demo.db"
SERVE_INTERVAL = 10.0  # seconds: a newcomer should see the first mails at once


@click.command()
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="The demo database (default: SAGSFLOW_DATABASE_URL, else "
    "sqlite:///sagsflow-demo.db).",
)
@click.option(
    "--cases",
    type=int,
    metavar="N",
    help=f"Synthetic cases besides the founding case (default {DEFAULT_CASES}, "
    "an office-year).",
)
@click.option(
    "--seed", type=int, metavar="S", help="The same seed gives the same office."
)
@click.option(
    "--start",
    metavar="DATE",
    help="The office's record runs up to the day before (default: today).",
)
@click.option(
    "--replace",
    "replace_existing",
    is_flag=True,
    help="Make the office anew where a demo office is (never any other database).",
)
@click.option(
    "--serve",
    "serve_after",
    is_flag=True,
    help="Then run the office: the chaser, mailing a local sink that prints each mail.",
)
@click.option(
    "--interval",
    type=float,
    default=SERVE_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="With --serve: how often to sweep and deliver.",
)
@click.pass_context
def demo(
    click_ctx: click.Context,
    db_url: str | None,
    cases: int | None,
    seed: int | None,
    start: str | None,
    replace_existing: bool,
    serve_after: bool,
    interval: float,
) -> None:
    """A demo office: the founding case and a year of synthetic cases.

    Deterministic for a seed and a start date. Names and addresses are
    invented (example.org); there are no CPR numbers.
    """
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    settings = _demo_settings(ctx.settings, db_url)
    url = settings.database_url
    where = str(sqlite_path(url) or url)
    clock = SystemClock()
    today = local_date(clock.now())
    given_start = parse_date(start, what="--start") if start is not None else None
    start_date = check_options(cases or 0, given_start, today=today)
    if serve_after and interval <= 0:
        raise InvalidInputError("--interval must be more than 0 seconds")
    if serve_after:  # before anything is made or printed: no address of a
        _check_port(settings)  # server that then fails to listen
    composition.load_registry(settings)  # refuse to start on invalid workflows
    found = demo_db.look(url)
    if found.kind == "other":
        raise InvalidInputError(
            f"{where} is not a demo database ({found.reason}); sagsflow demo leaves "
            f"it untouched: give another --db, e.g. {DEMO_DATABASE_URL}"
        )
    asked = {CASES: cases, SEED: seed, START: given_start}
    if found.kind == "demo" and not replace_existing:
        _refuse_other_office(where, found.facts, asked)
        click.echo(
            f"{where} holds the demo office made with {_options(found.facts)} "
            "(--replace makes it anew)."
        )
        summary = _summary(settings, today)
    else:
        if found.kind == "demo":
            demo_db.wipe(url)
        summary = _generate(
            settings,
            where,
            cases=DEFAULT_CASES if cases is None else cases,
            seed=DEFAULT_SEED if seed is None else seed,
            start=start_date,
        )
    language = settings.language if settings.language in ("da", "en") else "da"
    registry = composition.load_registry(settings)
    spoken = {
        name: registry.labels(name).speaking(language) for name in summary.workflows()
    }
    for line in describe(summary, language=language, speaking=spoken.__getitem__):
        click.echo(line)
    click.echo("")
    for line in _next_steps(url, serve_after, language):
        click.echo(line)
    if serve_after:
        _serve(click_ctx, settings, where, interval)


def _check_port(settings: Settings) -> None:
    """The API's address is free to listen on (the server binds it again).

    Raises:
        InvalidInputError: it is in use, or not an address of this machine.
    """
    host, port = settings.api_host, settings.api_port
    try:
        socket.create_server((host, port), reuse_port=False).close()
    except (OSError, OverflowError) as exc:
        number = getattr(exc, "errno", None)
        reason = os.strerror(number) if number else str(exc)
        raise InvalidInputError(
            f"the API cannot listen on {host}:{port}: {reason}; set "
            "SAGSFLOW_API_PORT to a free port (0 picks one)"
        ) from None


def _demo_settings(settings: Settings, db_url: str | None) -> Settings:
    if db_url:
        return replace(settings, database_url=db_url)
    if settings.database_url == DEFAULT_DATABASE_URL:
        return replace(settings, database_url=DEMO_DATABASE_URL)
    return settings


def _refuse_other_office(
    where: str, facts: dict[str, str], asked: dict[str, int | date | None]
) -> None:
    if facts.get(FINISHED) != "yes":
        raise InvalidInputError(
            f"{where} holds a demo office that was never finished (interrupted?): "
            "add --replace to make it anew"
        )
    differs = [
        f"--{key.removeprefix('demo.')} {value}"
        for key, value in asked.items()
        if value is not None and str(value) != facts.get(key)
    ]
    if differs:
        raise InvalidInputError(
            f"{where} holds the demo office made with {_options(facts)}; add "
            f"--replace to make one with {' '.join(differs)}, or give another --db"
        )


def _options(facts: dict[str, str]) -> str:
    return " ".join(
        f"--{key.removeprefix('demo.')} {facts.get(key, '?')}"
        for key in (CASES, SEED, START)
    )


def _generate(
    settings: Settings, where: str, *, cases: int, seed: int, start: date
) -> Summary:
    path = sqlite_path(settings.database_url)
    if path is not None and not path.parent.exists():
        raise InvalidInputError(
            f"cannot create {path}: the folder {path.parent} does not exist"
        )
    show_bar = sys.stderr.isatty()
    label = f"making a demo office of {cases:,} cases in {where}"
    if not show_bar:
        click.echo(f"{label} ...", err=True)
    days = (start - year_before(start)).days + 1  # `progress` is called once a day
    with click.progressbar(
        length=days,
        label=label,
        file=sys.stderr if show_bar else io.StringIO(),
        show_pos=False,
    ) as bar:
        office = generate_office(
            settings.database_url,
            cases=cases,
            seed=seed,
            start=start,
            settings=settings,
            progress=lambda _day: bar.update(1),
        )
    click.echo(
        f"Demo office ready in {where}: the founding case {founding.NUMBER} and "
        f"{office.cases:,} synthetic cases (seed {office.seed}); its record runs "
        f"from {office.first} to the end of {office.start - timedelta(days=1)}."
    )
    return office.summary


def _summary(settings: Settings, today: date) -> Summary:
    db = create_db_engine(settings.database_url, create=False)
    try:
        store = SqlCaseStore(db)
        return summary_of(store, composition.load_registry(settings), today=today)
    finally:
        db.dispose()


NEXT = {
    "en": (
        "Try next (set the database once, or give --db {url} before each command):",
        "the cases past their deadline now",
        "the founding case and its record",
        "chase what is overdue (the reminders go to the outbox)",
        "the year's figures",
        "every case's hash chain, checked",
        "run the office: watch the reminders go out",
    ),
    "da": (
        "Prøv derefter (sæt databasen én gang, eller giv --db {url} før hver "
        "kommando):",
        "sagerne over fristen nu",
        "den oprindelige sag og dens registrering",
        "ryk det, der er over fristen (rykkerne går til udbakken)",
        "årets tal",
        "hver sags kæde af hashværdier, kontrolleret",
        "kør kontoret: se rykkerne gå ud",
    ),
}


def _next_steps(url: str, serving: bool, language: str = "en") -> list[str]:
    prog = _program()
    head, overdue, show, sweep, report, verify, serve_ = NEXT.get(language, NEXT["en"])
    steps = [
        ("case list --overdue", overdue),
        (f"case show {founding.NUMBER}", show),
        ("sweep", sweep),
        ("report", report),
        ("audit verify", verify),
    ]
    if not serving:
        steps.append(("demo --serve", serve_))
    width = max(len(command) for command, _ in steps)
    return [
        head.format(url=url),
        f"  export SAGSFLOW_DATABASE_URL={url}",
        *(f"  {prog} {command:<{width}}   {what}" for command, what in steps),
    ]


def _program() -> str:
    """How the user called sagsflow (e.g. .venv/bin/sagsflow), for copy-paste."""
    called = sys.argv[0] if sys.argv else ""
    return called if Path(called).name == "sagsflow" else "sagsflow"


def _serve(
    click_ctx: click.Context, settings: Settings, where: str, interval: float
) -> None:
    """Run `serve` on the demo office, mailing a local sink that prints each mail.

    The sweep runs on any day and hour here (a newcomer on a Sunday should see
    it work too); the letters go to invented example.org addresses, so the
    sink is their only destination.
    """
    advisor = next(m for m in STAFF if m.id == ADVISOR)
    with MailSink(show=click.echo) as sink:
        serving = replace(
            settings,
            smtp_url=f"smtp://{HOST}:{sink.port}",
            mail_from=settings.mail_from or advisor.email,
            sweep_closed_days=True,
            quiet_hours="none",
        )
        from service.api import tokens  # the API's parts only where it is served

        context = Context(settings=serving)
        # A day's token: every `demo --serve` makes one, and none outlives the
        # day it was shown on the screen.
        _, token = tokens.issue(
            context.store, context.engine.clock, ADVISOR, lifetime=timedelta(days=1)
        )
        api = f"http://{serving.api_host}:{serving.api_port}"
        click.echo("")
        click.echo(
            f"Running the office in {where}: a sweep and a delivery every "
            f"{interval:g} s; mail goes to a local sink on {HOST}:{sink.port} "
            "and is shown here. Ctrl-C stops."
        )
        click.echo(
            f"The HTTP API is on {api} (documents at {api}/docs); a token that "
            f"acts as {ADVISOR}, the advisor, for a day:"
        )
        click.echo(f"  {token}")
        click.echo(f'  curl -H "Authorization: Bearer {token}" {api}/cases')
        click.echo(f"The review pages: {api}/ui/login (log in with the token above).")
        click_ctx.obj = context
        click_ctx.invoke(serve, interval=interval, with_api=True)
