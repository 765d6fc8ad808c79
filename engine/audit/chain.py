"""The per-case hash chain that makes the record tamper-evident.

Every audit entry carries `hash = sha256(prev_hash + "\\n" + canonical content)`,
where `prev_hash` is the hash of the entry before it in the same case (the first
entry's is `GENESIS`) and the canonical content is a JSON text of every field that
matters, with sorted keys and UTC times to the microsecond. The case row keeps
the chain's head. Chains are per case, so concurrent cases never contend.

Version 1 covers the step itself (event, states, actor, times, data, deadline,
workflow version, the first document's number). Version 2 adds `sealed`: the
metadata of every document the step journalised (number, title, direction,
date, content digest) and the case as the step left it (state, version,
deadlines, chase position, title, parties, data), so `engine.audit.verify` can
compare the stored case row and documents with what the chain says. In version
2 personal values appear only as commitments (`engine.audit.personal`).
Version 3 is version 2 with the case packed (`engine.audit.seals`): a sealed
field the entry's own fields imply is left out. Its fields carry `"v": 3`, so
an entry's form is read from its fields alone. Version 4 is version 3 with
`via`: how the step came in (`engine.via`: the command line and its
operating-system login, the API and its token's public id, the pages, the
scheduler), so that too is part of what an entry proves. An entry of an
earlier version seals no `via`; a `via` shown beside one was not sealed
(`engine.audit.rows` names it).

Hazard: the canonical form is part of the record. Never change `canonical_v1`,
`canonical_v2`, `canonical_v3` or `canonical_v4`; a new form is a new function
and a new `CHAIN_VERSION`, and entries keep the version they were sealed with
(`AuditEntry.chain_version`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime

from engine.records import AuditEntry

CHAIN_VERSION = 4  # what new entries are sealed with
SEALS_VIA = 4  # the first chain version whose entries seal their `via`
GENESIS = "0" * 64


def chain_fields(entry: AuditEntry) -> dict[str, object]:
    """The fields of an entry that its hash covers (by its chain version)."""
    fields: dict[str, object] = {
        "case": entry.case_number,
        "seq": entry.seq,
        "event": entry.event,
        "from": entry.from_state,
        "to": entry.to_state,
        "actor": entry.actor,
        "role": entry.role,
        "at": entry.at,
        "recorded_at": entry.recorded_at,
        "data": entry.data,
        "due_before": entry.due_before,
        "due_after": entry.due_after,
        "calendar": entry.calendar,
        "workflow": entry.workflow,
        "workflow_version": entry.workflow_version,
        "document": entry.document,
    }
    if entry.chain_version >= 2:
        fields["sealed"] = entry.sealed
    if entry.chain_version >= 3:
        fields["v"] = entry.chain_version
    if entry.chain_version >= SEALS_VIA:
        fields["via"] = entry.via
    return fields


def _plain(value: object) -> object:
    """JSON's fallback for the two kinds of value the fields hold besides JSON's own:
    instants (UTC, to the microsecond) and dates. Called only for those, so the
    fields need no walk of their own."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not part of the canonical form")


def _canonical(version: int, fields: Mapping[str, object]) -> bytes:
    text = json.dumps(
        {"v": version, **fields},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_plain,
    )
    return text.encode("utf-8")


def canonical_v1(fields: Mapping[str, object]) -> bytes:
    """Version 1 of the canonical content (frozen: see the module docstring)."""
    return _canonical(1, fields)


def canonical_v2(fields: Mapping[str, object]) -> bytes:
    """Version 2: version 1's form over the fields with `sealed` (frozen)."""
    return _canonical(2, fields)


def canonical_v3(fields: Mapping[str, object]) -> bytes:
    """Version 3: version 2's form, the fields carrying `"v": 3` (frozen)."""
    return _canonical(3, fields)


def canonical_v4(fields: Mapping[str, object]) -> bytes:
    """Version 4: version 3's form over the fields with `via`, carrying `"v": 4`
    (frozen)."""
    return _canonical(4, fields)


def fields_version(fields: Mapping[str, object]) -> int:
    """The chain version fields are of: from 3 on they say it in `v`; `sealed`
    is in version 2's and not in 1's."""
    said = fields.get("v")
    if isinstance(said, int) and not isinstance(said, bool) and said >= 3:
        return said
    return 2 if "sealed" in fields else 1


_CANONICAL = {1: canonical_v1, 2: canonical_v2, 3: canonical_v3, 4: canonical_v4}
KNOWN_VERSIONS = frozenset(_CANONICAL)


def link_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    """The hash of an entry with these fields after `prev_hash`.

    Raises:
        ValueError: the fields say a chain version this code does not know.
    """
    version = fields_version(fields)
    if version not in _CANONICAL:
        raise ValueError(f"chain version {version} is newer than this sagsflow")
    content = _CANONICAL[version](fields)
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def seal(entry: AuditEntry, prev_hash: str) -> AuditEntry:
    """The entry with its place in the chain: `prev_hash` and its own `hash`."""
    return replace(
        entry, prev_hash=prev_hash, hash=link_hash(prev_hash, chain_fields(entry))
    )
