"""The W1 floor: the plain `sqlite3` module doing sagsflow's writes, no engine.

The same schema (Alembic's), the same writes: update the case row, insert
the audit row, and insert the document row on the three steps whose letter
the workflow journals; the opening also bumps the case sequence and inserts
the case row. Statements are reused from sqlite3's cache, one `BEGIN
IMMEDIATE ... COMMIT` per step, the same pragmas as sagsflow's.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.peers.lifecycle import (
    LETTERS,
    NOW,
    OPENED_AT,
    STATES,
    STEPS,
    WARM_UP,
    WORKFLOW,
)
from storage import create_db_engine, upgrade_schema

_OPEN_SEQ = "INSERT OR IGNORE INTO case_sequence (year, last) VALUES (?, 0)"
_NEXT_SEQ = "UPDATE case_sequence SET last = last + 1 WHERE year = ? RETURNING last"
_INSERT_CASE = (
    "INSERT INTO wf_case (number, workflow, workflow_version, title, state, version,"
    " parties, data, due, calendar, chase_position, state_entered_at, opened_at,"
    " last_event_at, updated_at, documents_count, chase_due, state_entry_seq,"
    " audit_head) VALUES (?, ?, 1, ?, ?, 1, '[]', '{}', NULL, NULL, 0, ?, ?, ?, ?,"
    " 0, NULL, 1, ?)"
)
_UPDATE_CASE = (
    "UPDATE wf_case SET state = ?, version = ?, data = ?, due = ?, calendar = ?,"
    " chase_position = 0, chase_due = ?, state_entry_seq = ?, state_entered_at = ?,"
    " last_event_at = ?, updated_at = ?, documents_count = ?, audit_head = ?"
    " WHERE id = ? AND version = ?"
)
_INSERT_DOCUMENT = (
    "INSERT INTO document (case_id, seq, number, title, direction, date,"
    " recorded_at, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_AUDIT = (
    "INSERT INTO audit_entry (case_id, case_number, seq, event, from_state,"
    " to_state, actor, role, at, recorded_at, data, due_before, due_after,"
    " calendar, workflow, workflow_version, document, prev_hash, hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, 1, ?, ?, ?)"
)


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC)
        .replace(tzinfo=None)
        .isoformat(sep=" ", timespec="microseconds")
    )


def _hash(prev: str, payload: str) -> str:
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def run(workdir: Path, n: int, synchronous: str) -> float:
    db = create_db_engine(f"sqlite:///{workdir / 'floor.db'}")
    upgrade_schema(db)  # the same schema, indexes and triggers as sagsflow's
    db.dispose()
    conn = sqlite3.connect(workdir / "floor.db", isolation_level=None)
    for pragma in (
        "busy_timeout=30000",
        f"synchronous={synchronous}",
        "foreign_keys=ON",
    ):
        conn.execute(f"PRAGMA {pragma}")
    now = _iso(NOW)
    year = OPENED_AT.year
    opened = _iso(OPENED_AT)
    steps = [
        (
            name,
            actor,
            "advisor" if actor == "bra" else "caseworker",
            _iso(at),
            at.date().isoformat(),
            data,
            letter,
        )
        for (name, actor, at, data), letter in zip(STEPS, LETTERS, strict=True)
    ]
    try:
        start = time.perf_counter()
        for i in range(-WARM_UP, n):
            if i == 0:  # the warm-up's cases are done
                start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_OPEN_SEQ, (year,))
            (last,) = conn.execute(_NEXT_SEQ, (year,)).fetchone()
            number = f"{year}-{last:07d}"
            head = _hash("", number)
            case_id = conn.execute(
                _INSERT_CASE,
                (
                    number,
                    WORKFLOW,
                    f"Inquiry {i}",
                    STATES[0],
                    opened,
                    opened,
                    opened,
                    now,
                    head,
                ),
            ).lastrowid
            conn.execute(
                _INSERT_AUDIT,
                (
                    case_id,
                    number,
                    1,
                    "open",
                    None,
                    STATES[0],
                    "bra",
                    "advisor",
                    opened,
                    now,
                    "{}",
                    WORKFLOW,
                    None,
                    "0" * 64,
                    head,
                ),
            )
            conn.execute("COMMIT")
            documents = 0
            for seq, (name, actor, role, at, day, data, letter) in enumerate(
                steps, start=2
            ):
                payload = json.dumps(data)
                prev, head = head, _hash(head, payload)
                conn.execute("BEGIN IMMEDIATE")
                document = None
                if letter is not None:
                    documents += 1
                    document = f"{number}-{documents}"
                    conn.execute(
                        _INSERT_DOCUMENT,
                        (case_id, documents, document, *letter, day, now, seq),
                    )
                conn.execute(
                    _UPDATE_CASE,
                    (
                        STATES[seq - 1],
                        seq,
                        payload,
                        None,
                        None,
                        None,
                        seq,
                        at,
                        at,
                        now,
                        documents,
                        head,
                        case_id,
                        seq - 1,
                    ),
                )
                conn.execute(
                    _INSERT_AUDIT,
                    (
                        case_id,
                        number,
                        seq,
                        name,
                        STATES[seq - 2],
                        STATES[seq - 1],
                        actor,
                        role,
                        at,
                        now,
                        payload,
                        WORKFLOW,
                        document,
                        prev,
                        head,
                    ),
                )
                conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()
