"""Logging setup for sagsflow, with CPR numbers scrubbed from every record.

`configure_logging` (called once by the composition root) renders structlog's
lines in structlog's own chain, written straight to the stream (a line through
stdlib logging cost three times as much: bench W2's chase), and stdlib loggers'
(sqlalchemy, apscheduler, alembic) through a root handler's `ProcessorFormatter`
with the same processors: both give the same line. `redact_cpr` runs last
before the renderer, after exception rendering, so CPR numbers in events,
values, exception messages and tracebacks are scrubbed.

Hazards:
    * Redaction is a safety net, not the control: domain code must not log CPR
      numbers, and audit rows refer to people by internal id.
    * The match is on date shape only (no modulus-11 check; numbers without it
      have been issued since 2007). Any 10-digit run that looks like DDMMYY plus
      four digits is redacted; that false positive is accepted. A number split
      across keys, written with other separators or non-ASCII digits is missed.
    * Ints of 9 or 10 digits are redacted when their zero-padded 10-digit form
      is CPR-shaped (a CPR with day 01-09 stored as an int loses its leading
      zero). Other non-string values are checked through their ``repr``, which
      is what the renderers print; a hit replaces the value by its scrubbed repr.
    * Never use ``structlog.processors.dict_tracebacks``: it shows locals, which
      are personal data and truncated, so a CPR can be split and escape.
    * A record that cannot be rendered or written is dropped with a one-line
      notice, on either path; the stdlib default would print the raw,
      unredacted event dict to stderr.
    * An API token pasted anywhere into a logged string (a title, an error
      message) keeps its public id and loses its secret. A token cut short or
      split across values is missed; the header and a `token` key never log.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import IO, Any

import structlog
from structlog.typing import Processor

CPR_PATTERN: re.Pattern[str] = re.compile(
    r"(?<![0-9])"
    r"(?:0[1-9]|[12][0-9]|3[01])"  # day 01-31
    r"(?:0[1-9]|1[0-2])"  # month 01-12
    r"[0-9]{2}[- ]?[0-9]{4}"  # any year, then '-', one space or nothing, serial
    r"(?![0-9])"
)
"""DDMMYY-SSSS by date shape only; no modulus-11 check, no ASCII digit either side."""

CPR_REPLACEMENT = "[CPR-REDACTED]"
SENSITIVE_REPLACEMENT = "[REDACTED]"

TOKEN_PATTERN: re.Pattern[str] = re.compile(r"(sgf_[0-9a-f]{12}_)[A-Za-z0-9_-]+")
"""An API token's text (service.api.tokens: `sgf_<id>_<secret>`); the id is public."""
_TOKEN_MARK = "sgf_"  # a plain substring test first: most strings hold no token

SENSITIVE_KEYS: frozenset[str] = frozenset(
    {"cpr", "cpr_nr", "cprnr", "personnummer", "ssn", "national_id"}  # identifiers
    | {"token", "password", "authorization"}  # credentials
)
"""Keys whose values are always replaced (matched case-insensitively, '-' as '_')."""

_META_KEYS = frozenset({"_record", "_from_structlog"})  # ProcessorFormatter's own
_MAX_DEPTH = 32  # deeper containers are checked through their repr
# One search finds whether a string needs either scrub: most strings need none.
_SUSPECT: re.Pattern[str] = re.compile(f"{CPR_PATTERN.pattern}|{_TOKEN_MARK}")
_SMALLEST_SUSPECT_INT = 10**8  # 9 digits: a CPR whose day lost its leading zero
# Keys recur (the same few names on every line): each one's scrubbed form, or
# None for a sensitive key, remembered up to a bound.
_KEYS: dict[str, str | None] = {}
_KEYS_KEPT = 4096


def contains_cpr(text: str) -> bool:
    """Return whether `text` (e.g. a case or document title) holds a CPR number."""
    return CPR_PATTERN.search(text) is not None


def redact_text(text: str) -> str:
    """Return `text` with every match of `CPR_PATTERN` replaced by `CPR_REPLACEMENT`."""
    return CPR_PATTERN.sub(CPR_REPLACEMENT, text)


def _redact_string(text: str) -> str:
    """`redact_text`, and an API token's secret replaced (its public id kept)."""
    if _SUSPECT.search(text) is None:
        return text
    if _TOKEN_MARK in text:
        text = TOKEN_PATTERN.sub(rf"\1{SENSITIVE_REPLACEMENT}", text)
    return redact_text(text)


def _is_sensitive(key: object) -> bool:
    if not isinstance(key, str):
        return False
    return key.strip().lower().replace("-", "_") in SENSITIVE_KEYS


def _int_is_cpr(number: int) -> bool:
    digits = str(abs(number))
    return len(digits) in (9, 10) and contains_cpr(digits.zfill(10))


def _scrub(value: object, depth: int) -> object:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _redact_string(value)
    if isinstance(value, int):
        if -_SMALLEST_SUSPECT_INT < value < _SMALLEST_SUSPECT_INT:
            return value
        return CPR_REPLACEMENT if _int_is_cpr(value) else value
    if depth < _MAX_DEPTH:
        if isinstance(value, dict):
            return _scrub_mapping(value, depth + 1, keep=frozenset())
        if isinstance(value, list):
            return [_scrub(item, depth + 1) for item in value]
        if isinstance(value, tuple):
            items = [_scrub(item, depth + 1) for item in value]
            make = getattr(type(value), "_make", None)  # namedtuple keeps its type
            return make(items) if callable(make) else tuple(items)
    try:
        text = repr(value)
    except Exception:  # the renderer will fail on it too, and drop the record
        return value
    if contains_cpr(text) or (_TOKEN_MARK in text and TOKEN_PATTERN.search(text)):
        return _redact_string(text)
    return value


def _scrub_mapping(
    mapping: Mapping[Any, Any], depth: int, keep: frozenset[str]
) -> dict[Any, Any]:
    clean: dict[Any, Any] = {}
    for key, value in mapping.items():
        if key in keep:
            clean[key] = value
        elif type(key) is str:
            scrubbed = _KEYS[key] if key in _KEYS else _str_key(key)
            if scrubbed is None:
                clean[key] = SENSITIVE_REPLACEMENT
            else:
                clean[scrubbed] = _scrub(value, depth)
        elif _is_sensitive(key):
            clean[key] = SENSITIVE_REPLACEMENT
        else:
            clean[_scrub(key, depth)] = _scrub(value, depth)
    return clean


def _str_key(key: str) -> str | None:
    """A key's scrubbed form, None if its value must be replaced; remembered."""
    scrubbed = None if _is_sensitive(key) else _redact_string(key)
    if len(_KEYS) < _KEYS_KEPT:
        _KEYS[key] = scrubbed
    return scrubbed


def redact_cpr(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Structlog processor that scrubs CPR numbers and sensitive keys.

    Strings (keys and values, the event name included) are scrubbed
    recursively through dicts, lists and tuples; values under `SENSITIVE_KEYS`
    become `SENSITIVE_REPLACEMENT`. ProcessorFormatter's meta keys pass through.

    Args:
        logger: The wrapped logger (unused).
        method_name: The log method name (unused).
        event_dict: The event dict; it is not modified.

    Returns:
        A new, scrubbed event dict.
    """
    return _scrub_mapping(event_dict, 0, keep=_META_KEYS)


def _drop_notice(name: str) -> None:
    """The one line said for a record that could not be rendered or written."""
    if logging.raiseExceptions:
        error = type(sys.exc_info()[1]).__name__
        sys.stderr.write(
            f"--- sagsflow logging error: {error}; record from logger "
            f"{redact_text(name)!r} dropped unprinted (personal data)\n"
        )


class _RedactingHandler(logging.StreamHandler[IO[str]]):
    """Marks the handler `configure_logging` installs; never leaks a bad record."""

    def handleError(self, record: logging.LogRecord) -> None:
        _drop_notice(record.name)


PRE_CHAIN: tuple[Processor, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),  # a stdlib record's `extra`; none on structlog's
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
)
"""What every record gets before it is rendered: a stdlib record in the
handler's `ProcessorFormatter`, a structlog event in structlog's own chain."""

# structlog's own chain. One list, refilled by every `configure_logging`: a module
# logger caches it on first use, and must render as the latest call says.
_CHAIN: list[Processor] = []


@dataclass(slots=True)
class _Output:
    """Where structlog's own loggers write, and from which level."""

    level: int = logging.INFO
    handler: _RedactingHandler | None = None  # its stream and lock, while installed


_OUTPUT = _Output()


class _Sink:
    """structlog's logger: writes a rendered line to the installed handler's
    stream, under its lock (a stdlib record's line never splits one), and
    nothing once that handler is gone (a test restored the root's)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name  # the stdlib logger's name the record would have had

    def write(self, line: str) -> None:
        handler = _OUTPUT.handler
        if handler is None or handler not in logging.root.handlers:
            return
        handler.acquire()
        try:
            handler.stream.write(line + handler.terminator)
            handler.flush()
        finally:
            handler.release()

    debug = info = warning = error = critical = exception = msg = write


# Names as the stdlib factory gives them: the caller's module unless one is given.
_NAMES = structlog.stdlib.LoggerFactory(ignore_frame_names=[__name__])


def _sink(*args: Any) -> _Sink:
    return _Sink(_NAMES(*args).name)


class _DirectLogger(structlog.BoundLoggerBase):
    """structlog's own bound logger, with `structlog.stdlib.BoundLogger`'s
    methods: filtered at the configured level (read at each call, so a cached
    logger follows a new configuration), positional arguments formatted as
    the stdlib's, and a record that fails to render or write dropped with a
    one-line notice, never printed raw."""

    def _emit(
        self, level: int, method: str, event: str | None, args: Any, kw: Any
    ) -> Any:
        if level < _OUTPUT.level:
            return None
        if args:
            kw["positional_args"] = args
        try:
            return self._proxy_to_logger(method, event, **kw)
        except Exception:
            _drop_notice(str(getattr(self._logger, "name", "?")))
            return None

    def debug(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        return self._emit(logging.DEBUG, "debug", event, args, kw)

    def info(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        return self._emit(logging.INFO, "info", event, args, kw)

    def warning(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        return self._emit(logging.WARNING, "warning", event, args, kw)

    warn = warning

    def error(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        return self._emit(logging.ERROR, "error", event, args, kw)

    def critical(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        return self._emit(logging.CRITICAL, "critical", event, args, kw)

    fatal = critical

    def exception(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        kw.setdefault("exc_info", True)
        return self._emit(logging.ERROR, "exception", event, args, kw)

    def log(self, level: int, event: str | None = None, *args: Any, **kw: Any) -> Any:
        name = logging.getLevelName(level).lower()
        return self._emit(level, name, event, args, kw)

    def is_enabled_for(self, level: int) -> bool:
        return level >= _OUTPUT.level

    def get_effective_level(self) -> int:
        return _OUTPUT.level


def _level_number(level: str) -> int:
    number = logging.getLevelNamesMapping().get(level.strip().upper())
    if number is None:
        raise ValueError(f"unknown log level name: {level!r}")
    return number


def configure_logging(
    *, json: bool, level: str = "INFO", stream: IO[str] | None = None
) -> None:
    """Configure structlog and the stdlib root logger to render alike.

    structlog's loggers (sagsflow's own lines) render in structlog's own chain
    and write to `stream` directly; stdlib loggers (sqlalchemy, apscheduler,
    uvicorn, alembic) go through a root handler's `ProcessorFormatter` with the
    same processors, so both give the same line. Calling it again replaces the
    handler it installed earlier (and the output of structlog's loggers, cached
    ones included); handlers added by others (e.g. pytest's) are left alone.

    Args:
        json: One JSON object per line if True, else a plain console format.
        level: Root level name, case-insensitive ("INFO", "warning", ...);
            structlog's loggers filter at the same level.
        stream: Where records go; `sys.stderr` (read at call time) if None.
            Stdout is the CLI's result channel and must not get logs.

    Raises:
        ValueError: If `level` is not a known level name. Nothing is changed.
    """
    level_number = _level_number(level)
    final: list[Processor]
    if json:
        final = [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            redact_cpr,
            structlog.processors.JSONRenderer(),
        ]
    else:
        final = [
            structlog.processors.format_exc_info,  # plain traceback, as a string
            redact_cpr,
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ]
    handler = _RedactingHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=PRE_CHAIN,
            processors=[
                *final[:-1],
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                final[-1],
            ],
        )
    )
    _CHAIN[:] = [
        *(p for p in PRE_CHAIN if not isinstance(p, structlog.stdlib.ExtraAdder)),
        structlog.stdlib.PositionalArgumentsFormatter(),
        *final,
    ]
    structlog.configure(
        processors=_CHAIN,
        logger_factory=_sink,
        wrapper_class=_DirectLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _RedactingHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level_number)
    _OUTPUT.level, _OUTPUT.handler = level_number, handler
