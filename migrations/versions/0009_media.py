"""Media attached to cards (images and audio), stored once per user by content hash.

Revision ID: 0009
Revises: 0008
"""

from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
