"""Exam dates per deck, and the daily review budget that exam scheduling keeps to.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deck_exam",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.add_column("user", sa.Column("exam_daily_budget", sa.Integer(), nullable=False, server_default="200"))


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("exam_daily_budget")
    op.drop_table("deck_exam")
