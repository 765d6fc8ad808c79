"""`sagsflow report`: management figures for a period, as text, JSON, CSV or a chart.

The figures and their definitions are `engine.explain.report`'s. This module picks the
period (by default the last 12 months up to and including today), reads the
cases, and renders. The chart is drawn with matplotlib, imported only when a
chart is asked for (it is slow to import), on a `Figure` with the Agg canvas
and without `pyplot`, so no global backend or figure state is touched.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import click

from engine.cases.view import read_views
from engine.dates.calendars import local_date
from engine.dates.timeparse import parse_date
from engine.exceptions import InvalidInputError
from engine.explain.report import (
    SIX_MONTHS_DAYS,
    TWELVE_MONTHS_DAYS,
    Report,
    build_report,
    overdue_series,
    report_period,
)
from engine.records import CaseFilter
from service import present
from service.cli.context import Context, parse_at, pass_ctx
from service.cli.reportwords import ReportWords
from service.cli.show import language

CHART_FORMATS = {".png": "png", ".svg": "svg"}
MAX_SERIES_POINTS = 400
TARGETS = ((SIX_MONTHS_DAYS, "6 months", 70), (TWELVE_MONTHS_DAYS, "12 months", 90))
"""The ombudsman's targets: share of cases closed within 6 and 12 months (%)."""


@click.command()
@click.option(
    "--since", metavar="DATE", help="First day, included (YYYY-MM-DD, local)."
)
@click.option(
    "--until",
    metavar="DATE",
    help="Last day, included (YYYY-MM-DD, local; default: today).",
)
@click.option("--workflow", "workflow_name", metavar="W", help="Only workflow W.")
@click.option("--now", "now", metavar="ISO8601", help="Report as of this moment.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print metric,value rows.")
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Also draw the handling times and the overdue count (.png or .svg).",
)
@pass_ctx
def report(
    ctx: Context,
    since: str | None,
    until: str | None,
    workflow_name: str | None,
    now: str | None,
    as_json: bool,
    as_csv: bool,
    chart: Path | None,
) -> None:
    """Figures for the cases opened in a period, and the cases open now.

    Cases opened, closed (by outcome), handling time against the 6- and
    12-month targets, reminders and escalations, time waiting on authorities
    versus in-house; open and overdue cases as of now.
    """
    if as_json and as_csv:
        raise InvalidInputError("--json and --csv cannot be combined; choose one")
    if chart is not None and chart.suffix.lower() not in CHART_FORMATS:
        raise InvalidInputError(f"--chart {chart}: the file must end in .png or .svg")
    engine = ctx.engine
    moment = parse_at(now, "--now") or engine.clock.now()
    first, end = report_period(
        parse_date(since, what="--since") if since is not None else None,
        parse_date(until, what="--until") if until is not None else None,
        local_date(moment),
    )
    if workflow_name is not None:
        engine.registry.get(workflow_name)  # WorkflowNotFoundError names the known
    selection = CaseFilter(workflow=workflow_name)
    lookup = engine.definition
    # One read transaction, so the chart's pass sees the record the figures saw;
    # each pass streams the cases a page at a time.
    with engine.store.transaction(write=False) as tx:
        figures = build_report(
            read_views(tx, selection),
            definitions=lookup,
            now=moment,
            since=first,
            until=end,
        )
        if chart is not None:
            last = min(end, local_date(moment) + timedelta(days=1))
            step = max(1, math.ceil((last - first).days / MAX_SERIES_POINTS))
            series = overdue_series(
                read_views(tx, selection), lookup, first, last, step
            )
    said = ReportWords(language(ctx), engine.registry, workflow_name)
    if chart is not None:
        write_chart(chart, figures, series, said)
    if as_json:
        click.echo(present.dumps({"workflow": workflow_name, **figures.to_mapping()}))
    elif as_csv:
        click.echo(report_csv(figures, workflow_name), nl=False)
    else:
        click.echo(report_text(figures, workflow_name, said))
        if chart is not None:
            click.echo(said("chart.file", path=chart))


def _flatten(prefix: str, value: object) -> list[tuple[str, object]]:
    if isinstance(value, Mapping):
        return [
            row
            for key, inner in value.items()
            for row in _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        ]
    return [(prefix, value)]


def report_csv(figures: Report, workflow: str | None) -> str:
    """`metric,value` rows; nested figures as dotted names (open_now.total)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("metric", "value"))
    rows = _flatten("", {"workflow": workflow, **figures.to_mapping()})
    writer.writerows((k, "" if v is None else v) for k, v in rows)
    return buffer.getvalue()


def _percent(share: float | None, language: str = "en") -> str:
    """`87.5 %`, in Danish `87,5 %` (a decimal comma)."""
    if share is None:
        return "-"
    text = f"{share * 100:.1f} %"
    return text.replace(".", ",") if language == "da" else text


def report_text(figures: Report, workflow: str | None, said: ReportWords) -> str:
    """A readable summary: headings, and one figure a line in aligned columns,
    in `said`'s language, outcomes and states in the workflows' labels."""
    w = said
    last_day = figures.last_day
    closed = len(figures.handling_days)
    median = "-" if figures.median_days is None else f"{figures.median_days:g}"
    p90 = "-" if figures.p90_days is None else w("rank", n=figures.p90_days)
    rows: list[tuple[str, object] | str] = [
        w("cases"),
        (w("opened"), figures.opened),
        (w("closed"), figures.closed),
        *((f"    {w.outcome(k)}", n) for k, n in figures.closed_by_outcome.items()),
        w("handling"),
        (w("median"), median),
        (w("p90"), p90),
        *(
            (
                w("within", label=w(str(label).split()[0]), days=days),
                w(
                    "share",
                    n=figures.closed_within(days),
                    of=closed,
                    percent=_percent(figures.share_within(days), w.language),
                    target=target,
                ),
            )
            for days, label, target in TARGETS
        ),
        w("states"),
        (w("waiting"), figures.waiting_days),
        (w("in_house"), figures.in_house_days),
        w("chases"),
        (w("reminders"), figures.reminders),
        (w("escalations"), figures.escalations),
        w("now"),
        (w("open"), figures.open_now_total),
        *(
            (f"    {name} / {w.state(name, s)}", n)
            for name, states in figures.open_now.items()
            for s, n in states.items()
        ),
        (w("overdue"), figures.overdue_now),
    ]
    width = max(len(row[0]) for row in rows if isinstance(row, tuple)) + 2
    lines = [
        w(
            "head",
            since=figures.since,
            last=last_day,
            workflow=workflow or w("all"),
            now=present.local(figures.now),
        )
    ]
    for row in rows:
        if isinstance(row, str):
            lines += ["", row]
        else:
            lines.append(f"{row[0]:<{width}}{row[1]}")
    return "\n".join(lines)


def write_chart(
    path: Path,
    figures: Report,
    series: Sequence[tuple[date, int]],
    said: ReportWords,
) -> None:
    """Two panels: the handling-time histogram and the overdue count over time.

    Raises:
        InvalidInputError: the file cannot be written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    spread, backlog = fig.subplots(1, 2)
    days = figures.handling_days
    if days:
        # Month-wide bins (wider for a long tail), from 0 past the 12 months; the
        # bars are stacked by band, so a bin across a target line shows both sides.
        upper = max(days[-1], TWELVE_MONTHS_DAYS) + 1
        width = max(30, math.ceil(upper / 25))
        edges = list(range(0, upper + width, width))
        bands = [
            [d for d in days if d <= SIX_MONTHS_DAYS],
            [d for d in days if SIX_MONTHS_DAYS < d <= TWELVE_MONTHS_DAYS],
            [d for d in days if d > TWELVE_MONTHS_DAYS],
        ]
        spread.hist(
            bands,
            bins=edges,
            stacked=True,
            color=["#4477aa", "#ddaa33", "#bb5566"],
            label=[said("chart.within6"), said("chart.6to12"), said("chart.over12")],
            edgecolor="white",
        )
    for limit, label, _ in TARGETS:
        spread.axvline(limit, linestyle="--", color="#555555", linewidth=1)
        spread.annotate(
            f"{said(str(label).split()[0])} ({limit} d)",
            xy=(limit, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-2, -4),
            textcoords="offset points",
            rotation=90,
            ha="right",
            va="top",
            fontsize="small",
        )
    if days:
        fig.legend(loc="outside lower left", ncols=3, fontsize="small")
    spread.set_title(said("chart.handling", n=len(days)))
    spread.set_xlabel(said("chart.days"))
    spread.set_ylabel(said("chart.cases"))
    spread.yaxis.set_major_locator(MaxNLocator(integer=True))
    backlog.set_title(said("chart.overdue"))
    backlog.set_ylabel(said("chart.cases"))
    backlog.yaxis.set_major_locator(MaxNLocator(integer=True))
    if series:
        backlog.plot(
            [d for d, _ in series],
            [n for _, n in series],
            drawstyle="steps-post",
            color="#4477aa",
        )
        backlog.tick_params(axis="x", labelrotation=30)
    fmt = CHART_FORMATS[path.suffix.lower()]
    # No creation date in the file: the same figures give the same bytes.
    metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {}
    try:
        fig.savefig(path, format=fmt, metadata=metadata)
    except OSError as exc:
        raise InvalidInputError(
            f"--chart: cannot write {path}: {exc.strerror or exc}"
        ) from None
