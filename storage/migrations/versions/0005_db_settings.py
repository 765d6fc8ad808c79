"""database settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

A key-value table of facts about the database itself (its kind, such as a
demo office), so a command can refuse a database that is not of its kind.
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "db_setting",
        sa.Column("key", AutoString(length=64), nullable=False),
        sa.Column("value", AutoString(), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_db_setting")),
    )


def downgrade() -> None:
    op.drop_table("db_setting")
