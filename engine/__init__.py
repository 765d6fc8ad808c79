"""sagsflow's engine: declared workflows, the legal calendar, audited transitions.

The engine knows nothing of databases or web frameworks: it defines the store
protocol (`engine.ports`) and receives an implementation, workflow definitions,
a clock and a calendar by injection.
"""

from __future__ import annotations

from engine.cases.engine import CaseEngine
from engine.cases.view import CaseView
from engine.clock import Clock, SystemClock
from engine.dates.calendars import (
    BusinessCalendar,
    CalendarSpec,
    is_overdue,
    local_date,
)
from engine.exceptions import (
    CaseNotFoundError,
    ConcurrentUpdateError,
    DefinitionError,
    DuplicateError,
    EngineError,
    GuardRejectedError,
    InvalidDataError,
    InvalidInputError,
    InvalidTimeError,
    RoleNotAllowedError,
    SchemaError,
    StorageError,
    TransitionNotAllowedError,
    UserNotFoundError,
    WorkflowNotFoundError,
)
from engine.ports import CaseStore, CaseTransaction
from engine.records import (
    AuditEntry,
    AuditFilter,
    Case,
    CaseFilter,
    Document,
    Party,
    User,
)
from engine.workflow.definition import WorkflowDefinition
from engine.workflow.registry import WorkflowRegistry

__all__ = [
    "AuditEntry",
    "AuditFilter",
    "BusinessCalendar",
    "CalendarSpec",
    "Case",
    "CaseEngine",
    "CaseFilter",
    "CaseNotFoundError",
    "CaseStore",
    "CaseTransaction",
    "CaseView",
    "Clock",
    "ConcurrentUpdateError",
    "DefinitionError",
    "Document",
    "DuplicateError",
    "EngineError",
    "GuardRejectedError",
    "InvalidDataError",
    "InvalidInputError",
    "InvalidTimeError",
    "Party",
    "RoleNotAllowedError",
    "SchemaError",
    "StorageError",
    "SystemClock",
    "TransitionNotAllowedError",
    "User",
    "UserNotFoundError",
    "WorkflowDefinition",
    "WorkflowNotFoundError",
    "WorkflowRegistry",
    "is_overdue",
    "local_date",
]
