"""Courses, lectures, their pages and searchable chunks (with an FTS5 index on SQLite).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Chunks are only ever inserted and deleted (a re-process replaces them), so two triggers suffice.
# Porter stemming: a search for "derivatives" finds "derivative".
CHUNK_FTS_DDL = [
    "CREATE VIRTUAL TABLE lecture_chunk_fts USING fts5(text, content='lecture_chunk', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER lecture_chunk_fts_ai AFTER INSERT ON lecture_chunk BEGIN "
    "INSERT INTO lecture_chunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER lecture_chunk_fts_ad AFTER DELETE ON lecture_chunk BEGIN "
    "INSERT INTO lecture_chunk_fts(lecture_chunk_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
]


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "name"),
    )
    op.create_index("ix_course_owner_id", "course", ["owner_id"])
    op.create_table(
        "lecture",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("course_id", sa.Integer(), sa.ForeignKey("course.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("file_kind", sa.String(16), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("ocr_page_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("job.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_lecture_owner_sha256", "lecture", ["owner_id", "sha256"])
    op.create_index("ix_lecture_course", "lecture", ["course_id"])
    op.create_table(
        "lecture_page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lecture_id", sa.Integer(), sa.ForeignKey("lecture.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("ocr_confidence", sa.Float(), nullable=True),
        sa.Column("has_image", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("lecture_id", "number"),
    )
    op.create_table(
        "lecture_chunk",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lecture_id", sa.Integer(), sa.ForeignKey("lecture.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("char_start", sa.Integer(), nullable=False),
        sa.Column("char_end", sa.Integer(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_lecture_chunk_owner", "lecture_chunk", ["owner_id"])
    op.create_index("ix_lecture_chunk_lecture", "lecture_chunk", ["lecture_id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in CHUNK_FTS_DDL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("lecture_chunk_fts_ad", "lecture_chunk_fts_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS lecture_chunk_fts")
    for table in ("lecture_chunk", "lecture_page", "lecture", "course"):
        op.drop_table(table)
