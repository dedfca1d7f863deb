"""Media attached to cards (images and audio), stored once per user by content hash.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("mime", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "sha256", name="uq_media_owner_sha256"),
    )
    op.create_index("ix_media_owner_id", "media", ["owner_id"])
    op.create_table(
        "note_media",
        sa.Column("note_id", sa.Integer(), sa.ForeignKey("note.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("media_id", sa.Integer(), sa.ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_note_media_media_id", "note_media", ["media_id"])


def downgrade() -> None:
    op.drop_table("note_media")
    op.drop_table("media")
