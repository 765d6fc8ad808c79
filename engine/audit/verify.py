"""Check the record: every case's chain, and what checkpoints say it was.

Streams: case heads and audit entries arrive ordered by case (and entries by
seq), and are merged one case at a time, so memory does not grow with the log.
For each broken chain the first bad entry is named:

- a missing seq: an entry was deleted;
- an entry whose `prev_hash` is not the previous entry's hash: inserted,
  swapped, or the chain was re-written from there on;
- an entry whose content does not give its hash: a field was edited;
- a record that ends before the case's version, or a head that is not the last
  entry's hash: the tail was truncated.

A checkpoint (engine.audit.anchor) adds what a chain alone cannot show: that a case
was re-chained or removed after the checkpoint was taken. Given the case rows,
document rows and kept personal values too, each sound chain is compared with
them (engine.audit.rows), and each disagreement is named. Given the documents'
content too, every document that has content is read and hashed: content
changed (one byte is enough) or gone is named (`content_changed`,
`content_missing`), a letter's rendering (its PDF) as much as its source; a
render step that names a source the journal does not hold is
`rendition_mismatch` (engine.audit.renditions).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engine.audit.chain import GENESIS, KNOWN_VERSIONS, chain_fields, link_hash
from engine.audit.renditions import renditions
from engine.audit.rows import compare_case
from engine.records import AuditEntry, Case, Document, UnreadableEntry

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class ChainHead:
    """What the case row says about its chain."""

    case_id: int
    number: str
    version: int
    head: str
    case: Case | None = None  # the whole row, to compare with the chain


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    case: str
    seq: int | None  # the first bad entry, when there is one
    # altered | deleted | broken_link | moved | truncated | rechained | removed
    # | chain_gone | downgraded; and, against the rows: case_changed |
    # document_changed | document_inserted | document_deleted | personal_changed
    # | via_unsealed | content_changed | content_missing | rendition_mismatch
    kind: str
    detail: str
    # Set when the record ends before what a checkpoint covered (a tail cut, or
    # an older backup restored): the entry count the checkpoint recorded.
    covered: int | None = None


@dataclass(slots=True)
class Report:
    cases: int = 0
    entries: int = 0
    anchored_cases: int = 0
    user_changes: int = 0  # entries of the users' chain (engine.audit.users)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    heads: Iterable[ChainHead],
    entries: Iterable[AuditEntry | UnreadableEntry],
    *,
    anchored: Mapping[str, tuple[int, str]] | None = None,
    progress: Callable[[int], None] | None = None,
    documents: Iterable[Document] = (),
    personal: Iterable[tuple[int, str, object]] = (),
    contents: Callable[[str], bytes | None] | None = None,
) -> Report:
    """Verify every chain, and compare each sound one with its rows.

    Args:
        anchored: case number -> (seq, hash) as a trusted checkpoint recorded them.
        progress: called with the number of entries after each case.
        documents: every document row by case id and seq (with `ChainHead.case`).
        personal: (case id, commitment, value) of every kept value, by case id.
        contents: the bytes kept under a SHA-256 (`ContentRecords.content`).
    """
    report = Report()
    anchored = anchored or {}
    seen_anchored: set[str] = set()
    stream = _PeekableEntries(iter(entries))
    docs = _ByCase(iter(documents), lambda d: d.case_id)
    kept = _ByCase(iter(personal), lambda p: p[0])
    for head in heads:
        report.cases += 1
        own = list(stream.take_case(head.case_id))
        problem, count = _verify_case(head, own, anchored.get(head.number))
        report.entries += count
        if progress is not None:
            progress(count)
        if head.number in anchored:
            seen_anchored.add(head.number)
            report.anchored_cases += 1
        case_docs = docs.take(head.case_id)
        case_kept = {c: v for _, c, v in kept.take(head.case_id)}
        if problem is not None:
            report.problems.append(problem)
        elif head.case is not None:
            history = [e for e in own if isinstance(e, AuditEntry)]
            report.problems.extend(
                Problem(case=head.number, seq=seq, kind=kind, detail=detail)
                for kind, seq, detail in compare_case(
                    head.case, history, case_docs, case_kept
                )
            )
            # an erased case's content is gone by design (engine.cases.erasing)
            read = contents if head.case.erased is None else None
            report.problems.extend(_renditions(head.number, history, case_docs, read))
            if read is not None:
                report.problems.extend(_contents(head.number, case_docs, read))
    for number, seq in stream.orphans().items():
        report.problems.append(
            Problem(
                case=number,
                seq=seq,
                kind="removed",
                detail=f"entries of case {number} remain, but the case row is gone",
            )
        )
    for number in sorted(set(anchored) - seen_anchored):
        seq, _ = anchored[number]
        report.problems.append(
            Problem(
                case=number,
                seq=None,
                kind="removed",
                detail=f"case {number} was in the checkpoint (up to entry {seq}) "
                "and is gone from the record",
                covered=seq,
            )
        )
    return report


def _contents(
    number: str, documents: Iterable[Document], read: Callable[[str], bytes | None]
) -> Iterator[Problem]:
    """The documents of one case whose content is gone or not their digest's."""
    for document in documents:
        if document.sha256 is not None:
            what = f"document {document.number}"
            yield from _bytes(number, document.event_seq, what, document.sha256, read)


def _renditions(
    number: str,
    history: Sequence[AuditEntry],
    documents: Sequence[Document],
    read: Callable[[str], bytes | None] | None,
) -> Iterator[Problem]:
    """Render steps that name no source of the case's, and (with `read`)
    rendered letters whose bytes are gone or not their digest's."""
    sources = {d.number: d.sha256 for d in documents}
    for rendition in renditions(history).values():
        if sources.get(rendition.number) != rendition.source_sha256:
            yield Problem(
                case=number,
                seq=rendition.seq,
                kind="rendition_mismatch",
                detail=f"entry {rendition.seq} renders document "
                f"{rendition.number} from a source that is not the one its "
                "journal holds",
            )
        if read is not None:
            what = f"document {rendition.number}'s rendering"
            yield from _bytes(number, rendition.seq, what, rendition.sha256, read)


def _bytes(
    number: str,
    seq: int,
    what: str,
    sha256: str,
    read: Callable[[str], bytes | None],
) -> Iterator[Problem]:
    """`what`'s kept bytes gone (`content_missing`) or not `sha256`'s
    (`content_changed`)."""
    data = read(sha256)
    if data is None:
        yield Problem(
            case=number,
            seq=seq,
            kind="content_missing",
            detail=f"{what}: its content is gone",
        )
    elif hashlib.sha256(data).hexdigest() != sha256:
        yield Problem(
            case=number,
            seq=seq,
            kind="content_changed",
            detail=f"{what}: its content no longer matches its seal",
        )


def _verify_case(
    head: ChainHead,
    entries: Iterable[AuditEntry | UnreadableEntry],
    anchor: tuple[int, str] | None,
) -> tuple[Problem | None, int]:
    expected, prev, count = 1, GENESIS, 0
    problem: Problem | None = None

    def bad(seq: int | None, kind: str, detail: str) -> Problem:
        return Problem(case=head.number, seq=seq, kind=kind, detail=detail)

    newest_version = 1
    for entry in entries:
        count += 1
        if problem is not None:
            continue  # count the rest; the first bad entry is the one to name
        if isinstance(entry, UnreadableEntry):
            problem = bad(
                entry.seq,
                "altered",
                f"entry {entry.seq} was altered: a stored value no longer reads "
                f"({entry.error})",
            )
            continue
        if entry.seq != expected:
            problem = bad(
                expected,
                "deleted",
                f"entry {expected} is missing (the next entry is {entry.seq})",
            )
        elif entry.prev_hash != prev:
            problem = bad(
                entry.seq,
                "broken_link",
                f"entry {entry.seq} does not follow entry {entry.seq - 1}: inserted, "
                "swapped, or the chain was re-written from here",
            )
        elif entry.chain_version not in KNOWN_VERSIONS:
            problem = bad(
                entry.seq,
                "altered",
                f"entry {entry.seq} says chain version {entry.chain_version}, "
                "which no sagsflow up to this one seals with",
            )
        elif link_hash(prev, chain_fields(entry)) != entry.hash:
            problem = bad(
                entry.seq,
                "altered",
                f"entry {entry.seq} was altered: its content no longer gives its hash",
            )
        elif entry.case_number != head.number:  # sound entries, wrong case row
            problem = bad(
                entry.seq,
                "moved",
                f"entry {entry.seq} is case {entry.case_number}'s: records were "
                "moved between cases",
            )
        elif entry.chain_version < newest_version:
            problem = bad(
                entry.seq,
                "downgraded",
                f"entry {entry.seq} is sealed under chain version "
                f"{entry.chain_version} after an entry of version {newest_version}: "
                "a later entry cannot say less than an earlier one",
            )
        elif anchor is not None and entry.seq == anchor[0] and entry.hash != anchor[1]:
            problem = bad(
                entry.seq,
                "rechained",
                f"entry {entry.seq} is not the one the checkpoint recorded: the case "
                "was re-chained after the checkpoint",
            )
        if isinstance(entry, AuditEntry):
            newest_version = max(newest_version, entry.chain_version)
        prev, expected = entry.hash, expected + 1
    last = expected - 1
    if problem is None and last == 0 and head.version > 0:
        problem = bad(
            1,
            "chain_gone",
            f"the case is at version {head.version} but its whole chain is gone",
        )
    if problem is None and anchor is not None and anchor[0] > last:
        problem = Problem(
            case=head.number,
            seq=last + 1,
            kind="truncated",
            detail=f"the checkpoint recorded entries up to {anchor[0]}; the record "
            f"ends at {last}",
            covered=anchor[0],
        )
    if problem is None and last != head.version:
        problem = bad(
            last + 1 if last < head.version else last,
            "truncated",
            f"the case is at version {head.version} but its record ends at entry "
            f"{last}",
        )
    if problem is None and prev != head.head:
        problem = bad(
            last, "truncated", "the case's chain head is not its last entry's hash"
        )
    return problem, count


class _PeekableEntries:
    """Entries ordered by case id, handed out one case at a time."""

    def __init__(self, entries: Iterator[AuditEntry | UnreadableEntry]) -> None:
        self._it = entries
        self._next: AuditEntry | UnreadableEntry | None = next(self._it, None)
        # Cases whose rows are gone but whose entries remain: number -> first seq.
        self._orphans: dict[str, int] = {}

    def take_case(self, case_id: int) -> Iterator[AuditEntry | UnreadableEntry]:
        while self._next is not None and self._next.case_id < case_id:
            self._orphan(self._next)
        while self._next is not None and self._next.case_id == case_id:
            yield self._next
            self._next = next(self._it, None)

    def _orphan(self, entry: AuditEntry | UnreadableEntry) -> None:
        self._orphans.setdefault(entry.case_number, entry.seq)
        self._next = next(self._it, None)

    def orphans(self) -> dict[str, int]:
        """Every case (number -> first seq) with entries but no case row."""
        while self._next is not None:
            self._orphan(self._next)
        return self._orphans


class _ByCase(Generic[T]):
    """Rows ordered by case id, handed out one case at a time (the rest skipped)."""

    def __init__(self, rows: Iterator[T], case_of: Callable[[T], int]) -> None:
        self._it = rows
        self._case_of = case_of
        self._next: T | None = next(self._it, None)

    def take(self, case_id: int) -> list[T]:
        while self._next is not None and self._case_of(self._next) < case_id:
            self._next = next(self._it, None)
        out: list[T] = []
        while self._next is not None and self._case_of(self._next) == case_id:
            out.append(self._next)
            self._next = next(self._it, None)
        return out
