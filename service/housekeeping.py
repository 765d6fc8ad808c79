"""The service's daily housekeeping: expired reads purged, personal data
erased under the workflows' retention rules, a checkpoint written.

Reads of personal data are kept `SAGSFLOW_ACCESS_RETENTION_DAYS` and then
purged. Closed cases whose workflow's retention rule has run out have their
personal data erased (`sagsflow retention run` does the same by hand). With
`SAGSFLOW_ANCHOR_DIR`, a signed checkpoint of every case's chain head is
written there daily (`engine.audit.anchor`), chained to the newest checkpoint
already there: shipped elsewhere, it shows later that nothing anchored was
re-written. `sagsflow audit anchor` writes one by hand with the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from engine.audit.anchor import Signer, previous_checkpoint
from engine.audit.review import checkpoint
from engine.cases.engine import CaseEngine
from engine.dates.calendars import local_date
from engine.exceptions import InvalidInputError
from service.settings import Settings

log = structlog.get_logger()


def retention(settings: Settings) -> timedelta:
    """The access log's retention from the settings (refusing nonsense)."""
    days = settings.access_retention_days
    if days < 1:
        raise InvalidInputError(
            "SAGSFLOW_ACCESS_RETENTION_DAYS must be a whole number of days >= 1"
        )
    return timedelta(days=days)


def signer_from(
    settings: Settings, key_file: Path | None, public_key: Path | None
) -> Signer:
    """The checkpoint keys: SAGSFLOW_AUDIT_KEY (HMAC) or Ed25519 key files."""

    def read(path: Path | None) -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"{path}: {exc.strerror}") from None

    key = settings.audit_key
    return Signer(
        hmac_key=key.encode() if key else None,
        private_key_pem=read(key_file or settings.audit_key_file),
        public_key_pem=read(public_key),
    )


def write_checkpoint(body: dict[str, Any], out: Path, now: datetime) -> Path:
    """Write `body` to `out` (a folder gets a time-stamped file); never overwrite."""
    path = out / f"checkpoint-{now:%Y%m%dT%H%M%S%fZ}.json" if out.is_dir() else out
    try:
        with path.open("x", encoding="utf-8") as handle:
            json.dump(body, handle, ensure_ascii=False, indent=1)
    except FileExistsError:
        raise InvalidInputError(
            f"{path} exists: a checkpoint is never overwritten"
        ) from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write {path}: {exc.strerror}") from None
    return path


def daily_job(
    settings: Settings, engine: Callable[[], CaseEngine]
) -> Callable[[], None]:
    """The daily job: purge expired reads; write a checkpoint when configured.

    The settings are checked now (a bad folder or a missing key stops the
    service from starting); the engine is asked for when the job runs.

    Raises:
        InvalidInputError: the anchor folder is not a folder, or no key signs.
    """
    keep = retention(settings)
    folder = settings.anchor_dir
    signer = None
    if folder is not None:
        if not folder.is_dir():
            raise InvalidInputError(f"SAGSFLOW_ANCHOR_DIR {folder} is not a folder")
        signer = signer_from(settings, None, None)
        if signer.hmac_key is None and signer.private_key_pem is None:
            raise InvalidInputError(
                "SAGSFLOW_ANCHOR_DIR is set but no key signs checkpoints: set "
                "SAGSFLOW_AUDIT_KEY or SAGSFLOW_AUDIT_KEY_FILE"
            )

    def daily() -> None:
        case_engine = engine()
        purged = case_engine.purge_reads(retention=keep)
        log.info("access_log_purged", purged=purged, retention_days=keep.days)
        today = local_date(case_engine.clock.now())
        erased, refused, storage = case_engine.run_retention(today=today)
        if erased or refused:
            log.info(
                "retention_applied",
                erased=len(erased),
                refused=len(refused),
                storage=storage,
            )
        if folder is not None and signer is not None:
            now = case_engine.clock.now()
            found = previous_checkpoint(folder)
            body = checkpoint(
                case_engine.store,
                now=now,
                signer=signer,
                previous=found[1] if found else None,
            )
            path = write_checkpoint(body, folder, now)
            log.info("checkpoint_written", path=str(path), cases=body["cases"])

    return daily
