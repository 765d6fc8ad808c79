"""case owners and absences

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Cases get `owner` (the user on whose desk the case lies; NULL while
unassigned), indexed for the work queues. `user_absence` holds the periods a
user is away and who deputises for them meanwhile (their notices go there).
No foreign key on `owner`: SQLite cannot add one to an existing table in
place, and the engine checks every owner it writes.
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("wf_case", sa.Column("owner", AutoString(length=128), nullable=True))
    op.create_index("ix_wf_case_owner", "wf_case", ["owner"])
    op.create_table(
        "user_absence",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("user_id", AutoString(length=128), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("deputy", AutoString(length=128), nullable=True),
        sa.Column("created_by", AutoString(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_absence_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["deputy"], ["app_user.id"], name=op.f("fk_user_absence_deputy_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_absence")),
    )
    op.create_index("ix_user_absence_user_id", "user_absence", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_user_absence_user_id", table_name="user_absence")
    op.drop_table("user_absence")
    op.drop_index("ix_wf_case_owner", table_name="wf_case")
    with op.batch_alter_table("wf_case") as batch:
        batch.drop_column("owner")
