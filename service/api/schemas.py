"""The shapes the API reads and writes, for validation and the OpenAPI document.

Request bodies are validated into these models. Responses are NOT built from
them: handlers return the CLI's `--json` dicts (`service.present`) as they are,
and these models only describe them, so the OpenAPI document says what the
CLI prints (the schemathesis tests hold the two together).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_TIME = (
    "ISO 8601; without an offset, Copenhagen local time; a bare date is the start "
    "of that local day"
)


class _Body(BaseModel):
    """A request body: unknown members are refused, and nobody names an actor.

    Text with a NUL character is refused too: PostgreSQL cannot store it.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, value: Any) -> Any:
        if isinstance(value, dict) and "actor" in value:
            raise ValueError(
                "a request acts as its token's user; it cannot name an 'actor'"
            )
        if has_nul(value):
            raise ValueError("text may not hold a NUL character")
        return value


def has_nul(value: object, depth: int = 0) -> bool:
    """Whether a string in `value` (JSON: nested dicts and lists) holds NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(
            has_nul(k, depth + 1) or has_nul(v, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(has_nul(v, depth + 1) for v in value)
    return False


# -- requests -------------------------------------------------------------------------
class PartyIn(_Body):
    role: str = Field(max_length=64, examples=["authority"])
    name: str = Field(max_length=500, examples=["Socialforvaltningen"])
    email: str | None = Field(default=None, max_length=320)


class OpenCase(_Body):
    """Open a case on the newest version of a workflow, as the token's user."""

    workflow: str = Field(max_length=64, examples=["ombudsman-inquiry"])
    title: str = Field(max_length=500)
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="The opening's declared fields (see GET /workflows/{name}).",
    )
    document: str | None = Field(
        default=None, max_length=500, description="Journal a document with it."
    )
    at: str | None = Field(
        default=None,
        max_length=64,
        description=f"Effective time, for back-dated entries ({_TIME}).",
    )
    owner: str | None = Field(
        default=None,
        max_length=128,
        description="Whose desk it lies on (default: the opener when a caseworker).",
    )
    unassigned: bool = Field(default=False, description="Open it without an owner.")


class FireEvent(_Body):
    """Apply an event to the case, as the token's user."""

    event: str = Field(max_length=64, examples=["send_inquiry"])
    data: dict[str, Any] = Field(default_factory=dict)
    document: str | None = Field(default=None, max_length=500)
    at: str | None = Field(default=None, max_length=64, description=_TIME)
    expected_version: int | None = Field(
        default=None,
        ge=1,
        le=2**31,
        description="Refuse (409) unless the case is still at this version.",
    )


class JournalDocument(_Body):
    """Journal a document, phone call or meeting note (the `note` event)."""

    title: str = Field(max_length=500)
    direction: str | None = Field(
        default=None, description="incoming, outgoing or note (the default)."
    )
    at: str | None = Field(default=None, max_length=64, description=_TIME)


class AssignCase(_Body):
    """Give the case to another owner (`case assign`): the advisor any case, a
    caseworker an unassigned case to themselves or their own to someone else."""

    owner: str = Field(max_length=128, examples=["jur"])
    reason: str | None = Field(default=None, max_length=2000)
    at: str | None = Field(
        default=None,
        max_length=64,
        description=f"Effective time, for back-dated entries ({_TIME}).",
    )


class EraseCase(_Body):
    """Erase a closed case's personal data (the advisor; `case erase`)."""

    reason: str = Field(max_length=2000, examples=["Anmodning efter GDPR art. 17"])


# -- responses (descriptions of service.present's JSON) -----------------------------
_VIA = (
    'How it came in (engine.via): {"channel": "cli", "login": LOGIN}, {"channel": '
    '"api", "token": TOKEN_ID}, {"channel": "pages", ...} or {"channel": "system"}; '
    "null for an entry sealed before chain version 4"
)


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class Problem(_Out):
    """RFC 9457 problem details (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:sagsflow:problem:case-not-found"])
    title: str
    status: int
    detail: str
    instance: str


class PartyOut(_Out):
    role: str
    name: str
    email: str | None


class DocumentOut(_Out):
    number: str = Field(examples=["2024-0283489-8"])
    title: str
    direction: str
    date: date | None
    recorded_at: datetime | None
    sha256: str | None = None  # the content's, sealed; None: kept without content
    size: int | None = None
    media_type: str | None = None


class EntryOut(_Out):
    case: str
    seq: int
    event: str
    from_: str | None = Field(alias="from")
    to: str
    actor: str
    role: str
    at: datetime | None
    recorded_at: datetime | None
    data: dict[str, Any]
    due_before: date | None
    due_after: date | None
    calendar: str | None
    workflow: str
    workflow_version: int
    document: str | None
    via: dict[str, Any] | None = Field(default=None, description=_VIA)


class AgeOut(_Out):
    """How long a case has been in a state without a deadline."""

    state: str
    working_days: int = Field(
        description="Working days since it entered the state, that day not counted"
    )
    stale: bool = Field(description="working_days has reached stale_after")
    stale_after: int | None = Field(
        description="The state's stale_after in working days; null: never stale"
    )


class MatchOut(_Out):
    """What of a case a search (`q`) matched."""

    field: str = Field(
        description="number, party (a party's name, not the authority's), "
        "authority (the authority's name) or title",
        examples=["party"],
    )
    value: str = Field(
        description="What that field holds: the number, the name or the title."
    )


class CaseOut(_Out):
    """A case with its record, as `sagsflow case show --json` prints it."""

    number: str = Field(examples=["2024-0283489"])
    title: str
    workflow: str
    workflow_version: int
    state: str
    version: int
    owner: str | None = Field(description="The owner's user id; null: unassigned.")
    due: date | None
    overdue: bool
    working_days_overdue: int
    age: AgeOut | None = Field(
        description="Its age in a state that gives it no deadline; null when it "
        "has a deadline or is closed."
    )
    chase_position: int
    calendar: str | None
    opened_at: datetime | None
    state_entered_at: datetime | None
    parties: list[PartyOut]
    data: dict[str, Any]
    erased: dict[str, Any] | None = Field(
        default=None,
        description="When, by whom and why its personal data was erased (at, by, "
        "reason, rule, fields); null while it is kept.",
    )
    documents: list[DocumentOut]
    history: list[EntryOut]
    match: MatchOut | None = Field(
        default=None,
        description="Why a search (`GET /cases?q=`) found the case; absent otherwise.",
    )


class AuditRowOut(_Out):
    """An entry as `sagsflow audit log --format json` prints it."""

    case: str
    seq: int
    event: str
    from_: str | None = Field(alias="from")
    to: str
    actor: str
    role: str
    at: datetime | None
    recorded_at: datetime | None
    due_before: date | None
    due_after: date | None
    document: str | None
    data: dict[str, Any]
    via: dict[str, Any] | None = Field(default=None, description=_VIA)


class AccessOut(_Out):
    at: datetime | None
    actor: str
    action: str
    case: str | None
    via: dict[str, Any] | None = Field(default=None, description=_VIA)


class VerifyProblemOut(_Out):
    case: str
    seq: int | None
    kind: str
    detail: str


class VerifyOut(_Out):
    ok: bool
    cases: int
    entries: int
    anchored_cases: int
    problems: list[VerifyProblemOut]


class WorkflowSummary(_Out):
    name: str
    version: int
    title: str
    source: str
    states: list[str]
    events: list[str]


class WorkflowOut(_Out):
    """A declaration, as `sagsflow workflow show --json` prints it."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: int
    title: str
    description: str
    parties: list[str]
    states: list[dict[str, Any]]
    opening: dict[str, Any]
    transitions: list[dict[str, Any]]
    initial: str
    events: list[str]


class NotificationOut(_Out):
    id: int
    case: str
    channel: str
    recipient: str
    kind: str
    subject: str
    status: str
    attempts: int
    created_at: datetime | None
    available_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    idempotency_key: str


class ReportOut(_Out):
    """`sagsflow report --json`: the figures of engine.explain.report."""

    workflow: str | None
    since: date = Field(description="The period's first day, included.")
    until: date = Field(description="The period's last day, included.")
    now: datetime
    cases_opened: int
    cases_closed: int
    closed_by_outcome: dict[str, int]
    open_now: dict[str, Any]
    overdue_now: int
    chases: dict[str, Any]
    handling_days: dict[str, Any]
    time_in_states_days: dict[str, Any]


class DossierOut(_Out):
    """`sagsflow audit export`'s file; `audit verify --dossier` checks it offline."""

    format: str
    exported_at: datetime
    exported_by: str
    case: dict[str, Any]
    documents: list[dict[str, Any]]
    entries: list[dict[str, Any]]
    workflow: str
    calendar: dict[str, Any]
    checkpoint: dict[str, Any] | None = Field(
        description="the latest checkpoint covering the case: its signed body, "
        "signature and this case's Merkle inclusion proof (format 2), or null"
    )
    digest: str = Field(
        description="SHA-256 over the rest of the file: a corruption check only"
    )


class HealthOut(_Out):
    status: str = Field(description="ok, or unavailable (then the status is 503)")
    database: str = Field(description="ok or unavailable")
    scheduler: str = Field(
        description="running, stopped, or off (this process runs no chaser)"
    )
    oldest_overdue_lag_days: int | None = Field(
        description="days since the deadline of the oldest case waiting to be chased"
    )


class ErasureOut(_Out):
    """What an erasure did (`case erase --json`)."""

    case: str
    erased: list[str] = Field(description="`parties.ROLE.name`, `data.FIELD`, ...")
    entry: int = Field(description="The `erase` entry's seq.")
    notifications: int = Field(description="Notifications whose text held a value.")
    storage: str = Field(description="What the database did to make the bytes go.")
