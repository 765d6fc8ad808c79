"""documents keep their content

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

A journalised document keeps its content: the `document` row gets the
content's SHA-256 (which the entry that journalised it seals), its size and
its media type, all empty on the documents journalised before; the bytes go to
`document_content`, keyed by their SHA-256 and written once (or, with
`SAGSFLOW_DOCUMENT_DIR`, to files named by it, and this table stays empty).
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("sha256", AutoString(length=64), nullable=True))
        batch.add_column(sa.Column("size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("media_type", AutoString(length=128), nullable=True))
    op.create_table(
        "document_content",
        sa.Column("sha256", AutoString(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_content")),
    )


def downgrade() -> None:
    op.drop_table("document_content")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("media_type")
        batch.drop_column("size")
        batch.drop_column("sha256")
