"""sagsflow's engine: declared workflows, the legal calendar, audited transitions.

The engine knows nothing of databases or web frameworks: it defines the store
protocol (`engine.ports`) and receives an implementation, workflow definitions,
a clock and a calendar by injection.

Importing `engine` costs nothing: each name below is imported from its module
when first used (PEP 562), so a command that needs only the exceptions does
not load the case engine, the calendar and the workflow reader with them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE: dict[str, str] = {
    "AuditEntry": "engine.records",
    "AuditFilter": "engine.records",
    "BusinessCalendar": "engine.dates.calendars",
    "CalendarSpec": "engine.dates.calendars",
    "Case": "engine.records",
    "CaseEngine": "engine.cases.engine",
    "CaseFilter": "engine.records",
    "CaseNotFoundError": "engine.exceptions",
    "CaseStore": "engine.ports",
    "CaseTransaction": "engine.ports",
    "CaseView": "engine.cases.view",
    "ChaseSettings": "engine.chasing.chaser",
    "Chaser": "engine.chasing.chaser",
    "Clock": "engine.clock",
    "ConcurrentUpdateError": "engine.exceptions",
    "ConflictError": "engine.exceptions",
    "DefinitionError": "engine.exceptions",
    "DeliveryError": "engine.exceptions",
    "Dispatcher": "engine.chasing.dispatcher",
    "Document": "engine.records",
    "DuplicateError": "engine.exceptions",
    "EngineError": "engine.exceptions",
    "GuardRejectedError": "engine.exceptions",
    "InvalidDataError": "engine.exceptions",
    "InvalidInputError": "engine.exceptions",
    "InvalidTimeError": "engine.exceptions",
    "NotAllowedError": "engine.exceptions",
    "NotFoundError": "engine.exceptions",
    "Party": "engine.records",
    "RoleNotAllowedError": "engine.exceptions",
    "RuleBook": "engine.cases.rules",
    "SchemaError": "engine.exceptions",
    "StorageError": "engine.exceptions",
    "Store": "engine.ports",
    "SystemClock": "engine.clock",
    "TransitionNotAllowedError": "engine.exceptions",
    "User": "engine.records",
    "UserNotFoundError": "engine.exceptions",
    "WorkflowDefinition": "engine.workflow.definition",
    "WorkflowNotFoundError": "engine.exceptions",
    "WorkflowRegistry": "engine.workflow.registry",
    "is_overdue": "engine.dates.calendars",
    "local_date": "engine.dates.calendars",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(import_module(where), name)
    globals()[name] = value
    return value


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
