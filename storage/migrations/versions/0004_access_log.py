"""access log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

Reads of personal data (`case show`, `audit log NUMBER`, `audit export`) are
logged here with who and when, kept for a retention period and then purged:
unlike the audit record, this log is not append-only.
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_entry",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", AutoString(length=128), nullable=False),
        sa.Column("action", AutoString(length=32), nullable=False),
        sa.Column("case_number", AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_entry")),
    )
    with op.batch_alter_table("access_entry") as batch:
        batch.create_index("ix_access_entry_case_number", ["case_number"], unique=False)
        batch.create_index("ix_access_entry_at", ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("access_entry")
