"""Accounts, decks, notes and cards, with full-text search over notes.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NOTE_FTS_DDL = [
    "CREATE VIRTUAL TABLE note_fts USING fts5(front, back, tags, content='note', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER note_fts_ai AFTER INSERT ON note BEGIN "
    "INSERT INTO note_fts(rowid, front, back, tags) VALUES (new.id, new.front, new.back, new.tags); END",
    "CREATE TRIGGER note_fts_ad AFTER DELETE ON note BEGIN "
    "INSERT INTO note_fts(note_fts, rowid, front, back, tags) "
    "VALUES ('delete', old.id, old.front, old.back, old.tags); END",
    "CREATE TRIGGER note_fts_au AFTER UPDATE ON note BEGIN "
    "INSERT INTO note_fts(note_fts, rowid, front, back, tags) "
    "VALUES ('delete', old.id, old.front, old.back, old.tags); "
    "INSERT INTO note_fts(rowid, front, back, tags) VALUES (new.id, new.front, new.back, new.tags); END",
]


def upgrade() -> None:
    op.create_table(
        "app_setting",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_disabled", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("desired_retention", sa.Float(), nullable=False),
        sa.Column("new_cards_per_day", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("day_start_hour", sa.Integer(), nullable=False),
    )
    op.create_index("ix_user_email", "user", ["email"], unique=True)
    op.create_table(
        "refresh_token",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_refresh_token_user_id", "refresh_token", ["user_id"])
    op.create_table(
        "deck",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("visibility", sa.Enum("private", "public", name="visibility"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "name"),
    )
    op.create_index("ix_deck_owner_id", "deck", ["owner_id"])
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("deck_id", sa.Integer(), sa.ForeignKey("deck.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("front", sa.String(), nullable=False),
        sa.Column("back", sa.String(), nullable=False),
        sa.Column("tags", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_note_deck_id", "note", ["deck_id"])
    op.create_index("ix_note_owner_id", "note", ["owner_id"])
    op.create_table(
        "card",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("note_id", sa.Integer(), sa.ForeignKey("note.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ord", sa.Integer(), nullable=False),
        sa.Column("front_html", sa.String(), nullable=False),
        sa.Column("back_html", sa.String(), nullable=False),
        sa.Column("answer", sa.String(), nullable=True),
        sa.UniqueConstraint("note_id", "ord"),
    )
    op.create_index("ix_card_note_id", "card", ["note_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in NOTE_FTS_DDL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("note_fts_au", "note_fts_ad", "note_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS note_fts")
    for table in ("card", "note", "deck", "refresh_token", "user", "app_setting"):
        op.drop_table(table)
