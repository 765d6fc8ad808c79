"""`sagsflow audit ...`: the record."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.audit.anchor import (
    anchored_heads,
    chain_problems,
    checkpoint_files,
    latest_checkpoint,
    previous_checkpoint,
    read_checkpoint,
)
from engine.audit.lost import covering
from engine.audit.review import checkpoint
from engine.audit.users import USERS_CHAIN
from engine.dates.timeparse import parse_range
from engine.exceptions import (
    InvalidInputError,
)
from engine.records import AuditFilter
from service import present
from service.cli import text
from service.cli.context import Context, pass_ctx
from service.cli.dossier_files import zip_bytes
from service.cli.dossiers import verify_dossier_file
from service.cli.show import speaking
from service.cli.verified import print_verification, verify_with_bar
from service.housekeeping import retention, signer_from, write_checkpoint


# -- audit -------------------------------------------------------------------------
@click.group()
def audit() -> None:
    """The record: every step on every case."""


@audit.command("log")
@click.argument("number", required=False)
@click.option("--actor", metavar="ID")
@click.option(
    "--since", metavar="ISO8601", help="Effective at or after (a date: from it)."
)
@click.option(
    "--until", metavar="ISO8601", help="At or before (a date: all of that day)."
)
@click.option("--event", metavar="EVENT", help="Only this event (e.g. chase, close).")
@click.option("--state", metavar="STATE", help="Only entries that led into STATE.")
@click.option("--workflow", "workflow_name", metavar="W", help="Only workflow W.")
@click.option("--role", metavar="ROLE", help="Only entries by someone in ROLE.")
@click.option(
    "--reader",
    "who",
    metavar="ID",
    help="Who reads a case's record (logged); default: your login name.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
    help="jsonl: one JSON object a line, for log tools; csv: for spreadsheets.",
)
@click.option(
    "--excel",
    is_flag=True,
    help="With --format csv: the form a Danish spreadsheet opens as it is "
    "(semicolons, a byte-order mark, Copenhagen times).",
)
@pass_ctx
def audit_log(
    ctx: Context,
    number: str | None,
    actor: str | None,
    since: str | None,
    until: str | None,
    event: str | None,
    state: str | None,
    workflow_name: str | None,
    role: str | None,
    who: str | None,
    fmt: str,
    excel: bool,
) -> None:
    """Print audit entries, in order of case and step; --since and --until
    are both included (`--since D --until D` is all of day D)."""
    if excel and fmt != "csv":
        raise InvalidInputError("--excel is a form of --format csv; add it")
    start, end = parse_range(since, until, since_what="--since", until_what="--until")
    selection = AuditFilter(
        case_number=number,
        actor=actor,
        since=start,
        until=end,
        event=event,
        state=state,
        workflow=workflow_name,
        role=role,
    )
    reading = ctx.reading(who) if number is not None else None
    entries = ctx.engine.audit_log(selection)
    if reading is not None:
        ctx.engine.record_read(actor=reading, action="audit_log", number=number)
    if fmt == "csv":
        chunks = present.audit_csv_lines(entries, excel=excel)
        if excel:  # UTF-8 with its mark, whatever the terminal's encoding
            sys.stdout.flush()
            raw = sys.stdout.buffer
            for chunk in chunks:
                raw.write(chunk.encode("utf-8"))
            raw.flush()
        else:
            for chunk in chunks:
                click.echo(chunk, nl=False)
    elif fmt == "jsonl":
        for row in present.audit_rows(entries):
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "json":
        click.echo("[", nl=False)
        for i, row in enumerate(present.audit_rows(entries)):
            click.echo(
                ("," if i else "") + "\n  " + json.dumps(row, ensure_ascii=False),
                nl=False,
            )
        click.echo("\n]")
    else:
        words = speaking(ctx)
        for entry in entries:
            click.echo(text.audit_table_line(entry, words(entry.workflow)))


@audit.command("anchor")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="A file, or a folder to write checkpoint-<time>.json into; the newest "
    "checkpoint in that folder is the one the new one follows.",
)
@click.option(
    "--key-file", type=click.Path(path_type=Path), help="Ed25519 private key (PEM)."
)
@pass_ctx
def audit_anchor(ctx: Context, out: Path, key_file: Path | None) -> None:
    """Write a signed checkpoint of every case's chain head, to ship elsewhere."""
    now = ctx.engine.clock.now()
    found = previous_checkpoint(out if out.is_dir() else out.parent)
    body = checkpoint(
        ctx.store,
        now=now,
        signer=signer_from(ctx.settings, key_file, None),
        previous=found[1] if found else None,
    )
    path = write_checkpoint(body, out, now)
    after = f" (after {found[0].name})" if found else " (the first in its folder)"
    users = next((h for h in body["heads"] if h[0] == USERS_CHAIN), None)
    cases = body["cases"] - (users is not None)
    entries = body["entries"] - (users[1] if users else 0)
    users_text = f" and the users' chain ({users[1]} changes)" if users else ""
    click.echo(
        f"checkpoint {path}{after}: {cases} cases, {entries} entries"
        f"{users_text}, signed {body['signature']['alg']}"
    )


@audit.command("verify")
@click.option(
    "--anchor",
    "anchor",
    type=click.Path(path_type=Path),
    help="A checkpoint file, or a folder of them, to hold the record against.",
)
@click.option(
    "--key-file", type=click.Path(path_type=Path), help="Ed25519 private key."
)
@click.option(
    "--public-key", type=click.Path(path_type=Path), help="Ed25519 public key (PEM)."
)
@click.option(
    "--dossier",
    "dossier",
    type=click.Path(path_type=Path),
    help="Verify an exported dossier offline (no database needed).",
)
@click.option(
    "--allow-unanchored",
    is_flag=True,
    help="With --dossier and a key: accept entries no checkpoint covers, with a "
    "warning naming them (else they fail as not anchored).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def audit_verify(
    ctx: Context,
    anchor: Path | None,
    key_file: Path | None,
    public_key: Path | None,
    dossier: Path | None,
    allow_unanchored: bool,
    as_json: bool,
) -> None:
    """Check every case's hash chain (and checkpoints); exit 0 only if all verify."""
    if dossier is not None:
        if anchor is not None:
            raise InvalidInputError(
                "--anchor holds the database against checkpoints; a dossier carries "
                "its own: give --dossier or --anchor, not both"
            )
        verify_dossier_file(
            ctx, dossier, key_file, public_key, as_json, allow_unanchored
        )
        return
    if allow_unanchored:
        raise InvalidInputError("--allow-unanchored goes with --dossier FILE")
    anchored = None
    chain: list[str] = []
    taken: dict[str, str] = {}
    if anchor is not None:
        if not anchor.exists():
            raise InvalidInputError(f"{anchor}: no such checkpoint file or folder")
        signer = signer_from(ctx.settings, key_file, public_key)
        files = checkpoint_files(anchor)
        if not files:
            raise InvalidInputError(f"{anchor}: no checkpoints (*.json) in it")
        read = [(f, read_checkpoint(f, signer)) for f in files]
        anchored = anchored_heads(body for _, body in read)
        taken = covering(body for _, body in read)
        chain = chain_problems(read) if anchor.is_dir() else []
    report = verify_with_bar(ctx.store, anchored=anchored, quiet=as_json)
    shown = print_verification(
        report, chain=chain, taken=taken, anchored=anchored is not None, as_json=as_json
    )
    if not shown:
        raise click.exceptions.Exit(1)


@audit.command("export")
@click.argument("number")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@click.option(
    "--anchor",
    "anchor",
    type=click.Path(path_type=Path),
    help="Checkpoints to take the latest covering this case from "
    "(default: SAGSFLOW_ANCHOR_DIR).",
)
@click.option(
    "--actor",
    metavar="ID",
    help="Who exports it (recorded in the file and the access log); default: "
    "your login name.",
)
@click.option(
    "--with-documents",
    is_flag=True,
    help="Write a zip: the dossier and its documents' files, each checked.",
)
@pass_ctx
def audit_export(
    ctx: Context,
    number: str,
    out: Path,
    anchor: Path | None,
    actor: str | None,
    with_documents: bool,
) -> None:
    """Write one case's self-contained, offline-verifiable dossier."""
    who = ctx.reading(actor)
    engine = ctx.engine
    view = engine.show(number)
    covering = latest_checkpoint(anchor or ctx.settings.anchor_dir, number)
    body = present.dossier_json(engine, view, checkpoint=covering, exported_by=who)
    packed = zip_bytes(engine.store, body, view.documents) if with_documents else None
    engine.record_read(actor=who, action="audit_export", number=number)
    try:
        if packed is not None:
            with out.open("xb") as binary:
                binary.write(packed)
        else:
            with out.open("x", encoding="utf-8") as handle:
                json.dump(body, handle, ensure_ascii=False, indent=1, default=str)
    except FileExistsError:
        raise InvalidInputError(f"{out} exists; choose another file") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write {out}: {exc.strerror}") from None
    total = len(view.history)
    proof = (body["checkpoint"] or {}).get("proof")
    if proof is None:
        checked = " (no checkpoint covers it yet: not anchored)"
    elif proof["count"] < total:
        checked = (
            f" and a checkpoint covering entries 1-{proof['count']} (the rest not "
            "yet anchored)"
        )
    else:
        checked = " and a checkpoint"
    click.echo(f"dossier {out}: case {number}, {total} entries{checked}")


@audit.command("correct")
@click.argument("number")
@click.argument("seq", type=int)
@click.option(
    "--actor", metavar="ID", help="Who corrects (a user id; see README: Identity)."
)
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why the entry was wrong."
)
@click.option(
    "--set",
    "changes",
    multiple=True,
    required=True,
    metavar="FIELD=VALUE",
    help="What the entry should have said (repeat).",
)
@pass_ctx
def audit_correct(
    ctx: Context,
    number: str,
    seq: int,
    actor: str | None,
    reason: str,
    changes: tuple[str, ...],
) -> None:
    """Correct entry SEQ of a case with a new entry (the record is never rewritten)."""
    who = ctx.acting(actor)
    values: dict[str, str] = {}
    for item in changes:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInputError(f"--set {item!r}: write FIELD=VALUE")
        values[key.strip()] = value
    view = ctx.engine.correct(number, seq, actor=who, reason=reason, changes=values)
    entry = view.history[-1]
    click.echo(f"case {number}: entry {entry.seq} corrects entry {seq}")


@audit.command("access")
@click.argument("number", required=False)
@click.option("--actor", metavar="ID", help="Only reads by this person.")
@click.option(
    "--purge",
    is_flag=True,
    help="First drop reads older than SAGSFLOW_ACCESS_RETENTION_DAYS.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def audit_access(
    ctx: Context, number: str | None, actor: str | None, purge: bool, as_json: bool
) -> None:
    """Who read which case or record, and when (the access log)."""
    engine = ctx.engine
    if purge:
        dropped = engine.purge_reads(retention=retention(ctx.settings))
        click.echo(f"purged {dropped} read(s) older than the retention", err=True)
    reads = engine.reads(number=number, actor=actor)
    if as_json:
        click.echo(present.dumps([present.access_json(r) for r in reads]))
        return
    rows = [
        (
            present.local(r.at),
            r.actor,
            present.via_text(r.via),
            r.action,
            r.case_number or "",
        )
        for r in reads
    ]
    click.echo(text.table(rows, ("at (local)", "who", "via", "read", "case")))
