"""`sagsflow workflow ...`."""

from __future__ import annotations

from pathlib import Path

import click

from engine.exceptions import (
    DefinitionError,
    InvalidInputError,
)
from engine.explain.diagram.svg import to_svg
from engine.explain.diagram.text import to_dot, to_mermaid
from engine.workflow.file import load_workflow_file
from engine.workflow.guards import GUARDS
from service import app as composition
from service import present
from service.cli import text
from service.cli.commands import WORKFLOW_COMMANDS
from service.cli.context import Context, pass_ctx
from service.cli.lazy import LazyGroup


# -- workflows -------------------------------------------------------------------
@click.group(cls=LazyGroup, lazy=WORKFLOW_COMMANDS)
def workflow() -> None:
    """Declared workflows: list, show, validate, draw."""


@workflow.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def workflow_list(ctx: Context, as_json: bool) -> None:
    """List the workflows cases can be opened on."""
    defs = composition.load_registry(ctx.settings).latest()
    if as_json:
        click.echo(
            present.dumps(
                [
                    {
                        "name": d.name,
                        "version": d.version,
                        "title": d.title,
                        "source": d.source,
                        "states": [s.name for s in d.states],
                        "events": list(d.events),
                    }
                    for d in defs
                ]
            )
        )
        return
    rows = [(d.name, str(d.version), d.title, d.source) for d in defs]
    click.echo(text.table(rows, ("name", "version", "title", "file")))


@workflow.command("show")
@click.argument("name")
@click.option(
    "--version",
    "version",
    type=click.IntRange(min=1),
    metavar="N",
    help="A version the database recorded, or a file declares (default: the "
    "newest declared).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def workflow_show(ctx: Context, name: str, version: int | None, as_json: bool) -> None:
    """Show a workflow's states, deadlines, chase ladders and events: the
    newest declared, or (--version) the one cases of that version run under."""
    if version is None:
        definition = composition.load_registry(ctx.settings).get(name)
    else:  # the recorded text where the database has it (engine.cases.rules)
        definition = ctx.engine.definition(name, version)
    click.echo(
        present.dumps(present.workflow_json(definition))
        if as_json
        else text.workflow_text(definition)
    )


@workflow.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def workflow_validate(path: Path) -> None:
    """Validate a workflow file (or every *.yaml in a folder)."""
    if not path.exists():
        raise InvalidInputError(f"{path}: no such file or folder")
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    if not files:
        raise InvalidInputError(f"{path}: no workflow files (*.yaml) in it")
    bad = 0
    for file in files:
        try:
            d = load_workflow_file(file, guards=GUARDS)
        except DefinitionError as exc:
            bad += 1
            click.echo("\n".join(exc.problems), err=True)
            continue
        click.echo(
            f"ok: {file} ({d.name} version {d.version}, "
            f"{len(d.states)} states, {len(d.events)} events)"
        )
    if bad:
        raise click.exceptions.Exit(1)


@workflow.command("diagram")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["mermaid", "dot", "svg"]),
    default="mermaid",
    show_default=True,
    help="Mermaid or Graphviz source, or an SVG image drawn by sagsflow itself.",
)
@click.option(
    "--current",
    metavar="STATE",
    help="Highlight this state (with --format svg).",
)
@pass_ctx
def workflow_diagram(ctx: Context, name: str, fmt: str, current: str | None) -> None:
    """Print a diagram, deadlines and chase ladders included."""
    if current is not None and fmt != "svg":
        raise click.UsageError("--current needs --format svg")
    definition = composition.load_registry(ctx.settings).get(name)
    if fmt == "svg":
        text = to_svg(definition, current=current)
    else:
        text = to_mermaid(definition) if fmt == "mermaid" else to_dot(definition)
    click.echo(text, nl=False)
