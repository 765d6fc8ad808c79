"""The case dossier: one self-contained file an auditor or a court can check.

It holds the case, its documents' metadata, every audit entry with its hash,
the workflow declaration and the calendar it ran under, and the latest
checkpoint covering it. `verify_dossier` needs nothing but the file (and, to
check the checkpoint's signature, the key): it recomputes the chain, compares
it with the case's head and with the checkpoint, and checks a digest over the
whole file so that any change, however small, is noticed.

What proves what: the chain and a signed checkpoint show the entries are the
ones recorded; the file digest catches corruption and casual edits (anyone
can recompute it, so on its own it proves nothing against a forger).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.audit.anchor import CheckpointError, Signer, canonical
from engine.audit.chain import GENESIS, chain_fields, link_hash
from engine.records import AuditEntry

FORMAT = "sagsflow-dossier/1"


def build_dossier(
    *,
    case: Mapping[str, Any],
    documents: list[Mapping[str, Any]],
    history: list[AuditEntry],
    workflow_text: str,
    calendar: Mapping[str, Any],
    checkpoint: Mapping[str, Any] | None,
    exported_at: datetime,
    exported_by: str,
) -> dict[str, Any]:
    """The dossier as a JSON-ready dict, with its digest."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": exported_at.isoformat(),
        "exported_by": exported_by,
        "case": dict(case),
        "documents": [dict(d) for d in documents],
        "entries": [_entry_json(e) for e in history],
        "workflow": workflow_text,
        "calendar": dict(calendar),
        "checkpoint": dict(checkpoint) if checkpoint is not None else None,
    }
    body["digest"] = _digest(body)
    return body


def verify_dossier(
    dossier: Mapping[str, Any], signer: Signer | None = None
) -> list[str]:
    """Every problem found in a dossier (empty when it verifies)."""
    if not isinstance(dossier, Mapping) or dossier.get("format") != FORMAT:
        return ["not a sagsflow dossier"]
    problems: list[str] = []
    rest = {k: v for k, v in dossier.items() if k != "digest"}
    try:
        if _digest(rest) != dossier.get("digest"):
            problems.append("the file was changed after export (its digest differs)")
        entries = [_entry(e) for e in dossier["entries"]]
        case = dossier["case"]
        number, version, head = case["number"], case["version"], case["audit_head"]
    except (KeyError, TypeError, ValueError) as exc:
        return [*problems, f"the dossier is malformed ({exc!r})"]
    prev, expected = GENESIS, 1
    for entry in entries:
        if entry.case_number != number or entry.seq != expected:
            problems.append(f"entry {expected} is missing or out of place")
            break
        if (
            entry.prev_hash != prev
            or link_hash(prev, chain_fields(entry)) != entry.hash
        ):
            problems.append(
                f"entry {entry.seq} does not verify (altered or re-chained)"
            )
            break
        prev, expected = entry.hash, expected + 1
    else:
        if expected - 1 != version or prev != head:
            problems.append("the entries end before the case's last step")
    problems.extend(
        _check_checkpoint(dossier.get("checkpoint"), number, entries, signer)
    )
    return problems


def _check_checkpoint(
    checkpoint: Any, number: str, entries: list[AuditEntry], signer: Signer | None
) -> list[str]:
    if checkpoint is None:
        return []
    if not isinstance(checkpoint, dict):
        return ["the checkpoint is malformed"]
    if signer is not None:
        body = {k: v for k, v in checkpoint.items() if k != "signature"}
        try:
            signer.check(canonical(body), checkpoint.get("signature") or {})
        except CheckpointError as exc:
            return [f"checkpoint: {exc}"]
    for case, seq, head in checkpoint.get("heads", []):
        if case == number:
            by_seq = {e.seq: e.hash for e in entries}
            if by_seq.get(seq) != head:
                return [
                    f"entry {seq} is not the one the checkpoint of "
                    f"{checkpoint.get('created_at')} recorded"
                ]
    return []


def _entry_json(entry: AuditEntry) -> dict[str, Any]:
    fields = {k: _plain(v) for k, v in chain_fields(entry).items()}
    return {**fields, "prev_hash": entry.prev_hash, "hash": entry.hash}


def _entry(raw: Mapping[str, Any]) -> AuditEntry:
    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if value else None

    return AuditEntry(
        case_id=0,
        case_number=raw["case"],
        seq=raw["seq"],
        event=raw["event"],
        from_state=raw["from"],
        to_state=raw["to"],
        actor=raw["actor"],
        role=raw["role"],
        at=datetime.fromisoformat(raw["at"]),
        recorded_at=datetime.fromisoformat(raw["recorded_at"]),
        data=raw["data"],
        due_before=day(raw["due_before"]),
        due_after=day(raw["due_after"]),
        calendar=raw["calendar"],
        workflow=raw["workflow"],
        workflow_version=raw["workflow_version"],
        document=raw["document"],
        prev_hash=raw["prev_hash"],
        hash=raw["hash"],
    )


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _digest(body: Mapping[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
