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
from engine.exceptions import InvalidInputError
from engine.records import Content
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
@pass_ctx
def document_get(ctx: Context, number: str, out: Path, actor: str | None) -> None:
    """Write document NUMBER's content to --out, checked against its seal."""
    who = ctx.reading(actor)
    case_number_of(number)  # a malformed number is refused before any read
    read = read_document(ctx.engine.store, number)
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
        f"sha256 {read.document.sha256} -> {out}"
    )
