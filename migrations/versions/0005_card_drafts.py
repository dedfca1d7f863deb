"""Card drafts from lectures, and the lecture page a note cites.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild, so the note table keeps its FTS triggers); SQLite takes the
    # foreign key inline, other databases as a separate constraint.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE note ADD COLUMN source_lecture_id INTEGER REFERENCES lecture (id) ON DELETE SET NULL")
    else:
        op.add_column("note", sa.Column("source_lecture_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "note", "lecture", ["source_lecture_id"], ["id"], ondelete="SET NULL")
    op.add_column("note", sa.Column("source_page", sa.Integer(), nullable=True))
    op.add_column("note", sa.Column("source_quote", sa.String(), nullable=True))
    op.create_table(
        "card_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lecture_id", sa.Integer(), sa.ForeignKey("lecture.id", ondelete="CASCADE"), nullable=False),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("job.id", ondelete="SET NULL"), nullable=True),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("front", sa.Text(), nullable=False),
        sa.Column("back", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("duplicate_of_note_id", sa.Integer(), sa.ForeignKey("note.id", ondelete="SET NULL"), nullable=True),
        sa.Column("duplicate_score", sa.Float(), nullable=True),
        sa.Column("note_id", sa.Integer(), sa.ForeignKey("note.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_card_draft_owner_status", "card_draft", ["owner_id", "status"])
    op.create_index("ix_card_draft_deck_id", "card_draft", ["deck_id"])
    op.create_index("ix_card_draft_lecture_id", "card_draft", ["lecture_id"])


def downgrade() -> None:
    op.drop_table("card_draft")
    with op.batch_alter_table("note") as batch:
        batch.drop_column("source_quote")
        batch.drop_column("source_page")
        batch.drop_column("source_lecture_id")
