"""audit hash chain

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Every audit entry gets `prev_hash` and `hash` (engine.audit.chain, version 1)
and every case its chain head, `audit_head`. Entries recorded before this
revision are sealed here, in order: the append-only triggers are lifted for
that backfill only, inside this migration's transaction, and put back.
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

from engine.audit.chain import GENESIS, link_hash

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_FIELDS = (
    "case_number",
    "seq",
    "event",
    "from_state",
    "to_state",
    "actor",
    "role",
    "at",
    "recorded_at",
    "data",
    "due_before",
    "due_after",
    "calendar",
    "workflow",
    "workflow_version",
    "document",
)


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(
            sa.Column("prev_hash", sa.String(64), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("hash", sa.String(64), nullable=False, server_default="")
        )
    with op.batch_alter_table("wf_case") as batch:
        batch.add_column(
            sa.Column(
                "audit_head", sa.String(64), nullable=False, server_default=GENESIS
            )
        )
    _seal_existing_entries()


# The columns as this revision knows them, typed, so values come back as they
# were written (aware datetimes, dates, JSON), whatever the models become later.
_AUDIT = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer()),
    sa.column("case_id", sa.Integer()),
    sa.column("case_number", sa.String()),
    sa.column("seq", sa.Integer()),
    sa.column("event", sa.String()),
    sa.column("from_state", sa.String()),
    sa.column("to_state", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("role", sa.String()),
    sa.column("at", UTCDateTime()),
    sa.column("recorded_at", UTCDateTime()),
    sa.column("data", sa.JSON()),
    sa.column("due_before", sa.Date()),
    sa.column("due_after", sa.Date()),
    sa.column("calendar", sa.String()),
    sa.column("workflow", sa.String()),
    sa.column("workflow_version", sa.Integer()),
    sa.column("document", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _seal_existing_entries() -> None:
    bind = op.get_bind()
    audit = _AUDIT
    rows = (
        bind.execute(
            sa.select(
                audit.c.id, audit.c.case_id, *(audit.c[f] for f in _FIELDS)
            ).order_by(audit.c.case_id, audit.c.seq)
        )
        .mappings()
        .all()
    )
    if not rows:
        return
    _lift_append_only(bind)
    heads: dict[int, str] = {}
    for row in rows:
        prev = heads.get(row["case_id"], GENESIS)
        fields = {
            "case": row["case_number"],
            "seq": row["seq"],
            "event": row["event"],
            "from": row["from_state"],
            "to": row["to_state"],
            "actor": row["actor"],
            "role": row["role"],
            "at": row["at"],
            "recorded_at": row["recorded_at"],
            "data": row["data"],
            "due_before": row["due_before"],
            "due_after": row["due_after"],
            "calendar": row["calendar"],
            "workflow": row["workflow"],
            "workflow_version": row["workflow_version"],
            "document": row["document"],
        }
        digest = link_hash(prev, fields)
        bind.execute(
            sa.update(audit)
            .where(audit.c.id == row["id"])
            .values(prev_hash=prev, hash=digest)
        )
        heads[row["case_id"]] = digest
    for case_id, head in heads.items():
        bind.execute(
            sa.text("UPDATE wf_case SET audit_head = :h WHERE id = :i"),
            {"h": head, "i": case_id},
        )
    _restore_append_only(bind)


def _lift_append_only(bind: sa.Connection) -> None:
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_entry_no_update")
    else:
        op.execute(
            "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update_delete"
        )


def _restore_append_only(bind: sa.Connection) -> None:
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
            "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only: UPDATE refused'); END"
        )
    else:
        op.execute(
            "ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_update_delete"
        )


def downgrade() -> None:
    raise NotImplementedError("the hash chain is never dropped")
