"""`sagsflow document get`, and the `--file` a case's step journalises.

A document's content is read only through `engine.cases.documents`, which
checks its bytes against the digest the chain sealed: content changed in the
database or the document folder is refused with one line ("document
2024-0283489-8: its content no longer matches its seal"), and nothing is
written. Each read is logged in the access log like a case shown.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cases.documents import case_number_of, read_document
from engine.cases.letters import is_letter
from engine.cases.view import CaseView
from engine.exceptions import InvalidInputError
from engine.records import Content
from service import app as composition
from service.cli.context import Context, pass_ctx
from service.documents import accept


def file_content(ctx: Context, path: Path | None) -> Content | None:
    """The content of `--file PATH`, checked (size, type), or None without one.

    Raises:
        InvalidInputError: unreadable, empty, too big or of a type not kept.
    """
    if path is None:
        return None
    limit = ctx.settings.document_max_bytes
    if limit < 1:
        raise InvalidInputError(
            "SAGSFLOW_DOCUMENT_MAX_BYTES must be a whole number of bytes >= 1"
        )
    try:
        if path.stat().st_size > limit:
            raise InvalidInputError(
                f"--file {path} is {path.stat().st_size} bytes, over the limit of "
                f"{limit} (SAGSFLOW_DOCUMENT_MAX_BYTES)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"--file {path}: {exc.strerror}") from None
    return accept(data, limit=limit, name=f"--file {path}")


FILE_OPTION = click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="PATH",
    help="The document's content (with --document TITLE): PDF, PNG, JPEG, TIFF, "
    "DOCX, XLSX or UTF-8 text.",
)


@click.group()
def document() -> None:
    """Read journalised documents' content."""


@document.command("get")
@click.argument("number")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The file to write (it must not exist).",
)
@click.option(
    "--actor",
    metavar="ID",
    help="Who reads it (recorded in the access log); default: your login name.",
)
@click.option(
    "--source",
    is_flag=True,
    help="A letter's source (its template and values) instead of its PDF.",
)
@pass_ctx
def document_get(
    ctx: Context, number: str, out: Path, actor: str | None, source: bool
) -> None:
    """Write document NUMBER's content to --out, checked against its seal
    (a letter as rendered: its PDF)."""
    who = ctx.reading(actor)
    case_number_of(number)  # a malformed number is refused before any read
    if source:
        read = read_document(ctx.engine.store, number, rendered=False)
    else:
        from service.renditions import read_letter

        renditions = composition.build_renditions(ctx.settings, ctx.engine)
        read = read_letter(ctx.engine.store, renditions, number)
    try:
        with out.open("xb") as handle:
            handle.write(read.data)
    except FileExistsError:
        raise InvalidInputError(f"{out} exists; choose another file") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write {out}: {exc.strerror}") from None
    ctx.engine.record_read(actor=who, action="document_get", number=read.case.number)
    click.echo(
        f"document {number}: {len(read.data)} bytes, {read.media_type}, "
        f"sha256 {read.sha256} -> {out}"
    )


def letters_rendered(ctx: Context, view: CaseView) -> CaseView:
    """The case once the letter its step wrote is rendered as PDF (at once, so
    that `document get` gives the PDF; service.renditions). A letter that
    fails to render here is left to the service's dispatcher."""
    step = view.case.version
    if not any(d.event_seq == step and is_letter(d) for d in view.documents):
        return view
    from service.renditions import render_case

    renditions = composition.build_renditions(ctx.settings, ctx.engine)
    if render_case(renditions, view.case.number):
        return ctx.engine.show(view.case.number)
    return view
