"""the review pages' sessions and pending sign-ins

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

The review pages keep their sessions on the server (`page_session`): the
cookie carries a session's public id and a secret, and the row holds the
SHA-256 of the secret (never the secret), the user, how they signed in (the
office's OpenID provider, or an API token named by its public id) and when
the session was made and last seen, for the idle limit. Signing out deletes
the row, so a copied cookie opens nothing afterwards.

`page_sign_in` holds a sign-in sent to the OpenID provider until the
provider sends the browser back: keyed by the SHA-256 of its `state`, with
the nonce the ID token must carry, the PKCE verifier, where to go after, and
the digest of the browser's pending-sign-in cookie. The callback takes the
row (deletes it) before it uses it, so a state works once.
"""

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_session",
        sa.Column("id", AutoString(length=32), nullable=False),
        sa.Column("digest", AutoString(length=64), nullable=False),
        sa.Column("user_id", AutoString(length=128), nullable=False),
        sa.Column("method", AutoString(length=16), nullable=False),
        sa.Column("token_id", AutoString(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_page_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_session")),
    )
    with op.batch_alter_table("page_session") as batch:
        batch.create_index("ix_page_session_user_id", ["user_id"], unique=False)
        batch.create_index(
            "ix_page_session_last_seen_at", ["last_seen_at"], unique=False
        )
    op.create_table(
        "page_sign_in",
        sa.Column("state_digest", AutoString(length=64), nullable=False),
        sa.Column("nonce", AutoString(length=128), nullable=False),
        sa.Column("verifier", AutoString(length=128), nullable=False),
        sa.Column("next_path", AutoString(length=2000), nullable=False),
        sa.Column("browser_digest", AutoString(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state_digest", name=op.f("pk_page_sign_in")),
    )
    with op.batch_alter_table("page_sign_in") as batch:
        batch.create_index("ix_page_sign_in_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_table("page_sign_in")
    op.drop_table("page_session")
