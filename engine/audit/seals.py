"""The case as an entry seals it, without repeating what the entry says already.

Chain version 2 seals every field of the case in every entry; most of them
are the entry's own fields again (the state is the entry's `to_state`, the
version its `seq`, the deadline its `due_after`), or empty. Version 3 seals the
same case more compactly: a field is left out when its value is the one
`defaults` derives from the entry, and `unpack_case` puts it back. The rule is
exact both ways, so a version 3 entry commits to the whole case as surely as a
version 2 entry does, at about half the bytes per entry (what the W1
lifecycle pays at `synchronous=FULL` is mostly bytes written).

Version 4 (which adds `via`, `engine.audit.chain`) packs the case as version
3 does: every version from `PACKED_FROM` on is unpacked by the same rule.

Hazard: `defaults` is part of the meaning of versions 3 and 4. Never change it;
a new rule is a new chain version (`engine.audit.chain`).
"""

from __future__ import annotations

from typing import Any

from engine.records import AuditEntry, JsonDict

PACKED_FROM = 3  # the first chain version whose entries seal the case packed (3, 4)


def defaults(
    *,
    seq: int,
    to_state: str,
    due: str | None,
    calendar: str | None,
    workflow: str,
    workflow_version: int,
) -> JsonDict:
    """The sealed case fields an entry with these fields need not repeat."""
    return {
        "state": to_state,
        "version": seq,
        "due": due,
        "calendar": calendar,
        "workflow": workflow,
        "workflow_version": workflow_version,
        "chase_position": 0,
        "chase_due": due,
        "state_entry_seq": seq,
        "erased": False,
        "owner": None,
        "parties": [],
        "data": {},
    }


def entry_defaults(entry: AuditEntry) -> JsonDict:
    return defaults(
        seq=entry.seq,
        to_state=entry.to_state,
        due=entry.due_after.isoformat() if entry.due_after else None,
        calendar=entry.calendar,
        workflow=entry.workflow,
        workflow_version=entry.workflow_version,
    )


def pack_case(case: JsonDict, implied: JsonDict) -> JsonDict:
    """`case` without the fields whose value is the `implied` one."""
    return {
        name: value
        for name, value in case.items()
        if name not in implied or not _same(implied[name], value)
    }


def _same(implied: object, value: object) -> bool:
    # strict: 1 and True, 0 and False are not the same value to the record
    return type(implied) is type(value) and implied == value


def unpack_case(entry: AuditEntry) -> dict[str, Any]:
    """The whole case an entry seals (any chain version from 2 on)."""
    assert entry.sealed is not None
    sealed = dict(entry.sealed.get("case") or {})
    if entry.chain_version < PACKED_FROM:
        return sealed
    return entry_defaults(entry) | sealed
