"""The composition root: settings in, a wired `CaseEngine` out.

The only place that knows every package: it loads the workflow files, the office
calendar and the database, and hands them to the engine by injection.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import Engine

from engine.cases.engine import CaseEngine
from engine.cases.letters import LetterFacts, LetterSources
from engine.cases.renditions import Renditions
from engine.chasing.chaser import Chaser, ChaseSettings
from engine.chasing.dispatcher import Dispatcher
from engine.clock import Clock, SystemClock
from engine.dates.calendars import BusinessCalendar, CalendarSpec
from engine.exceptions import DefinitionError, InvalidInputError, SchemaError
from engine.logs import configure_logging
from engine.ports import CaseStore
from engine.records import Content
from engine.workflow.registry import WorkflowRegistry
from service.settings import Settings
from storage import SqlCaseStore, check_schema, create_db_engine
from storage.database import sqlite_path
from workflows import bundled_paths


def setup_logging(settings: Settings) -> None:
    if settings.log_format not in ("json", "console"):
        raise InvalidInputError(
            "SAGSFLOW_LOG_FORMAT must be 'json' or 'console', "
            f"not {settings.log_format!r}"
        )
    try:
        configure_logging(json=settings.log_format == "json", level=settings.log_level)
    except ValueError as exc:
        raise InvalidInputError(f"SAGSFLOW_LOG_LEVEL: {exc}") from None


def workflow_files(settings: Settings) -> list[Path]:
    """The bundled workflow files plus the office's own."""
    files = list(bundled_paths())
    for path in settings.workflow_paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")))
        elif path.is_file():
            files.append(path)
        else:
            raise DefinitionError(
                str(path), [f"{path}: no such workflow file or folder"]
            )
    return files


def load_registry(settings: Settings, *, letters: bool = True) -> WorkflowRegistry:
    """The workflows, with (`letters`) their letter templates rendered once
    against sample values and the office file read: either refused here, with
    file and line. Without, the templates are checked when the engine first
    writes a letter (`build_engine`), so a command that writes none (`case
    show`) never loads the letters' machinery."""
    registry = WorkflowRegistry.from_paths(workflow_files(settings))
    if letters:
        from service.letter_preview import check_letters

        check_letters(settings, registry)
    return registry


def load_calendar(settings: Settings) -> BusinessCalendar:
    """The office calendar from `SAGSFLOW_CALENDAR`, else the Danish default."""
    path = settings.calendar_file
    if path is None:
        return BusinessCalendar()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return BusinessCalendar(CalendarSpec.from_mapping(raw, source=path.name))
    except OSError as exc:
        raise InvalidInputError(f"calendar file {path}: {exc.strerror}") from None
    except (yaml.YAMLError, ValueError) as exc:
        raise InvalidInputError(f"calendar file {path}: {exc}") from None


def open_store(settings: Settings) -> SqlCaseStore:
    """The store on an initialised database (never creates one).

    Raises:
        SchemaError: no database, or one without the current schema.
        StorageError: the database cannot be opened.
    """
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        raise SchemaError(f"no database at {path}: run 'sagsflow init' first")
    db = database(settings)
    try:
        check_schema(db)
    except Exception:
        db.dispose()  # refused: its connection closed now, not by the collector
        raise
    return SqlCaseStore(db, content_dir=settings.document_dir)


def database(settings: Settings, *, create: bool = False) -> Engine:
    """The database engine the settings name (nothing is opened yet)."""
    if settings.db_pool_size < 1:
        raise InvalidInputError(
            "SAGSFLOW_DB_POOL_SIZE must be a whole number of connections >= 1"
        )
    try:
        return create_db_engine(
            settings.database_url,
            synchronous=settings.sqlite_synchronous,
            pool_size=settings.db_pool_size,
            create=create,
        )
    except ValueError as exc:
        raise InvalidInputError(f"SAGSFLOW_SQLITE_SYNCHRONOUS: {exc}") from None


def build_engine(
    settings: Settings, *, clock: Clock | None = None, store: CaseStore | None = None
) -> CaseEngine:
    """The case engine on `store` (by default the database the settings name)."""
    registry = load_registry(settings, letters=False)
    return CaseEngine(
        store=store or open_store(settings),
        registry=registry,
        clock=clock or SystemClock(),
        calendar=load_calendar(settings),
        note_text=True,  # a note's text is its content (README: Documents' content)
        letters=_FirstUse(settings, registry),
        language=settings.language,  # the default documents' titles, in words
    )


def letter_sources(settings: Settings) -> LetterSources:
    """The office's letters, written with the steps that journalise them."""
    from service.renditions import HtmlLetterSources

    return HtmlLetterSources(settings)


class _FirstUse:
    """The office's letters, made (and every template checked, as
    `load_registry` checks them) when a step first writes one."""

    def __init__(self, settings: Settings, registry: WorkflowRegistry) -> None:
        self._settings = settings
        self._registry = registry
        self._made: LetterSources | None = None

    def _sources(self) -> LetterSources:
        if self._made is None:
            from service.letter_preview import check_letters

            check_letters(self._settings, self._registry)
            self._made = letter_sources(self._settings)
        return self._made

    def pinned(self) -> LetterSources:
        return self._sources().pinned()

    def source(self, facts: LetterFacts) -> Content | None:
        return self._sources().source(facts)


def build_renditions(settings: Settings, engine: CaseEngine) -> Renditions:
    """Renders the letters the steps journalised (README: Letters)."""
    from service.renditions import PdfRenderer

    return Renditions(
        store=engine.store,
        clock=engine.clock,
        rules=engine.rules,
        renderer=PdfRenderer(settings),
    )


def build_chaser(settings: Settings, engine: CaseEngine) -> Chaser:
    """The chaser, writing letters from the office's and the bundled templates."""
    from service.letters import JinjaLetters, bundled_folder

    if settings.webhook_url and not settings.webhook_secret:
        raise InvalidInputError(
            "SAGSFLOW_WEBHOOK_URL is set but SAGSFLOW_WEBHOOK_SECRET is not: "
            "webhooks are always signed"
        )
    if settings.language not in ("da", "en"):
        raise InvalidInputError(
            f"SAGSFLOW_LANGUAGE must be 'da' or 'en', not {settings.language!r}"
        )
    letters = JinjaLetters(folders=[*settings.template_paths, bundled_folder()])
    quiet = _quiet_hours(settings.quiet_hours)
    return Chaser(
        store=engine.store,
        clock=engine.clock,
        calendar=engine.calendar,
        rules=engine.rules,
        letters=letters,
        sources=letter_sources(settings),
        settings=ChaseSettings(
            working_days_only=not settings.sweep_closed_days,
            language=settings.language,
            office=settings.office,
            webhook_url=settings.webhook_url,
            quiet_hours=quiet,
        ),
    )


def _quiet_hours(text: str) -> tuple[int, int]:
    if text in ("none", "off", ""):
        return (0, 0)
    start, sep, end = text.partition("-")
    try:
        hours = (int(start), int(end))
    except ValueError:
        hours = (-1, -1)
    if not sep or not (0 <= hours[0] < hours[1] <= 24):
        raise InvalidInputError(
            f"SAGSFLOW_QUIET_HOURS must be START-END in local hours (e.g. 2-3) "
            f"or 'none', not {text!r}"
        )
    return hours


def build_dispatcher(settings: Settings, engine: CaseEngine) -> Dispatcher:
    """The dispatcher over the channels the settings configure."""
    from service.channels import build_channels

    try:
        channels = build_channels(
            smtp_url=settings.smtp_url,
            mail_from=settings.mail_from,
            webhook_secret=settings.webhook_secret,
            renditions=build_renditions(settings, engine),
        )
    except ValueError as exc:
        raise InvalidInputError(f"mail settings: {exc}") from None
    if settings.outbox_lease_seconds < 1:
        raise InvalidInputError(
            "SAGSFLOW_OUTBOX_LEASE_SECONDS must be a whole number of seconds >= 1"
        )
    return Dispatcher(
        store=engine.store,
        clock=engine.clock,
        channels=channels,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
    )
