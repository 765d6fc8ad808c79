"""`sagsflow audit verify --dossier FILE`: a case dossier checked offline (a
zip from `audit export --with-documents` file by file: service.cli.dossier_files)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import click

from engine.audit.dossier import DossierCheck, check_dossier
from engine.exceptions import InvalidInputError
from service import present
from service.cli.context import Context
from service.cli.dossier_files import check_files, read_zip
from service.housekeeping import signer_from


def verify_dossier_file(
    ctx: Context,
    path: Path,
    key_file: Path | None,
    public_key: Path | None,
    as_json: bool,
    allow_unanchored: bool,
) -> None:
    """`audit verify --dossier FILE`: check a dossier offline; exit 1 unless it holds.

    With a key (SAGSFLOW_AUDIT_KEY, --key-file or --public-key) the checkpoint's
    signature is checked and entries no checkpoint covers fail as not anchored,
    unless `allow_unanchored`; without one, the signature goes unchecked (and
    the output says so).
    """
    files: dict[str, bytes] | None = None  # a zip's documents (--with-documents)
    try:
        if zipfile.is_zipfile(path):
            body, files = read_zip(path)
        else:
            body = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"{path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        body = None
    signer = signer_from(ctx.settings, key_file, public_key)
    has_key = any((signer.hmac_key, signer.private_key_pem, signer.public_key_pem))
    if body is None:
        result = DossierCheck(
            problems=["not a readable dossier (not JSON, or cut short)"]
        )
    else:
        result = check_dossier(
            body, signer if has_key else None, allow_unanchored=allow_unanchored
        )
        if files is not None:
            result.problems.extend(check_files(body, files))
    if as_json:
        click.echo(
            present.dumps(
                {
                    "ok": result.ok,
                    "anchored_entries": result.anchored,
                    "problems": result.problems,
                    "warnings": result.warnings,
                }
            )
        )
    else:
        for problem in result.problems:
            click.echo(f"BROKEN {path}: {problem}")
        for warning in result.warnings:
            click.echo(f"warning {path}: {warning}")
        if result.ok:
            signed = "" if has_key else " (checkpoint signature not checked: no key)"
            click.echo(f"verified: dossier of case {body['case']['number']}{signed}")
    if not result.ok:
        raise click.exceptions.Exit(1)
