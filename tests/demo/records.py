"""Reading a generated office back without the engine: tables, rungs due.

`really_overdue` is the test's own account of what a sweep must chase: it reads
the audit record (each case's last entry: its state and the deadline then in
force; the chase entries since the step that entered the state) and the
ladders straight from the workflow files, not the engine's `chase_due` column
or its sweep query.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, inspect, text

from workflows import bundled_paths

Snapshot = dict[str, list[tuple[Any, ...]]]
ENGINE_EVENTS = ("chase", "correction", "assign")  # they keep the state


# SQLite's search index (FTS5) keeps its words in segments laid out by the
# transactions that wrote them, which differ between the engine's path (one
# a step) and the bulk paths (one a batch); what it holds is compared through
# the index itself (`case_search`) and its `_content` and `_docsize` tables.
SEGMENTS = ("case_search_data", "case_search_idx")


def snapshot(url: str) -> Snapshot:
    """Every table's rows, sorted (plain SQLAlchemy, no sagsflow settings)."""
    db = create_engine(url)
    try:
        with db.connect() as conn:
            return {
                name: sorted(
                    (
                        tuple(row)
                        for row in conn.execute(text(f'SELECT * FROM "{name}"'))
                    ),
                    key=repr,
                )
                for name in sorted(inspect(conn).get_table_names())
                if name not in SEGMENTS
            }
    finally:
        db.dispose()


def ladders() -> Mapping[tuple[str, str], list[str]]:
    """(workflow, state) -> its rung names, from the bundled YAML files."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in bundled_paths():
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        for state, body in (spec.get("states") or {}).items():
            rungs = ((body or {}).get("chase") or {}).get("rungs") or []
            found[spec["name"], state] = [r["name"] for r in rungs]
    return found


def internal_events() -> Mapping[str, set[str]]:
    """workflow -> events that keep the state (and its deadline and ladder)."""
    found: dict[str, set[str]] = {}
    for path in bundled_paths():
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        found[spec["name"]] = {
            t["event"] for t in spec.get("transitions", []) if t.get("internal")
        }
    return found


def really_overdue(url: str, today: date) -> dict[str, str]:
    """Case number -> the rung a sweep on `today` must fire, from the record."""
    rungs = ladders()
    internal = internal_events()
    db = create_engine(url)
    try:
        with db.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT case_number, event, to_state, due_after, workflow "
                    "FROM audit_entry ORDER BY case_id, seq"
                )
            ).all()
    finally:
        db.dispose()
    by_case: dict[str, list[Any]] = {}
    for row in rows:
        by_case.setdefault(row[0], []).append(row)
    expected: dict[str, str] = {}
    for number, entries in by_case.items():
        *_, (_, _, state, due, workflow) = entries
        fired = 0
        for entry in reversed(entries):
            if entry[1] == "chase":
                fired += 1
            elif entry[1] not in internal[workflow] and entry[1] not in ENGINE_EVENTS:
                break  # the step that entered the state: the ladder starts here
        ladder = rungs.get((workflow, state), [])
        due_day = date.fromisoformat(str(due)[:10]) if due is not None else None
        if due_day is not None and due_day < today and fired < len(ladder):
            expected[number] = ladder[fired]
    return expected
