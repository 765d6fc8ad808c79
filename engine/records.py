"""The values that cross the storage boundary.

Frozen dataclasses: storage maps its rows to and from these, so no ORM object
ever leaves `storage/`. Instants are timezone-aware UTC; deadlines and document
dates are local dates (Europe/Copenhagen). Data values are JSON-ready (dates as
ISO strings), exactly as they are stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

# The web surfaces' values live in engine.records_web; imported from here as before.
from engine.records_web import ApiToken as ApiToken
from engine.records_web import IdempotencyRecord as IdempotencyRecord
from engine.records_web import PageSession as PageSession
from engine.records_web import PendingSignIn as PendingSignIn

JsonDict = dict[str, Any]

CASE_NUMBER = re.compile(r"^(?P<year>\d{4})-(?P<seq>\d{7,})$")


def format_case_number(year: int, seq: int) -> str:
    """`2024-0283489`: the year and a sequence of at least 7 digits."""
    return f"{year:04d}-{seq:07d}"


def parse_case_number(number: str) -> tuple[int, int]:
    """Split a case number into (year, sequence).

    Raises:
        ValueError: not of the form YYYY-NNNNNNN.
    """
    match = CASE_NUMBER.match(number)
    if match is None:
        raise ValueError(f"{number!r} is not a case number (YYYY-NNNNNNN)")
    return int(match["year"]), int(match["seq"])


@dataclass(frozen=True, kw_only=True, slots=True)
class Party:
    """Someone the case concerns or involves, by role: the authority, the citizen."""

    role: str
    name: str
    email: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class User:
    """A person (or the system) who acts on cases, by internal id.

    `name` is the display name letters and pages use (personal data: never in a
    log line or an id). `login` is the operating-system login bound to the user
    (`SAGSFLOW_CLI_IDENTITY=login`). A deactivated user (`active` false) cannot
    act anywhere, and their tokens and sessions stop."""

    id: str
    roles: tuple[str, ...]
    email: str | None = None
    created_at: datetime | None = None
    name: str | None = None
    login: str | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True, slots=True)
class UserChange:
    """One change to the users, on the users' hash chain (`engine.audit.users`).

    `state` is the user as the change left them (id, roles, name, login,
    e-mail, active), so the chain alone says who could do what, when."""

    seq: int  # 1, 2, 3 ... over the whole office
    user_id: str
    # enrolled (the chain began) | added | deactivated | activated | roles
    # | login | name | email
    change: str
    actor: str
    at: datetime
    reason: str | None = None
    state: JsonDict = field(default_factory=dict)
    via: JsonDict | None = None  # how the change came in (engine.via)
    prev_hash: str = ""
    hash: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Absence:
    """A period a user is away, both days included, and who deputises.

    The user's notices as a case's owner go to the deputy meanwhile, or to the
    advisor without one (`engine.chasing.recipients`)."""

    id: int | None = None
    user_id: str
    starts: date
    ends: date
    deputy: str | None = None
    created_by: str
    created_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Case:
    """A case as stored: where it is, its deadline and its data."""

    id: int | None = None
    number: str
    workflow: str
    workflow_version: int
    title: str
    state: str
    version: int  # bumped by every transition; the audit entry's seq
    parties: tuple[Party, ...] = ()
    data: JsonDict = field(default_factory=dict)
    due: date | None = None
    calendar: str | None = None  # the calendar id that computed `due`
    chase_position: int = 0  # ladder rungs fired since entering the state
    chase_due: date | None = None  # `due` while a rung is left to fire, else None
    state_entry_seq: int = 1  # the audit seq of the step that entered `state`
    state_entered_at: datetime  # effective time the case entered `state`
    opened_at: datetime
    last_event_at: datetime  # effective time of the newest audit entry
    updated_at: datetime  # recorded time of the newest audit entry
    documents_count: int = 0
    audit_head: str = "0" * 64  # the hash of the newest audit entry (the chain head)
    # The key of the case's personal-data commitments (engine.audit.personal):
    # secret, never shown; None once erased (and on cases not yet given one).
    personal_key: str | None = field(default=None, repr=False)
    erased: JsonDict | None = None  # when, by whom, why its personal data went
    owner: str | None = None  # the user on whose desk the case lies; None: unassigned


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEntry:
    """One step on a case's record. Never changed once written."""

    case_id: int
    case_number: str
    seq: int  # 1, 2, 3 ... within the case: the case version after the step
    event: str
    from_state: str | None
    to_state: str
    actor: str
    role: str
    at: datetime  # effective time (may be back-dated)
    recorded_at: datetime  # when sagsflow wrote it (always the clock)
    data: JsonDict = field(default_factory=dict)
    due_before: date | None = None
    due_after: date | None = None
    calendar: str | None = None
    workflow: str
    workflow_version: int
    document: str | None = None  # number of the document journalised with it
    prev_hash: str = ""  # the hash of the case's entry before this one
    hash: str = ""  # sha256 over prev_hash and this entry (engine.audit.chain)
    chain_version: int = 1  # the canonical form it was sealed with
    # Version 2: the documents it journalised and the case as it left it.
    sealed: JsonDict | None = None
    # `data` as people read it: commitments replaced by the values kept for
    # them (or "[erased]"); None when read for verification, or nothing is sealed.
    shown: JsonDict | None = field(default=None, compare=False)
    # How the step came in (engine.via): sealed from chain version 4 on.
    via: JsonDict | None = None

    @property
    def readable(self) -> JsonDict:
        """What the entry says, for people: `shown` when there is one."""
        return self.shown if self.shown is not None else self.data


@dataclass(frozen=True, kw_only=True, slots=True)
class Document:
    """A journalised document (letter in or out, or a note) on a case.

    A document journalised with content has its SHA-256 (hex), size in bytes
    and media type here; the bytes are kept apart, by their SHA-256
    (`engine.ports.documents`), and the digest is sealed by the entry that
    journalised it. Documents journalised before content was kept have none."""

    case_id: int
    seq: int
    number: str  # 2024-0283489-8
    title: str
    direction: str
    date: date
    recorded_at: datetime
    event_seq: int  # the audit entry that journalised it
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Content:
    """A document's bytes and their media type, as given to be journalised.

    The media type is the caller's to establish (the API sniffs it from the
    bytes; the command line too); the engine keeps what it is told."""

    data: bytes = field(repr=False)
    media_type: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseFilter:
    """What `CaseTransaction.list_cases` selects."""

    workflow: str | None = None
    state: str | None = None
    due_before: date | None = None  # due strictly before this date (overdue)
    limit: int | None = None
    offset: int = 0
    by_due: bool = False  # the oldest deadline first (then by id); else by id
    after_id: int | None = None  # only cases with a larger id (paging by id)
    owner: str | None = None  # only this user's cases
    unassigned: bool = False  # only cases without an owner
    not_in_states: frozenset[str] = frozenset()  # e.g. the final states: open cases


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditFilter:
    """What `CaseTransaction.audit_entries` selects (times on the effective `at`)."""

    case_number: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    event: str | None = None
    state: str | None = None  # entries that led into (or stayed in) this state
    workflow: str | None = None
    role: str | None = None


class OverdueCase(NamedTuple):
    """A case the chaser will act on: past its `chase_due`, with no more read.

    A named tuple, not a dataclass: a listing of the overdue builds one per
    row straight from the row's tuple (bench W2's find)."""

    id: int
    number: str
    workflow: str
    workflow_version: int
    state: str
    title: str
    due: date | None
    chase_due: date
    chase_position: int  # rungs fired in this stay; the next is this index


@dataclass(frozen=True, kw_only=True, slots=True)
class StalePlace:
    """A state of one workflow version that declares `stale_after`, as of one
    day: a case there is stale when it entered before `entered_before`
    (`engine.cases.ages`)."""

    workflow: str
    version: int
    state: str
    entered_before: datetime  # UTC: the start of the day after the last such day


def overdue_of(case: Case) -> OverdueCase:
    """The listing's view of a case the chaser will act on."""
    assert case.id is not None
    assert case.chase_due is not None
    return OverdueCase(
        id=case.id,
        number=case.number,
        workflow=case.workflow,
        workflow_version=case.workflow_version,
        state=case.state,
        title=case.title,
        due=case.due,
        chase_due=case.chase_due,
        chase_position=case.chase_position,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class ChaseRecord:
    """One rung fired on one stay in a state (the chaser's idempotency key)."""

    case_id: int
    entry_seq: int  # the audit seq of the step that entered the state
    rung: str
    audit_seq: int
    due_missed: date
    fired_at: datetime


class NotificationStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # out of attempts: stays visible until someone retries it

    ALL = (PENDING, SENT, FAILED)


@dataclass(frozen=True, kw_only=True, slots=True)
class Notification:
    """A message in the outbox: written with the transition that caused it.

    `idempotency_key` is unique and travels with the message (the e-mail's
    Message-ID, the webhook's header), so a receiver can drop a duplicate that
    an at-least-once delivery after a crash may produce.
    """

    id: int | None = None
    idempotency_key: str
    case_id: int
    case_number: str
    channel: str  # email | webhook | log
    recipient: str  # an address, a URL, or a description for the log
    kind: str  # reminder | escalation | internal
    subject: str
    body: str
    payload: JsonDict = field(default_factory=dict)
    status: str = NotificationStatus.PENDING
    attempts: int = 0
    available_at: datetime
    locked_until: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessEntry:
    """One read of personal data: who read what, when."""

    id: int | None = None
    at: datetime
    actor: str
    # case_show | case_list | case_search | case_documents | audit_log | audit_export
    # | document_get
    action: str
    case_number: str | None = None
    via: JsonDict | None = None  # how the read came in (engine.via)


@dataclass(frozen=True, kw_only=True, slots=True)
class UnreadableEntry:
    """An audit row whose stored values no longer read (verification names it)."""

    case_id: int
    case_number: str
    seq: int
    error: str
