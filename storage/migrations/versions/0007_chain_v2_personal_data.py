"""chain version 2 and erasable personal data

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

Audit entries get `chain_version` (1 for every entry written before: nothing
is re-sealed) and `sealed` (version 2's documents and case as the step left
it). Cases get `personal_key` (the key of their personal-data commitments) and
`erased` (when and why their personal data was erased). `personal_value`
holds the values the commitments stand for, and is erasable.

Columns are added in place (no table copy), so the append-only triggers on
`audit_entry` stay as they are.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlmodel.sql.sqltypes import AutoString

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column(
        "audit_entry",
        sa.Column("chain_version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("audit_entry", sa.Column("sealed", _json(), nullable=True))
    op.add_column(
        "wf_case", sa.Column("personal_key", AutoString(length=64), nullable=True)
    )
    op.add_column("wf_case", sa.Column("erased", _json(), nullable=True))
    op.create_table(
        "personal_value",
        sa.Column(
            "case_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("commitment", AutoString(length=64), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["wf_case.id"], name=op.f("fk_personal_value_case_id_wf_case")
        ),
        sa.PrimaryKeyConstraint(
            "case_id", "commitment", name=op.f("pk_personal_value")
        ),
    )


def downgrade() -> None:
    op.drop_table("personal_value")
    with op.batch_alter_table("wf_case") as batch:
        batch.drop_column("erased")
        batch.drop_column("personal_key")
    op.drop_column("audit_entry", "sealed")
    op.drop_column("audit_entry", "chain_version")
