"""api tokens and idempotency keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

The HTTP API's bearer tokens (`api_token`: the SHA-256 digest of each token,
never the token, with its user, expiry and revocation) and the idempotency
keys of its POSTs (`api_idempotency`: claimed per user before the request
fires, answered after, purged after a retention period).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", AutoString(length=32), nullable=False),
        sa.Column("user_id", AutoString(length=128), nullable=False),
        sa.Column("digest", AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_api_token_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
    )
    with op.batch_alter_table("api_token") as batch:
        batch.create_index("ix_api_token_user_id", ["user_id"], unique=False)
    op.create_table(
        "api_idempotency",
        sa.Column("user_id", AutoString(length=128), nullable=False),
        sa.Column("key", AutoString(length=255), nullable=False),
        sa.Column("fingerprint", AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", AutoString(), nullable=True),
        sa.Column(
            "headers",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_api_idempotency")),
    )
    with op.batch_alter_table("api_idempotency") as batch:
        batch.create_index(
            "ix_api_idempotency_created_at", ["created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("api_idempotency")
    op.drop_table("api_token")
