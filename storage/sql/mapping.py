"""Records to rows and back: `engine.records` <-> the tables' columns.

The records' fields are named like their columns; only a case's parties need
translating (a tuple of Party <-> a JSON list), and the JSON columns are copied
into plain dicts. Both name lists are read once per table and record type: on
the hot path walking `table.columns` and `fields()` per row was a measurable
cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Table

from engine.records import AuditEntry, Case, Document, Notification, Party, User
from storage.tables import AUDIT as _AUDIT
from storage.tables import CASES as _CASES

T = TypeVar("T")

_COLUMN_NAMES: dict[Table, tuple[str, ...]] = {}
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def columns_of(record: object, table: Table) -> dict[str, Any]:
    names = _COLUMN_NAMES.get(table)
    if names is None:
        names = _COLUMN_NAMES[table] = tuple(
            c.name for c in table.columns if c.name != "id"
        )
    return {name: getattr(record, name) for name in names}


def record_of(cls: type[T], row: Mapping[Any, Any], **extra: Any) -> T:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    return cls(**{n: row[n] for n in names if n not in extra}, **extra)


def case_columns(case: Case) -> dict[str, Any]:
    return columns_of(case, _CASES) | {
        "parties": [
            {"role": p.role, "name": p.name, "email": p.email} for p in case.parties
        ],
        "data": dict(case.data),
    }


def case_of(row: Mapping[Any, Any]) -> Case:
    parties = tuple(
        Party(role=p["role"], name=p["name"], email=p.get("email"))
        for p in row["parties"]
    )
    return record_of(Case, row, parties=parties, data=dict(row["data"]))


def audit_columns(entry: AuditEntry) -> dict[str, Any]:
    return columns_of(entry, _AUDIT) | {"data": dict(entry.data)}


def audit_of(row: Mapping[Any, Any]) -> AuditEntry:
    return record_of(AuditEntry, row, data=dict(row["data"]), shown=None)


def document_of(row: Mapping[Any, Any]) -> Document:
    return record_of(Document, row)


def notification_of(row: Mapping[Any, Any]) -> Notification:
    return record_of(Notification, row, payload=dict(row["payload"]))


def user_of(row: Mapping[Any, Any]) -> User:
    return record_of(User, row, roles=tuple(row["roles"]))
