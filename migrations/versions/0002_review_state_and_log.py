"""Scheduling state per (user, card) and the review log.

Every existing card gets a "new" state row for its owner, so decks made before this
revision are immediately reviewable. A new card's due is its place in the new-card queue
(the time its note was created).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_state",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", sa.DateTime(), nullable=True),
        sa.Column("last_review", sa.DateTime(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_card_state_card_id", "card_state", ["card_id"])
    op.create_index("ix_card_state_queue", "card_state", ["user_id", "suspended", "state", "due"])
    op.create_index("ix_card_state_deck_queue", "card_state", ["user_id", "deck_id", "suspended", "state", "due"])
    op.create_table(
        "review_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("card_id", sa.Integer(), sa.ForeignKey("card.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("state_before", sa.Integer(), nullable=False),
        sa.Column("scheduled_seconds", sa.Integer(), nullable=False),
        sa.Column("previous", sa.String(), nullable=False),
    )
    op.create_index("ix_review_log_card_id", "review_log", ["card_id"])
    op.create_index("ix_review_log_user_time", "review_log", ["user_id", "reviewed_at"])
    op.create_index("ix_review_log_user_new", "review_log", ["user_id", "state_before", "reviewed_at"])
    op.execute(
        "INSERT INTO card_state (user_id, card_id, deck_id, state, due, reps, lapses, suspended) "
        "SELECT note.owner_id, card.id, note.deck_id, 0, note.created_at, 0, 0, 0 FROM card JOIN note ON note.id = card.note_id"
    )


def downgrade() -> None:
    op.drop_table("review_log")
    op.drop_table("card_state")
