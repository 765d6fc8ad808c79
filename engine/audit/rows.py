"""Compare what a case's chain says with the rows a reviewer reads.

A chain that verifies proves its entries; the case row, the document rows and
the kept personal values are separate rows that someone with write access
could change without touching the chain. From chain version 2 on every entry
seals the documents it journalised and the case as it left it
(`engine.cases.recorder.seal_case`), so each of those rows can be checked:

- a document row whose title, direction, date or content digest differs
  from its entry's seal (`document_changed`; the content itself is checked
  against the digest by `engine.audit.verify`), one no entry journalised
  (`document_inserted`), and a sealed document whose row is gone
  (`document_deleted`);
- a case row whose state, deadlines, title, parties or data differ from its
  last entry's seal (`case_changed`, naming the field);
- a kept personal value that is not the one its commitment was made to, or
  one an erased case still keeps (`personal_changed`);
- an entry sealed before chain version 4 that shows a `via`: its version
  seals none, so one shown beside it was put there afterwards
  (`via_unsealed`). From version 4 on the chain itself covers `via`.

Entries sealed under version 1 say less: of the case row only its state, its
deadline and its workflow version are checked against them, and of documents
only that the step that journalised one exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.audit.chain import SEALS_VIA
from engine.audit.personal import ERASED, commit, commitments, committed
from engine.audit.seals import unpack_case
from engine.records import AuditEntry, Case, Document

# (kind, field or None, what is wrong): the caller adds the case and entry.
Finding = tuple[str, int | None, str]


def compare_case(
    case: Case,
    history: Sequence[AuditEntry],
    documents: Sequence[Document],
    personal: Mapping[str, object],
) -> list[Finding]:
    """Everything about `case`'s rows that its (verified) chain contradicts."""
    found: list[Finding] = []
    if history:
        found.extend(_case_row(case, history[-1]))
    found.extend(_documents(case, history, documents))
    found.extend(_personal(case, history, personal))
    found.extend(_unsealed_via(history))
    return found


def _case_row(case: Case, last: AuditEntry) -> list[Finding]:
    seq = last.seq
    if last.chain_version < 2 or last.sealed is None:
        said = {
            "state": last.to_state,
            "due": last.due_after.isoformat() if last.due_after else None,
            "workflow_version": last.workflow_version,
        }
    else:
        said = unpack_case(last)
    row = case_fields(case)
    found: list[Finding] = []
    for name, value in said.items():
        if name in ("parties", "data", "workflow_digest"):
            continue  # personal values are compared below; the digest is the text's
        if row.get(name) != value:
            found.append(
                (
                    "case_changed",
                    seq,
                    f"the case row's {name} is {row.get(name)!r}, but entry {seq} "
                    f"left it {value!r}",
                )
            )
    if "parties" in said:
        found.extend(_parties(case, said["parties"], seq, said.get("erased") is True))
    if "data" in said:
        found.extend(_data(case, said["data"], seq, said.get("erased") is True))
    return found


def case_fields(case: Case) -> dict[str, Any]:
    """The case's plain fields as a seal states them (`engine.cases.recorder`)."""
    return {
        "state": case.state,
        "version": case.version,
        "title": case.title,
        "workflow": case.workflow,
        "workflow_version": case.workflow_version,
        "due": case.due.isoformat() if case.due else None,
        "calendar": case.calendar,
        "chase_position": case.chase_position,
        "chase_due": case.chase_due.isoformat() if case.chase_due else None,
        "state_entry_seq": case.state_entry_seq,
        "documents": case.documents_count,
        "erased": case.erased is not None,
        "owner": case.owner,
    }


def _same(case: Case, row_value: object, sealed: object, erased: bool) -> bool:
    """Whether a row's value is the one the seal says (a commitment or plain)."""
    digest = committed(sealed)
    if digest is None:
        return row_value == sealed
    if erased:
        return row_value in (ERASED, None)
    if case.personal_key is None or row_value is None:
        return False
    return commit(case.personal_key, row_value) == digest


def _parties(case: Case, sealed: Any, seq: int, erased: bool) -> list[Finding]:
    rows = [(p.role, p.name, p.email) for p in case.parties]
    said = [(p.get("role"), p.get("name"), p.get("email")) for p in sealed or []]
    if [r[0] for r in rows] != [s[0] for s in said]:
        return [
            (
                "case_changed",
                seq,
                f"the case row's parties ({', '.join(r[0] for r in rows) or 'none'}) "
                f"are not the ones entry {seq} left "
                f"({', '.join(str(s[0]) for s in said) or 'none'})",
            )
        ]
    found: list[Finding] = []
    for (role, name, email), (_, sealed_name, sealed_email) in zip(
        rows, said, strict=True
    ):
        for field, value, seal in (
            ("name", name, sealed_name),
            ("email", email, sealed_email),
        ):
            if not _same(case, value, seal, erased):
                found.append(
                    (
                        "case_changed",
                        seq,
                        f"the case row's party {role!r} {field} is not the one "
                        f"entry {seq} committed to",
                    )
                )
    return found


def _data(case: Case, sealed: Any, seq: int, erased: bool) -> list[Finding]:
    said = dict(sealed or {})
    found: list[Finding] = []
    for name in sorted(set(said) | set(case.data)):
        if name not in said or name not in case.data:
            where = "has" if name in case.data else "lacks"
            found.append(
                (
                    "case_changed",
                    seq,
                    f"the case row {where} data field {name!r}, unlike entry {seq}",
                )
            )
        elif not _same(case, case.data[name], said[name], erased):
            found.append(
                (
                    "case_changed",
                    seq,
                    f"the case row's data field {name!r} is not what entry {seq} "
                    "left it",
                )
            )
    return found


def _documents(
    case: Case, history: Sequence[AuditEntry], documents: Sequence[Document]
) -> list[Finding]:
    sealed: dict[str, tuple[int, Mapping[str, Any]]] = {}
    versions = {e.seq: e.chain_version for e in history}
    for entry in history:
        if entry.chain_version >= 2 and entry.sealed is not None:
            for doc in entry.sealed.get("documents") or []:
                sealed[str(doc.get("number"))] = (entry.seq, doc)
    found: list[Finding] = []
    seen: set[str] = set()
    for row in documents:
        seen.add(row.number)
        if row.number in sealed:
            seq, doc = sealed[row.number]
            stored = {
                "title": row.title,
                "direction": row.direction,
                "date": row.date.isoformat(),
                "sha256": row.sha256,
            }
            for field, value in stored.items():
                if doc.get(field) != value:
                    found.append(
                        (
                            "document_changed",
                            seq,
                            f"document {row.number}'s {field} is {value!r}, but "
                            f"entry {seq} journalised it as {doc.get(field)!r}",
                        )
                    )
            if row.event_seq != seq:
                found.append(
                    (
                        "document_changed",
                        seq,
                        f"document {row.number} names entry {row.event_seq}, but "
                        f"entry {seq} journalised it",
                    )
                )
        elif versions.get(row.event_seq, 2) >= 2:
            found.append(
                (
                    "document_inserted",
                    None,
                    f"document {row.number} is in the journal, but no entry "
                    "journalised it",
                )
            )
    for number, (seq, _) in sealed.items():
        if number not in seen:
            found.append(
                (
                    "document_deleted",
                    seq,
                    f"document {number}, journalised by entry {seq}, is gone",
                )
            )
    return found


def _personal(
    case: Case, history: Sequence[AuditEntry], personal: Mapping[str, object]
) -> list[Finding]:
    if case.erased is not None:
        if personal:
            return [
                (
                    "personal_changed",
                    None,
                    f"the case was erased, but {len(personal)} personal value(s) "
                    "are still kept",
                )
            ]
        return []
    found: list[Finding] = []
    key = case.personal_key
    for digest, value in personal.items():
        if key is None or commit(key, value) != digest:
            found.append(
                (
                    "personal_changed",
                    None,
                    "a kept personal value is not the one its commitment was made to",
                )
            )
            break
    needed = {d for e in history if e.chain_version >= 2 for d in commitments(e.data)}
    missing = needed - set(personal)
    if missing:
        found.append(
            (
                "personal_changed",
                None,
                f"{len(missing)} personal value(s) the entries commit to are gone, "
                "but the case was not erased",
            )
        )
    return found


def _unsealed_via(history: Sequence[AuditEntry]) -> list[Finding]:
    """Entries that show a `via` their chain version does not seal."""
    return [
        (
            "via_unsealed",
            e.seq,
            f"entry {e.seq} shows how it came in, but its chain version "
            f"({e.chain_version}) seals no such thing: it was added afterwards",
        )
        for e in history
        if e.chain_version < SEALS_VIA and e.via is not None
    ]
