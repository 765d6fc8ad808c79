"""What the ORM peers share: their two SQLModel tables and the step loop.

Every peer (P1-P4) keeps its case in a `peer_case` row and writes one
`peer_audit` row per step, through a SQLModel `Session` opened per request
and committed once: the opening is one request, each later step another,
which loads the row, asks the peer's library to fire the event against it
(the library writes the new state, and P4 its serialized workflow, into the
row), bumps the version and adds the audit row. Only the library differs, so
the peers' ratios measure the libraries' way of holding a case's state.

The tables live in their own `MetaData`, apart from the application's, on a
fresh SQLite file in WAL mode at the `synchronous` under test.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import MetaData, event
from sqlmodel import Field, Session, SQLModel

from bench.peers.lifecycle import NOW, OPENED_AT, STEPS, WARM_UP


class PeerBase(SQLModel):
    """Own metadata: nothing joins the application's `SQLModel.metadata`."""

    metadata = MetaData()


class PeerCase(PeerBase, table=True):
    __tablename__ = "peer_case"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    title: str
    state: str
    version: int = 1
    outcome: str | None = None
    # P4 only: the workflow as SpiffWorkflow's serializer writes it.
    workflow: str | None = None
    updated_at: datetime


class PeerAudit(PeerBase, table=True):
    __tablename__ = "peer_audit"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="peer_case.id", index=True)
    seq: int
    event: str
    from_state: str | None
    to_state: str
    actor: str
    at: datetime
    recorded_at: datetime
    data: str


class Peer(Protocol):
    """A library's way of holding a case's state in its `peer_case` row."""

    def open(self, row: PeerCase) -> None:
        """Give a new case's row the library's initial state."""

    def fire(self, row: PeerCase, name: str) -> None:
        """Fire the event on the row's case; write the new state to the row."""


def orm_engine(path: Path, synchronous: str) -> sa.Engine:
    db = sa.create_engine(f"sqlite:///{path}")

    @event.listens_for(db, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        for pragma in (
            "journal_mode=WAL",
            f"synchronous={synchronous}",
            "foreign_keys=ON",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    PeerBase.metadata.create_all(db)
    return db


def run_peer(peer: Peer, path: Path, n: int, synchronous: str) -> float:
    """Drive n cases through the lifecycle; the seconds the steps took."""
    db = orm_engine(path, synchronous)
    now = NOW
    try:
        start = time.perf_counter()
        for i in range(-WARM_UP, n):
            if i == 0:  # the warm-up's cases are done
                start = time.perf_counter()
            with Session(db) as session:
                row = PeerCase(
                    number=f"N-{i}", title=f"Inquiry {i}", state="", updated_at=now
                )
                peer.open(row)
                session.add(row)
                session.flush()
                assert row.id is not None
                session.add(
                    PeerAudit(
                        case_id=row.id,
                        seq=1,
                        event="open",
                        from_state=None,
                        to_state=row.state,
                        actor="bra",
                        at=OPENED_AT,
                        recorded_at=now,
                        data="{}",
                    )
                )
                session.commit()
                case_id = row.id
            for name, actor, at, data in STEPS:
                with Session(db) as session:
                    loaded = session.get(PeerCase, case_id)
                    assert loaded is not None
                    before = loaded.state
                    peer.fire(loaded, name)
                    loaded.version += 1
                    loaded.updated_at = now
                    if "outcome" in data:
                        loaded.outcome = str(data["outcome"])
                    session.add(
                        PeerAudit(
                            case_id=case_id,
                            seq=loaded.version,
                            event=name,
                            from_state=before,
                            to_state=loaded.state,
                            actor=actor,
                            at=at,
                            recorded_at=now,
                            data=json.dumps(data),
                        )
                    )
                    session.commit()
        return time.perf_counter() - start
    finally:
        db.dispose()
