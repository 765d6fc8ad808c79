"""the users' chain, and how each entry came in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

Users get a display name (`name`), the operating-system login bound to them
(`login`, unique) and `active` (a deactivated user cannot act). Every change
to a user is an entry of `user_change`, the users' hash chain
(engine.audit.users), append-only like the audit record; the users already
there are enrolled on it here, one `enrolled` entry each, in the order they
were added, as the built-in `system` user.

`audit_entry.via` and `access_entry.via` say how a step or a read came in
(the command line with its login, the API with its token id, the pages with
the session, the scheduler): sealed from chain version 4 on (engine.via).
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

from engine.audit.users import enrolment
from engine.records import User

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("app_user", sa.Column("name", AutoString(length=200), nullable=True))
    op.add_column("app_user", sa.Column("login", AutoString(length=128), nullable=True))
    op.add_column(
        "app_user",
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_index("ix_app_user_login", "app_user", ["login"], unique=True)
    op.add_column("audit_entry", sa.Column("via", _json(), nullable=True))
    op.add_column("access_entry", sa.Column("via", _json(), nullable=True))
    changes = op.create_table(
        "user_change",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", AutoString(length=128), nullable=False),
        sa.Column("change", AutoString(length=32), nullable=False),
        sa.Column("actor", AutoString(length=128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("reason", AutoString(), nullable=True),
        sa.Column("state", _json(), nullable=False),
        sa.Column("via", _json(), nullable=True),
        sa.Column("prev_hash", AutoString(length=64), nullable=False),
        sa.Column("hash", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_user_change")),
    )
    op.create_index("ix_user_change_user_id", "user_change", ["user_id"])
    _enrol_existing(changes)
    _append_only("user_change")


def _enrol_existing(changes: sa.Table) -> None:
    bind = op.get_bind()
    users = sa.table(
        "app_user",
        sa.column("id"),
        sa.column("roles", sa.JSON()),
        sa.column("email"),
        sa.column("created_at", UTCDateTime()),
    )
    rows = bind.execute(
        sa.select(users).order_by(users.c.created_at, users.c.id)
    ).mappings()
    existing = [
        User(
            id=r["id"],
            roles=tuple(r["roles"]),
            email=r["email"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
    entries = enrolment(existing)
    if entries:
        op.bulk_insert(
            changes,
            [
                {
                    "seq": e.seq,
                    "user_id": e.user_id,
                    "change": e.change,
                    "actor": e.actor,
                    "at": e.at,
                    "reason": e.reason,
                    "state": e.state,
                    "via": e.via,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in entries
            ],
        )


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
    )


def downgrade() -> None:
    raise NotImplementedError("the users' chain is never dropped by a migration")
