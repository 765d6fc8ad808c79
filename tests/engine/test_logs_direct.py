"""structlog's lines rendered in structlog's own chain give the same line as
they gave through stdlib logging's `ProcessorFormatter` (engine.logs).

Both paths write into one stream: `stdlib_routed` sends a structlog event the
old way (through the root handler `configure_logging` installs), the module's
own logger sends it directly. The lines must match but for the timestamp.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from engine.logs import (
    CPR_REPLACEMENT,
    PRE_CHAIN,
    SENSITIVE_REPLACEMENT,
    configure_logging,
)

NAME = "sagsflow.test.direct"
TOKEN = "sgf_0123456789ab_" + "s3cr3tS3cr3tS3cr3tS3cr3t"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    for handler in root.handlers:
        if handler not in saved_handlers:
            handler.close()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def stdlib_routed(name: str) -> Any:
    """A structlog logger sent the way sagsflow's lines went before: through
    the stdlib logger to the root handler's `ProcessorFormatter`."""
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            *PRE_CHAIN,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def _raise() -> None:
    person = "010190-1234"  # a local holding a CPR: never rendered
    raise LookupError(f"no person for {person} with {TOKEN}")


def _events(log: Any) -> None:
    with structlog.contextvars.bound_contextvars(request_id="r-1", case_id="2024-1"):
        log.info("case_chased", case="2024-0000001", rung="reminder_1", days=3)
        log.warning(
            "title", title="Klage fra 010190-1234", nested={"k": ["0101901234"]}
        )
        log.info("token pasted", note=f"Bearer {TOKEN}", token="raw", n=101901234)
        log.debug("filtered at INFO")
        log.error("fifty %s", "percent")
        log.info("%(who)s came", {"who": "somebody"})
    try:
        _raise()
    except LookupError:
        log.exception("lookup_failed", number=1001901234)
    log.critical("done", values=(1, "a"), when=None)


def _both(as_json: bool) -> tuple[list[str], list[str]]:
    stream = io.StringIO()
    configure_logging(json=as_json, level="INFO", stream=stream)
    _events(stdlib_routed(NAME))
    old = stream.getvalue()
    stream.seek(0)
    stream.truncate()
    _events(structlog.get_logger(NAME))
    return old.splitlines(), stream.getvalue().splitlines()


def _unstamped(lines: list[str]) -> list[str]:
    return [STAMP.sub("<time>", line) for line in lines]


def test_json_lines_are_the_same_on_both_paths() -> None:
    old, new = _both(as_json=True)
    assert len(old) == 7
    assert _unstamped(new) == _unstamped(old)
    records = [json.loads(line) for line in new]
    keys = list(records[0])
    assert keys[:4] == ["case", "rung", "days", "event"]
    assert set(keys[4:6]) == {"request_id", "case_id"}  # the context's own order
    assert keys[6:] == ["level", "logger", "timestamp"]
    assert {r["logger"] for r in records} == {NAME}
    assert [r["level"] for r in records] == [
        *("info", "warning", "info", "error", "info", "error", "critical")
    ]
    assert records[1]["title"] == f"Klage fra {CPR_REPLACEMENT}"
    assert records[2]["token"] == SENSITIVE_REPLACEMENT
    assert records[2]["n"] == CPR_REPLACEMENT
    assert [r["event"] for r in records[3:5]] == ["fifty percent", "somebody came"]
    (raised,) = records[5]["exception"]
    assert raised["exc_type"] == "LookupError"
    assert raised["exc_value"] == (
        f"no person for {CPR_REPLACEMENT} with sgf_0123456789ab_{SENSITIVE_REPLACEMENT}"
    )
    text = "\n".join(new)
    for secret in ("010190", "0101901234", "s3cr3tS3cr3t", '"raw"'):
        assert secret not in text


def test_console_lines_are_the_same_on_both_paths() -> None:
    old, new = _both(as_json=False)
    assert _unstamped(new) == _unstamped(old)
    text = "\n".join(new)
    assert "Traceback (most recent call last):" in text
    assert f"LookupError: no person for {CPR_REPLACEMENT}" in text
    assert "010190" not in text


def test_a_write_that_fails_drops_the_record_with_one_notice(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    stream.close()
    structlog.get_logger(NAME).info("010190-1234", title="0101901234")
    err = capsys.readouterr().err
    assert err.count("sagsflow logging error: ValueError") == 1
    assert repr(NAME) in err
    assert "0101901234" not in err
    assert "010190-1234" not in err


def test_a_cached_logger_follows_a_new_configuration() -> None:
    structlog.configure(cache_logger_on_first_use=True)
    first, second = io.StringIO(), io.StringIO()
    configure_logging(json=True, level="INFO", stream=first)
    log = structlog.get_logger(NAME)
    log.info("one")
    configure_logging(json=False, level="WARNING", stream=second)
    log.info("filtered")
    log.warning("two")
    assert [json.loads(line)["event"] for line in first.getvalue().splitlines()] == [
        "one"
    ]
    (line,) = second.getvalue().splitlines()
    assert "two" in line
    assert not line.startswith("{")


def test_nothing_is_written_once_the_handler_is_gone() -> None:
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    log = structlog.get_logger(NAME)
    log.info("kept")
    root = logging.getLogger()
    root.handlers[:] = [
        h for h in root.handlers if getattr(h, "stream", 0) is not stream
    ]
    log.info("dropped")
    assert [json.loads(line)["event"] for line in stream.getvalue().splitlines()] == [
        "kept"
    ]
