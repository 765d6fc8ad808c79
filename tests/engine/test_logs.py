"""Tests for engine.logs: CPR redaction and the logging configuration.

Output is rendered for real (through `configure_logging` into a StringIO), not
captured with `structlog.testing.capture_logs`, which skips the processors.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import string
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, NamedTuple

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cases.engine import CaseEngine
from engine.logs import (
    CPR_PATTERN,
    CPR_REPLACEMENT,
    SENSITIVE_KEYS,
    SENSITIVE_REPLACEMENT,
    configure_logging,
    contains_cpr,
    redact_cpr,
    redact_text,
)

# A library logger nothing in sagsflow configures (sqlalchemy sets its own level on
# import; the scheduler quiets "apscheduler" once a service has run in-process).
STDLIB_LOGGER = "some_library.module"
TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"  # token_urlsafe's


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    foreign = logging.getLogger(STDLIB_LOGGER)  # a fileConfig may disable it
    saved_foreign = (foreign.level, foreign.disabled, foreign.propagate)
    foreign.setLevel(logging.NOTSET)
    foreign.disabled, foreign.propagate = False, True
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
    foreign.setLevel(saved_foreign[0])
    foreign.disabled, foreign.propagate = saved_foreign[1], saved_foreign[2]


def render(emit: Callable[[Any], None], *, as_json: bool, level: str = "DEBUG") -> str:
    """Configure logging into a fresh buffer, run `emit(logger)`, return output."""
    stream = io.StringIO()
    configure_logging(json=as_json, level=level, stream=stream)
    emit(structlog.get_logger("sagsflow.test"))
    return stream.getvalue()


def json_lines(output: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in output.splitlines()]
    assert all(isinstance(record, dict) for record in records)
    return records


class Cpr(NamedTuple):
    text: str  # as written, with its separator
    digits: str  # the ten digits alone


cprs = st.builds(
    lambda day, serial, sep: Cpr(
        f"{day:%d%m%y}{sep}{serial:04d}", f"{day:%d%m%y}{serial:04d}"
    ),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=9999),
    st.sampled_from(["-", " ", ""]),
)
# Free text around an embedded number: anything but ASCII digits, so the
# number keeps its boundaries and no other CPR-shaped run can arise.
prose = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="0123456789"),
    max_size=20,
)


def _raise_with(message: str) -> None:
    person = message  # a local holding the CPR: must never be rendered
    raise LookupError(f"no person for {person}")


def _emit_exception(log: Any, text: str) -> None:
    try:
        _raise_with(text)
    except LookupError:
        log.exception("lookup failed")


def _emit_stdlib_exception(_log: Any, text: str) -> None:
    try:
        _raise_with(text)
    except LookupError:
        logging.getLogger(STDLIB_LOGGER).exception("query failed")


PLACEMENTS: dict[str, Callable[[Any, str], None]] = {
    "event": lambda log, text: log.info(text),
    "value": lambda log, text: log.info("note", note=text),
    "nested": lambda log, text: log.warning(
        "payload", payload={"rows": [["x", text]], "pair": (1, text)}
    ),
    "dict_key": lambda log, text: log.info("keys", payload={text: "value"}),
    "exception": _emit_exception,
    "stdlib": lambda _log, text: logging.getLogger(STDLIB_LOGGER).warning(
        "row for %s", text
    ),
    "stdlib_exception": _emit_stdlib_exception,
}


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cpr=cprs, before=prose, after=prose)
def test_cpr_never_reaches_output(
    as_json: bool, placement: str, cpr: Cpr, before: str, after: str
) -> None:
    text = before + cpr.text + after
    output = render(lambda log: PLACEMENTS[placement](log, text), as_json=as_json)
    assert cpr.text not in output
    assert cpr.digits not in output
    assert CPR_REPLACEMENT in output
    if as_json:
        assert json_lines(output)


tokens = st.builds(
    lambda token_id, secret: (f"sgf_{token_id}_", secret),
    st.text(alphabet="0123456789abcdef", min_size=12, max_size=12),
    st.text(alphabet=TOKEN_ALPHABET, min_size=16, max_size=43),
)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
@pytest.mark.parametrize("placement", sorted(PLACEMENTS))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=tokens, before=st.sampled_from(["", "Bearer ", "token=", "x:"]))
def test_an_api_token_s_secret_never_reaches_output(
    as_json: bool, placement: str, token: tuple[str, str], before: str
) -> None:
    public, secret = token
    text = f"{before}{public}{secret} pasted"
    output = render(lambda log: PLACEMENTS[placement](log, text), as_json=as_json)
    assert secret not in output.replace(public, "")  # the id may repeat its digits
    assert f"_{SENSITIVE_REPLACEMENT} pasted" in output  # (an id may look like a CPR)


def test_a_real_token_loses_its_secret_and_keeps_its_id() -> None:
    text = f"sgf_0123456789ab_{secrets.token_urlsafe(32)}"
    result = redact_cpr(None, "info", {"event": "e", "v": f"title {text}"})["v"]
    assert result == f"title sgf_0123456789ab_{SENSITIVE_REPLACEMENT}"
    assert redact_cpr(None, "info", {"event": "e", "v": ("sgf_", 1)})["v"] == (
        "sgf_",
        1,
    )


@given(cpr=cprs, before=prose, after=prose)
def test_contains_cpr_finds_embedded_numbers(cpr: Cpr, before: str, after: str) -> None:
    assert contains_cpr(before + cpr.text + after)
    assert redact_text(before + cpr.text + after) == before + CPR_REPLACEMENT + after


@given(st.one_of(st.text(), st.text(alphabet="0123456789- x")))
def test_redacted_text_holds_no_cpr(text: str) -> None:
    redacted = redact_text(text)
    assert not contains_cpr(redacted)
    assert redact_text(redacted) == redacted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("010190-1234", True),
        ("0101901234", True),
        ("010190 1234", True),
        ("311299-9999", True),
        ("290200-0000", True),
        ("Klage fra 310101-0001 vedr. parkering", True),
        ("cpr:0101901234.", True),
        ("(010190-1234)", True),
        ("", False),
        ("Klage over parkering", False),
        ("010190--1234", False),
        ("010190  1234", False),
        ("010190\t1234", False),
        ("01019-01234", False),
        ("10101901234", False),
        ("01019012345", False),
        ("000190-1234", False),
        ("010090-1234", False),
    ],
)
def test_contains_cpr(text: str, expected: bool) -> None:
    assert contains_cpr(text) is expected
    assert (CPR_PATTERN.search(text) is not None) is expected


NOT_CPR = [
    "2024-0283489",
    "2024-0283489-8",
    "2024-11-10T09:00:00+01:00",
    "2024-11-10",
    "33663366",
    "+45 33 66 33 66",
    "5798009809489",
    "20240101-0001",
    "320190-1234",
    "011390-1234",
    "000190-1234",
    "010090-1234",
]


@pytest.mark.parametrize("text", NOT_CPR)
@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
def test_not_redacted(text: str, as_json: bool) -> None:
    assert not contains_cpr(text)
    assert redact_text(text) == text
    output = render(lambda log: log.info(text, value=text), as_json=as_json)
    assert CPR_REPLACEMENT not in output
    if as_json:
        (record,) = json_lines(output)
        assert record["event"] == text
        assert record["value"] == text


@pytest.mark.parametrize(
    ("value", "redacted"),
    [
        (1001901234, True),
        (-1001901234, True),
        (101901234, True),  # 010190-1234 stored as an int loses its leading zero
        (3112999999, True),
        (3201901234, False),  # day 32
        (1013901234, False),  # month 13
        (33663366, False),
        (5798009809489, False),
        (10019012345, False),
        (True, False),
        (None, False),
        (1001901234.0, True),  # floats are checked through their repr
    ],
)
def test_numbers(value: object, redacted: bool) -> None:
    result = redact_cpr(None, "info", {"event": "e", "n": value})["n"]
    if redacted:
        assert isinstance(result, str)
        assert result.startswith(CPR_REPLACEMENT)
    else:
        assert result is value


class Pair(NamedTuple):
    left: str
    right: str


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (("a", "010190-1234"), ("a", CPR_REPLACEMENT)),
        (Pair("a", "0101901234"), Pair("a", CPR_REPLACEMENT)),
        ([{"x": ["010190 1234"]}], [{"x": [CPR_REPLACEMENT]}]),
        ({"0101901234": 1}, {CPR_REPLACEMENT: 1}),
        ({"010190-1234"}, "{'[CPR-REDACTED]'}"),
        (b"0101901234", "b'[CPR-REDACTED]'"),
        (date(2024, 11, 10), date(2024, 11, 10)),
    ],
)
def test_structures(value: object, expected: object) -> None:
    result = redact_cpr(None, "info", {"event": "e", "v": value})["v"]
    assert result == expected
    assert type(result) is type(expected)


def test_deep_nesting_is_still_scrubbed() -> None:
    value: Any = "0101901234"
    for _ in range(50):
        value = [value]
    result = redact_cpr(None, "info", {"event": "e", "v": value})
    assert "0101901234" not in repr(result)


def test_sensitive_keys_set() -> None:
    assert {
        "cpr",
        "cpr_nr",
        "cprnr",
        "personnummer",
        "ssn",
        "national_id",
        "token",
        "password",
        "authorization",
    } == SENSITIVE_KEYS


@pytest.mark.parametrize(
    "key", ["cpr", "CPR", "Cpr_Nr", "cpr-nr", "CPRNR", "Password", "Authorization"]
)
def test_sensitive_keys_redacted(key: str) -> None:
    output = render(
        lambda log: log.info("login", **{key: "hemmelig"}, headers={key: 42}),
        as_json=True,
    )
    (record,) = json_lines(output)
    assert record[key] == SENSITIVE_REPLACEMENT
    assert record["headers"] == {key: SENSITIVE_REPLACEMENT}
    assert "hemmelig" not in output


def test_redact_cpr_keeps_input_and_meta_keys() -> None:
    record = logging.LogRecord("x", logging.INFO, "p", 1, "010190-1234", None, None)
    event = {"event": "010190-1234", "_record": record, "_from_structlog": False}
    result = redact_cpr(None, "info", event)
    assert result["event"] == CPR_REPLACEMENT
    assert result["_record"] is record
    assert result["_from_structlog"] is False
    assert event["event"] == "010190-1234"


def test_exception_rendered_without_locals_or_cpr() -> None:
    output = render(lambda log: _emit_exception(log, "311299-9999"), as_json=True)
    (record,) = json_lines(output)
    (exception,) = record["exception"]
    assert exception["exc_type"] == "LookupError"
    assert exception["exc_value"] == f"no person for {CPR_REPLACEMENT}"
    assert exception["frames"]
    assert all("locals" not in frame for frame in exception["frames"])
    assert "locals" not in output
    assert "311299" not in output


def test_console_exception_is_a_plain_traceback() -> None:
    output = render(lambda log: _emit_exception(log, "311299-9999"), as_json=False)
    assert "Traceback (most recent call last):" in output
    assert f"LookupError: no person for {CPR_REPLACEMENT}" in output
    assert "311299" not in output


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "console"])
def test_bound_contextvars_appear(as_json: bool) -> None:
    def emit(log: Any) -> None:
        with structlog.contextvars.bound_contextvars(case_id="2024-0283489"):
            log.info("opened")
            logging.getLogger(STDLIB_LOGGER).info("query")
        log.info("after")

    output = render(emit, as_json=as_json)
    lines = output.splitlines()
    assert len(lines) == 3
    assert all("2024-0283489" in line for line in lines[:2])
    assert "2024-0283489" not in lines[2]
    if as_json:
        records = json_lines(output)
        assert [r.get("case_id") for r in records] == ["2024-0283489"] * 2 + [None]
        assert [r["logger"] for r in records] == [
            "sagsflow.test",
            STDLIB_LOGGER,
            "sagsflow.test",
        ]


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("DEBUG", ["debug", "info", "warning", "error"]),
        ("INFO", ["info", "warning", "error"]),
        ("warning", ["warning", "error"]),
        (" Error ", ["error"]),
    ],
)
def test_level_filter(level: str, expected: list[str]) -> None:
    def emit(log: Any) -> None:
        log.debug("d")
        log.info("i")
        logging.getLogger(STDLIB_LOGGER).warning("w")
        log.error("e")

    records = json_lines(render(emit, as_json=True, level=level))
    assert [r["level"] for r in records] == expected


@pytest.mark.parametrize("level", ["LOUD", "", "10", "verbose"])
def test_unknown_level_raises_and_changes_nothing(level: str) -> None:
    stream = io.StringIO()
    configure_logging(json=True, stream=stream)
    handlers = logging.getLogger().handlers[:]
    with pytest.raises(ValueError, match="unknown log level"):
        configure_logging(json=False, level=level, stream=io.StringIO())
    assert logging.getLogger().handlers == handlers
    structlog.get_logger().info("still here")
    assert json_lines(stream.getvalue())[0]["event"] == "still here"


def test_configure_twice_leaves_one_handler() -> None:
    root = logging.getLogger()
    before = len(root.handlers)
    first, second = io.StringIO(), io.StringIO()
    configure_logging(json=True, stream=first)
    configure_logging(json=False, stream=second)
    assert len(root.handlers) == before + 1
    formatters = [
        h.formatter
        for h in root.handlers
        if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    assert len(formatters) == 1
    structlog.get_logger().info("once")
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1


def test_default_stream_is_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True)
    structlog.get_logger().info("to stderr")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert json_lines(captured.err)[0]["event"] == "to stderr"


class _Unrepresentable:
    def __repr__(self) -> str:
        raise RuntimeError("repr of 010190-1234 failed")


def test_unrenderable_record_is_dropped_without_leaking(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest's own capture handler re-raises the repr error; keep only ours.
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    output = render(
        lambda log: log.info("010190-1234", bad=_Unrepresentable()), as_json=True
    )
    assert output == ""
    err = capsys.readouterr().err
    assert "logging error" in err
    assert "RuntimeError" in err
    assert "010190" not in err


@pytest.mark.parametrize(("level", "written"), [("DEBUG", True), ("INFO", False)])
def test_a_change_is_logged_at_debug_and_only_then(
    fast_engine: CaseEngine, level: str, written: bool
) -> None:
    """The engine skips building the line when DEBUG is off (bench W1)."""
    stream = io.StringIO()
    configure_logging(json=True, level=level, stream=stream)
    view = fast_engine.open_case("ombudsman-inquiry", actor="bra", title="Klage")
    fast_engine.fire(view.case.number, "send_inquiry", actor="jur")
    events = [r["event"] for r in json_lines(stream.getvalue())]
    expected = ["case_opened", "transition_applied"] if written else []
    assert events == expected
