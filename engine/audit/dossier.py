"""The case dossier: one self-contained file an auditor or a court can check.

It holds the case, its documents' metadata, every audit entry with its hash,
the workflow declaration and the calendar it ran under, and the latest
checkpoint covering the case, reduced to what concerns this case. Format 2
(`sagsflow-dossier/2`)::

    {"format": "sagsflow-dossier/2", "exported_at": ..., "exported_by": ...,
     "case": {...}, "documents": [...], "entries": [...], "workflow": TEXT,
     "calendar": {...}, "personal": null or {"key": HEX, "values": {...}},
     "checkpoint": null or
        {"format": "sagsflow-checkpoint/2", "created_at": ..., "cases": N,
         "entries": M, "root": HEX, "previous": HEX or null,
         "signature": {"alg": ..., "value": ...},
         "proof": {"index": I, "size": N, "count": C, "path": [HEX, ...]}},
     "digest": HEX}

`personal` holds the case key and the values its commitments stand for
(`engine.audit.contents`), or null once the case's personal data is erased.

The checkpoint is its signed body and signature without its list of heads,
plus this case's Merkle inclusion proof (`engine.audit.merkle`): leaf `index`
of a tree of `size` leaves, the case's entry count `C` at the checkpoint, and
the audit path. No other case's number, count or head is in the file.

`check_dossier` needs nothing but the file (and, for the signature, the key):
it recomputes the chain, compares it with the case's head, checks the case,
documents, workflow text, calendar and personal values against what the
entries sealed (chain version 2, `engine.audit.contents`), checks the
checkpoint's signature, and checks that the leaf (case number, `C`, the hash of
entry `C`) with the proof gives the signed root. With a key, entries no
checkpoint covers are *not anchored*: nothing signed vouches for them, so the
dossier does not verify unless the caller accepts that (`allow_unanchored`).

Entries of chain version 4 carry `via` (how each step came in) among their
hashed fields; an older entry carrying one fails, since nothing sealed it.

What proves what: the chain shows the entries follow each other; the signed
root and the proof show entries 1..C are the ones the office recorded when the
checkpoint was taken. The `digest` over the whole file is a corruption check
only: anyone can recompute it, so on its own it proves nothing against a forger
(for version-1 entries, which seal none of the rest, it is all there is).

Format-1 dossiers (`sagsflow-dossier/1`, carrying the whole format-1
checkpoint) still verify: their checkpoint's signed list of heads anchors the
case as a proof would; without one (or entries after it) they are not
anchored either.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.audit.anchor import FORMAT as CHECKPOINT_FORMAT
from engine.audit.anchor import SIGNED, CheckpointError, Signer, case_leaf, check_signed
from engine.audit.chain import (
    GENESIS,
    KNOWN_VERSIONS,
    SEALS_VIA,
    chain_fields,
    fields_version,
    link_hash,
)
from engine.audit.contents import check_contents
from engine.audit.merkle import inclusion_proof, verify_inclusion
from engine.records import AuditEntry

FORMAT = "sagsflow-dossier/2"
FORMAT_V1 = "sagsflow-dossier/1"


@dataclass(slots=True)
class DossierCheck:
    """What `check_dossier` found: problems fail it, warnings do not."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    anchored: int = 0  # entries 1..anchored are covered by a checked checkpoint

    @property
    def ok(self) -> bool:
        return not self.problems


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
    personal: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The dossier as a JSON-ready dict, with its digest.

    Args:
        checkpoint: the office's latest format-2 checkpoint listing the case
            (`anchor.latest_checkpoint`), heads and all; only its signed body
            and this case's proof go into the dossier. Anything else (format 1,
            or a checkpoint that does not list the case) gives no checkpoint.
    """
    body: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": exported_at.isoformat(),
        "exported_by": exported_by,
        "case": dict(case),
        "documents": [dict(d) for d in documents],
        "entries": [_entry_json(e) for e in history],
        "workflow": workflow_text,
        "calendar": dict(calendar),
        "checkpoint": _with_proof(checkpoint, str(case["number"])),
        # the case key and kept values (engine.audit.contents), None once erased
        "personal": dict(personal) if personal is not None else None,
    }
    body["digest"] = _digest(body)
    return body


def _with_proof(
    checkpoint: Mapping[str, Any] | None, number: str
) -> dict[str, Any] | None:
    if checkpoint is None or checkpoint.get("format") != CHECKPOINT_FORMAT:
        return None
    heads = checkpoint.get("heads") or []
    index = next((i for i, h in enumerate(heads) if h[0] == number), None)
    if index is None:
        return None
    leaves = [case_leaf(*h) for h in heads]
    return {
        **{k: checkpoint.get(k) for k in SIGNED},
        "signature": checkpoint.get("signature"),
        "proof": {
            "index": index,
            "size": len(heads),
            "count": heads[index][1],
            "path": inclusion_proof(leaves, index),
        },
    }


def verify_dossier(
    dossier: Mapping[str, Any], signer: Signer | None = None
) -> list[str]:
    """Every problem found in a dossier (empty when it verifies)."""
    return check_dossier(dossier, signer).problems


def check_dossier(
    dossier: Mapping[str, Any],
    signer: Signer | None = None,
    *,
    allow_unanchored: bool = False,
) -> DossierCheck:
    """Check a dossier (format 1 or 2) offline.

    Args:
        signer: the key to check the checkpoint's signature with. Without one
            the signature is not checked and nothing is held as not anchored
            (it is a warning): the caller says the signature went unchecked.
        allow_unanchored: with a key, accept entries no checkpoint covers
            (each named in a warning) instead of failing.
    """
    result = DossierCheck()
    if not isinstance(dossier, Mapping) or dossier.get("format") not in (
        FORMAT,
        FORMAT_V1,
    ):
        result.problems.append("not a sagsflow dossier")
        return result
    try:
        entries = [_entry(e) for e in dossier["entries"]]
        case = dossier["case"]
        number, version, head = case["number"], case["version"], case["audit_head"]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        result.problems.append(f"the dossier is malformed ({exc!r})")
        return result
    result.problems.extend(_check_chain(entries, number, version, head))
    if not result.problems:
        found, warned = check_contents(dossier, entries)
        result.problems.extend(found)
        result.warnings.extend(warned)
    checkpoint = dossier.get("checkpoint")
    check = _check_v1 if dossier["format"] == FORMAT_V1 else _check_proof
    result.problems.extend(check(checkpoint, number, entries, signer, result))
    rest = {k: v for k, v in dossier.items() if k != "digest"}
    if not result.problems and _digest(rest) != dossier.get("digest"):
        # Named only when nothing more telling was found: the chain and the
        # checkpoint are the proof, this is the corruption check.
        result.problems.append(
            "the file is corrupt or was edited after export: its digest differs "
            "(a corruption check only; the chain and the checkpoint are the proof)"
        )
    if result.anchored < len(entries) and not result.problems:
        text = _unanchored(result.anchored, len(entries), checkpoint)
        if signer is not None and not allow_unanchored:
            result.problems.append(
                f"not anchored: {text}; --allow-unanchored accepts it with a warning"
            )
        else:
            result.warnings.append(f"not anchored: {text}")
    return result


def _check_chain(
    entries: Sequence[AuditEntry], number: str, version: int, head: str
) -> list[str]:
    prev, expected, newest = GENESIS, 1, 1
    for entry in entries:
        if entry.case_number != number or entry.seq != expected:
            return [f"entry {expected} is missing or out of place"]
        if (
            entry.prev_hash != prev
            or entry.chain_version not in KNOWN_VERSIONS
            or link_hash(prev, chain_fields(entry)) != entry.hash
        ):
            return [f"entry {entry.seq} does not verify (altered or re-chained)"]
        if entry.chain_version < SEALS_VIA and entry.via is not None:
            return [
                f"entry {entry.seq} shows how it came in (via), but its chain "
                f"version ({entry.chain_version}) seals no such thing"
            ]
        if entry.chain_version < newest:
            return [
                f"entry {entry.seq} is sealed under chain version "
                f"{entry.chain_version} after one of version {newest}: a later "
                "entry cannot say less than an earlier one"
            ]
        newest = max(newest, entry.chain_version)
        prev, expected = entry.hash, expected + 1
    if expected - 1 != version or prev != head:
        return ["the entries end before the case's last step"]
    return []


def _check_proof(
    checkpoint: Any,
    number: str,
    entries: Sequence[AuditEntry],
    signer: Signer | None,
    result: DossierCheck,
) -> list[str]:
    """Format 2: the checkpoint's signature, then the case's proof to its root."""
    if checkpoint is None:
        return []
    proof = checkpoint.get("proof") if isinstance(checkpoint, dict) else None
    if (
        not isinstance(proof, dict)
        or checkpoint.get("format") != CHECKPOINT_FORMAT
        or not all(type(proof.get(k)) is int for k in ("index", "size", "count"))
        or not isinstance(proof.get("path"), list)
    ):
        return ["the checkpoint or its proof is malformed"]
    if signer is not None:
        try:
            check_signed(checkpoint, signer)
        except CheckpointError as exc:
            return [f"checkpoint: {exc}"]
    count, at = proof["count"], checkpoint.get("created_at")
    if not 0 < count <= len(entries):
        return [
            f"the checkpoint of {at} recorded entries up to {count}; the dossier "
            f"ends at entry {len(entries)}"
        ]
    leaf = case_leaf(number, count, entries[count - 1].hash)
    if proof["size"] != checkpoint.get("cases") or not verify_inclusion(
        leaf, proof["index"], proof["size"], proof["path"], str(checkpoint.get("root"))
    ):
        return [
            f"entry {count} is not the one the checkpoint of {at} recorded: its "
            "inclusion proof does not give the checkpoint's signed root (the "
            "entries or the proof were changed, or the proof is another root's)"
        ]
    result.anchored = count
    return []


def _check_v1(
    checkpoint: Any,
    number: str,
    entries: Sequence[AuditEntry],
    signer: Signer | None,
    result: DossierCheck,
) -> list[str]:
    """Format 1: the whole checkpoint's signature, and the case's head in it."""
    if checkpoint is None:
        return []
    if not isinstance(checkpoint, dict):
        return ["the checkpoint is malformed"]
    if signer is not None:
        try:
            check_signed(checkpoint, signer)
        except CheckpointError as exc:
            return [f"checkpoint: {exc}"]
    heads = checkpoint.get("heads")
    for listed in heads if isinstance(heads, list) else []:
        if isinstance(listed, list) and len(listed) == 3 and listed[0] == number:
            seq, recorded = listed[1], listed[2]
            by_seq = {e.seq: e.hash for e in entries}
            if by_seq.get(seq) != recorded:
                return [
                    f"entry {seq} is not the one the checkpoint of "
                    f"{checkpoint.get('created_at')} recorded"
                ]
            result.anchored = seq
            result.warnings.append(
                "a format-1 dossier: its checkpoint lists every case number of the "
                "office; export it again for a format-2 dossier, which does not"
            )
    return []


def _unanchored(anchored: int, last: int, checkpoint: Any) -> str:
    span = f"entry {last}" if anchored + 1 == last else f"entries {anchored + 1}-{last}"
    meaning = (
        "nothing signed shows they are the ones recorded, so anyone able to edit "
        "the file or the database could have rewritten them and every hash"
    )
    if anchored == 0:
        return f"no checkpoint covers {span} ({meaning})"
    at = checkpoint.get("created_at") if isinstance(checkpoint, dict) else None
    return (
        f"{span} not yet anchored: the checkpoint of {at} covers entries "
        f"1-{anchored} only ({meaning})"
    )


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
        # the fields say their version (engine.audit.chain)
        chain_version=fields_version(raw),
        sealed=raw.get("sealed"),
        # sealed from version 4 on; one beside an older entry is named
        # (engine.audit.rows, through engine.audit.contents)
        via=raw.get("via"),
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
