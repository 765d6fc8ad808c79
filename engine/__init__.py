"""sagsflow's engine: declared workflows, the legal calendar, audited transitions.

The engine knows nothing of databases or web frameworks: it defines the store
protocol (`engine.ports`) and receives an implementation, workflow definitions,
a clock and a calendar by injection.
"""

from __future__ import annotations

from engine.cases.engine import CaseEngine
from engine.cases.rules import RuleBook
from engine.cases.view import CaseView
from engine.chasing.chaser import Chaser, ChaseSettings
from engine.chasing.dispatcher import Dispatcher
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
    ConflictError,
    DefinitionError,
    DeliveryError,
    DuplicateError,
    EngineError,
    GuardRejectedError,
    InvalidDataError,
    InvalidInputError,
    InvalidTimeError,
    NotAllowedError,
    NotFoundError,
    RoleNotAllowedError,
    SchemaError,
    StorageError,
    TransitionNotAllowedError,
    UserNotFoundError,
    WorkflowNotFoundError,
)
from engine.ports import CaseStore, CaseTransaction, Store
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
    "ChaseSettings",
    "Chaser",
    "Clock",
    "ConcurrentUpdateError",
    "ConflictError",
    "DefinitionError",
    "DeliveryError",
    "Dispatcher",
    "Document",
    "DuplicateError",
    "EngineError",
    "GuardRejectedError",
    "InvalidDataError",
    "InvalidInputError",
    "InvalidTimeError",
    "NotAllowedError",
    "NotFoundError",
    "Party",
    "RoleNotAllowedError",
    "RuleBook",
    "SchemaError",
    "StorageError",
    "Store",
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
