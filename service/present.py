"""How cases, audit entries, users, workflows and notifications are shown.

The one presentation module of the command line, the HTTP API and the review
pages: each surface prints or serves these shapes and none keeps its own.
The JSON shapes here are a contract (scripts and the HTTP API rely on them):
a case carries `number`, `workflow`, `workflow_version`, `state`, `due`,
`parties`, `documents` and `history`, and more besides.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from engine.audit.contents import personal_section
from engine.audit.dossier import build_dossier
from engine.cases.ages import StateAge
from engine.cases.engine import CaseEngine
from engine.cases.search import CaseMatch
from engine.cases.view import CaseView
from engine.dates.calendars import COPENHAGEN, BusinessCalendar, is_overdue
from engine.dates.deadlines import working_days_overdue
from engine.records import (
    Absence,
    AccessEntry,
    AuditEntry,
    Document,
    Notification,
    User,
)
from engine.workflow.definition import WorkflowDefinition

AUDIT_COLUMNS = (
    "case",
    "seq",
    "event",
    "from",
    "to",
    "actor",
    "role",
    "at",
    "recorded_at",
    "due_before",
    "due_after",
    "document",
    "data",
    "via",
)


RECORDED_APART = timedelta(minutes=1)


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def local(value: datetime) -> str:
    """An instant as local office time, e.g. `2024-10-09 10:00 +02:00`."""
    there = value.astimezone(COPENHAGEN)
    offset = there.strftime("%z")
    return f"{there:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "case": entry.case_number,
        "seq": entry.seq,
        "event": entry.event,
        "from": entry.from_state,
        "to": entry.to_state,
        "actor": entry.actor,
        "role": entry.role,
        "at": iso(entry.at),
        "recorded_at": iso(entry.recorded_at),
        "data": entry.readable,
        "due_before": iso(entry.due_before),
        "due_after": iso(entry.due_after),
        "calendar": entry.calendar,
        "workflow": entry.workflow,
        "workflow_version": entry.workflow_version,
        "document": entry.document,
        "via": entry.via,  # how it came in (engine.via); null before chain version 4
    }


def via_text(came: dict[str, Any] | None) -> str:
    """How a step or read came in, short: `cli:jdoe`, `api:3f9a0c1b2d4e`,
    `pages`, `system`; `-` when unrecorded (before chain version 4)."""
    if not came:
        return "-"
    channel = str(came.get("channel") or "?")
    detail = {"cli": came.get("login"), "api": came.get("token")}.get(channel)
    return f"{channel}:{detail}" if detail else channel


def access_json(read: AccessEntry) -> dict[str, Any]:
    """A logged read as `audit access --json` and `GET /audit/access` show it."""
    return {
        "at": iso(read.at),
        "actor": read.actor,
        "action": read.action,
        "case": read.case_number,
        "via": read.via,
    }


def document_json(doc: Document) -> dict[str, Any]:
    return {
        "number": doc.number,
        "title": doc.title,
        "direction": doc.direction,
        "date": iso(doc.date),
        "recorded_at": iso(doc.recorded_at),
        # its content (engine.cases.documents): None when journalised without
        "sha256": doc.sha256,
        "size": doc.size,
        "media_type": doc.media_type,
    }


def case_json(
    view: CaseView,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    age: StateAge | None,
) -> dict[str, Any]:
    """The case with its record; `age` is `CaseEngine.age(case, now)`."""
    case = view.case
    overdue = is_overdue(case.due, now)
    return {
        "number": case.number,
        "title": case.title,
        "workflow": case.workflow,
        "workflow_version": case.workflow_version,
        "state": case.state,
        "version": case.version,
        "owner": case.owner,  # a user id, or None: unassigned
        "due": iso(case.due),
        "overdue": overdue,
        "working_days_overdue": working_days_overdue(calendar, case.due, now),
        "age": age_json(age),
        "chase_position": case.chase_position,
        "calendar": case.calendar,
        "opened_at": iso(case.opened_at),
        "state_entered_at": iso(case.state_entered_at),
        "parties": [
            {"role": p.role, "name": p.name, "email": p.email} for p in case.parties
        ],
        "data": case.data,
        "erased": case.erased,  # when, by whom, why its personal data went
        "documents": [document_json(d) for d in view.documents],
        "history": [entry_json(e) for e in view.history],
    }


def age_json(age: StateAge | None) -> dict[str, Any] | None:
    """A case's age in a state without a deadline (null when it has one or is
    closed): `{"state": "opened", "working_days": 73, "stale": true,
    "stale_after": 10}`, `stale_after` null where the state declares none."""
    if age is None:
        return None
    return {
        "state": age.state,
        "working_days": age.working_days,
        "stale": age.stale,
        "stale_after": age.stale_after,
    }


def dossier_json(
    engine: CaseEngine,
    view: CaseView,
    *,
    checkpoint: dict[str, Any] | None,
    exported_by: str,
) -> dict[str, Any]:
    """The case's self-contained dossier (`audit export`, the API, the pages).

    Args:
        checkpoint: the latest checkpoint that covers the case, if any.
        exported_by: who asked for it (recorded in the dossier).
    """
    case = view.case
    # The calendar the newest deadline was counted on (a closed case has none now).
    used = [e.calendar for e in view.history if e.calendar]
    calendar_id = case.calendar or (used[-1] if used else None)
    with engine.store.transaction(write=False) as tx:
        text = tx.workflow_text(case.workflow, case.workflow_version) or ""
        calendar = tx.calendar_spec(calendar_id) if calendar_id else None
        kept = tx.personal_values([case.id or 0]).get(case.id or 0, {})
    now = engine.clock.now()
    shown = case_json(view, now=now, calendar=engine.calendar, age=None)
    left_out = ("documents", "history", "overdue", "working_days_overdue", "age")
    return build_dossier(
        case={
            **{k: v for k, v in shown.items() if k not in left_out},
            "chase_due": iso(case.chase_due),
            "state_entry_seq": case.state_entry_seq,
            "audit_head": case.audit_head,
        },
        documents=[
            document_json(d) | {"event_seq": d.event_seq} for d in view.documents
        ],
        history=list(view.history),
        workflow_text=text,
        calendar={"id": calendar_id, "spec": calendar},
        checkpoint=checkpoint,
        exported_at=now,
        exported_by=exported_by,
        personal=None
        if case.erased is not None
        else personal_section(case.personal_key, kept),
    )


def match_json(match: CaseMatch) -> dict[str, Any]:
    """What of a case a search matched: its field and what the field holds."""
    return {"field": match.field, "value": match.value}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=_default)


def dumps_array(values: Iterable[Any]) -> Iterator[str]:
    """`dumps(list(values))` in pieces, one value at a time, for a long listing."""
    opened = False
    for value in values:
        yield ",\n" if opened else "[\n"
        opened = True
        # Only "\n" ends a line of JSON (textwrap.indent would also split a
        # string at U+0085 or U+2028, which ensure_ascii=False leaves raw).
        yield "  " + dumps(value).replace("\n", "\n  ")
    yield "\n]" if opened else "[]"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | frozenset):
        return list(value)
    raise TypeError(f"cannot render {type(value).__name__}")


def recorded_apart(at: datetime, recorded_at: datetime) -> bool:
    """Whether a step was recorded at another time than it takes effect from
    (back-dated, or imported): a minute or more apart."""
    return abs(recorded_at - at) >= RECORDED_APART


def audit_rows(entries: Iterable[AuditEntry]) -> Iterable[dict[str, Any]]:
    for e in entries:
        row = entry_json(e)
        yield {k: row[k] for k in AUDIT_COLUMNS}


def audit_csv_lines(
    entries: Iterable[AuditEntry],
    *,
    spreadsheet_safe: bool = False,
    excel: bool = False,
) -> Iterable[str]:
    """The entries as CSV: a header row, then one row an entry.

    Args:
        spreadsheet_safe: put `'` before a cell that a spreadsheet would read
            as a formula (one starting with = + - @, a tab or a carriage
            return), so opening the file runs nothing (CSV injection).
        excel: the form a Danish spreadsheet opens as it is: a byte-order mark
            (UTF-8), semicolons between cells, CRLF line ends, the effective
            and recorded times in Copenhagen time (`2024-10-09 15:00:00`,
            which it reads as a time); spreadsheet-safe too.
    """
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=";" if excel else ",",
        lineterminator="\r\n" if excel else "\n",
    )
    writer.writerow(AUDIT_COLUMNS)
    yield ("\ufeff" if excel else "") + buffer.getvalue()
    for row in audit_rows(entries):
        buffer.seek(0)
        buffer.truncate()
        values = [
            json.dumps(v, ensure_ascii=False, sort_keys=True)
            if k in ("data", "via") and v is not None
            else _copenhagen(v)
            if excel and k in ("at", "recorded_at") and v is not None
            else v
            for k, v in row.items()
        ]
        cells = ["" if v is None else v for v in values]
        if spreadsheet_safe or excel:
            cells = [inert_cell(c) for c in cells]
        writer.writerow(cells)
        yield buffer.getvalue()


def _copenhagen(value: object) -> str:
    """An ISO instant as Copenhagen wall-clock time, as a spreadsheet reads it."""
    instant = datetime.fromisoformat(str(value))
    return instant.astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M:%S")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text that would start a formula
    gets a leading `'` (OWASP's advice); other values are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "roles": list(user.roles),
        "email": user.email,
        "created_at": iso(user.created_at),
        "name": user.name,
        "login": user.login,
        "active": user.active,
    }


def absence_json(absence: Absence) -> dict[str, Any]:
    return {
        "user": absence.user_id,
        "from": absence.starts.isoformat(),
        "until": absence.ends.isoformat(),  # the last day away, included
        "deputy": absence.deputy,
        "created_by": absence.created_by,
        "created_at": iso(absence.created_at),
    }


def workflow_json(d: WorkflowDefinition) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(d)
    data.pop("text")
    data["initial"] = d.initial
    data["events"] = list(d.events)
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=_default))
    return loaded


def notification_json(n: Notification) -> dict[str, Any]:
    """A notification as `outbox list --json` and `GET /outbox` show it."""
    return {
        "id": n.id,
        "case": n.case_number,
        "channel": n.channel,
        "recipient": n.recipient,
        "kind": n.kind,
        "subject": n.subject,
        "status": n.status,
        "attempts": n.attempts,
        "created_at": iso(n.created_at),
        "available_at": iso(n.available_at),
        "sent_at": iso(n.sent_at),
        "last_error": n.last_error,
        "idempotency_key": n.idempotency_key,
    }
