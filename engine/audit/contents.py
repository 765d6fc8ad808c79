"""A dossier's contents checked against its chain, not against a digest.

The entries of a dossier are proved by their chain and the checkpoint's
inclusion proof (`engine.audit.dossier`). From chain version 2 on they also
seal what the rest of the dossier shows, so each part is checked against them:

- the case (state, version, deadlines, chase position, title, parties, data)
  against the seal of its last entry, with the same comparison `audit verify`
  makes of the case row (`engine.audit.rows`);
- every document (its metadata and content digest) against the entry that
  journalised it, and, in a dossier with its documents' files
  (`audit export --with-documents`), each file against that digest;
- the workflow text against the declaration's SHA-256 the last entry sealed;
- the calendar's rules against the calendar id the entries recorded (the id
  names a digest of the rules);
- the personal values the dossier shows (`personal`: the case key and the
  values its commitments stand for) against those commitments. A dossier
  exported after the case was erased has no key and no values; the erased
  fields read "[erased]" and the commitments still verify as part of the chain.

A dossier whose entries are all of chain version 1 says nothing of these:
the check says so as a warning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from engine.audit.personal import commit
from engine.audit.rows import compare_case
from engine.audit.seals import unpack_case
from engine.records import AuditEntry, Case, Document, Party

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def personal_section(key: str | None, values: Mapping[str, object]) -> dict[str, Any]:
    """What a dossier carries to show and check its personal values."""
    return {"key": key, "values": dict(sorted(values.items()))}


def check_contents(
    dossier: Mapping[str, Any], entries: Sequence[AuditEntry]
) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the dossier's contents against its sealed entries."""
    if not any(e.chain_version >= 2 and e.sealed is not None for e in entries):
        return [], [
            "the entries are of chain version 1, which does not seal the case, "
            "the documents or the workflow: those are covered by the digest only"
        ]
    try:
        personal = dossier.get("personal") or {}
        key = personal.get("key")
        values = dict(personal.get("values") or {})
        case = _case(dossier["case"], key, len(dossier["documents"]))
        documents = [_document(d) for d in dossier["documents"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"the dossier's case or documents are malformed ({exc!r})"], []
    problems = [
        detail.replace("the case row", "the dossier's case")
        for _, _, detail in compare_case(case, entries, documents, values)
    ]
    problems += _workflow(dossier.get("workflow"), entries)
    problems += _calendar(dossier.get("calendar"), entries)
    if key is not None and any(commit(key, v) != c for c, v in values.items()):
        problems.append("a personal value shown is not the one its entry committed to")
    return problems, []


def _case(raw: Mapping[str, Any], key: str | None, documents: int) -> Case:
    def day(value: Any) -> date | None:
        return date.fromisoformat(value) if value else None

    return Case(
        number=raw["number"],
        workflow=raw["workflow"],
        workflow_version=raw["workflow_version"],
        title=raw["title"],
        state=raw["state"],
        version=raw["version"],
        parties=tuple(
            Party(role=p["role"], name=p["name"], email=p.get("email"))
            for p in raw["parties"]
        ),
        data=dict(raw["data"]),
        due=day(raw.get("due")),
        calendar=raw.get("calendar"),
        chase_position=raw["chase_position"],
        chase_due=day(raw.get("chase_due")),
        state_entry_seq=raw.get("state_entry_seq", 0),
        state_entered_at=_EPOCH,
        opened_at=_EPOCH,
        last_event_at=_EPOCH,
        updated_at=_EPOCH,
        documents_count=documents,
        audit_head=raw.get("audit_head", ""),
        personal_key=key,
        erased=raw.get("erased"),
        owner=raw.get("owner"),
    )


def _document(raw: Mapping[str, Any]) -> Document:
    return Document(
        case_id=0,
        seq=0,
        number=raw["number"],
        title=raw["title"],
        direction=raw["direction"],
        date=date.fromisoformat(raw["date"]),
        recorded_at=_EPOCH,
        event_seq=raw["event_seq"],
        sha256=raw.get("sha256"),
    )


def _workflow(text: Any, entries: Sequence[AuditEntry]) -> list[str]:
    sealed = [
        unpack_case(e).get("workflow_digest")
        for e in entries
        if e.chain_version >= 2 and e.sealed is not None
    ]
    digest = sealed[-1] if sealed else None
    if digest is None:
        return []
    if not isinstance(text, str):
        return ["the dossier has no workflow text"]
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
        return ["the workflow text is not the declaration the entries were made under"]
    return []


def _calendar(calendar: Any, entries: Sequence[AuditEntry]) -> list[str]:
    used = [e.calendar for e in entries if e.calendar]
    if not used:
        return []
    if not isinstance(calendar, Mapping) or not isinstance(calendar.get("spec"), dict):
        return ["the dossier has no calendar rules for the deadlines it records"]
    spec = calendar["spec"]
    canonical = json.dumps(
        spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
    if f"{spec.get('name')}:{digest}" != used[-1] or calendar.get("id") != used[-1]:
        return ["the calendar's rules are not the ones the entries' deadlines used"]
    return []
