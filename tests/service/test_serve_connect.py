"""`serve` waits for a database that is away, and reports one without a schema."""

from __future__ import annotations

import threading

import pytest
from structlog.testing import capture_logs

from engine.exceptions import SchemaError, StorageError
from service.serve import connect


def test_waits_for_the_database_to_come_back() -> None:
    attempts: list[int] = []

    def build() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise StorageError("connection refused")
        return "engine"

    with capture_logs() as logs:
        assert connect(build, stop=threading.Event(), first_wait=0.0) == "engine"
    assert [e["event"] for e in logs] == ["database_unavailable"] * 2


def test_a_database_without_the_schema_is_reported_at_once() -> None:
    def build() -> str:
        raise SchemaError("run 'sagsflow init' first")

    with pytest.raises(SchemaError):
        connect(build, stop=threading.Event(), first_wait=0.0)


def test_a_stop_while_waiting_gives_up_cleanly() -> None:
    stop = threading.Event()

    def build() -> str:
        stop.set()  # SIGTERM arrives while the database is away
        raise StorageError("connection refused")

    assert connect(build, stop=stop, first_wait=0.0) is None
