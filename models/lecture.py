"""Courses, lectures (one uploaded file each), their pages and the searchable chunks of those pages.

A lecture's status follows its latest ingest job:

    queued ──▶ processing ──▶ ready | failed | cancelled
    ready | failed | cancelled ──▶ queued          (re-process)

Pages and chunks are written in one transaction when an ingest finishes, replacing the previous
ones, so a lecture never shows half of a run. Files live under the data dir: the upload at
`uploads/<lecture id>/original.<ext>`, page images at `pages/<lecture id>/<n>.webp` and
`<n>.thumb.webp`; the rows never hold paths.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


def _required_name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"a {what} needs a name")
    return value


class CourseBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        return _required_name(value, "course")


class Course(CourseBase, table=True):
    __table_args__ = (UniqueConstraint("owner_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CourseCreate(CourseBase):
    pass


class CoursePublic(CourseBase):
    id: int
    created_at: datetime
    lecture_count: int = 0


class LectureStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    ready = "ready"
    failed = "failed"
    cancelled = "cancelled"


class PageSource(StrEnum):
    text = "text"  # the PDF's own text layer, or a text/Markdown file
    ocr = "ocr"  # Tesseract
    slide = "slide"  # a PPTX slide's text (its pictures OCRed into it)


class Lecture(SQLModel, table=True):
    __table_args__ = (
        Index("ix_lecture_owner_sha256", "owner_id", "sha256"),
        Index("ix_lecture_course", "course_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    course_id: int = Field(foreign_key="course.id", ondelete="CASCADE")
    title: str = Field(max_length=200, sa_type=String(200))
    filename: str = Field(max_length=255, sa_type=String(255))
    file_kind: str = Field(max_length=16, sa_type=String(16))
    size_bytes: int
    sha256: str = Field(max_length=64, sa_type=String(64))
    status: LectureStatus = Field(default=LectureStatus.queued, sa_type=String(16))
    page_count: int = 0
    ocr_page_count: int = 0
    error: str | None = Field(default=None, sa_type=String())
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LectureUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    course_id: int | None = None

    @field_validator("title")
    @classmethod
    def _strip_title(cls, value: str | None) -> str | None:
        return None if value is None else _required_name(value, "lecture")


class LecturePublic(SQLModel):
    id: int
    course_id: int
    title: str
    filename: str
    file_kind: str
    size_bytes: int
    sha256: str
    status: LectureStatus
    page_count: int
    ocr_page_count: int
    error: str | None
    job_id: int | None
    created_at: datetime
    updated_at: datetime


class LecturePage(SQLModel, table=True):
    __tablename__ = "lecture_page"
    __table_args__ = (UniqueConstraint("lecture_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    lecture_id: int = Field(foreign_key="lecture.id", ondelete="CASCADE")
    number: int  # 1-based, as people cite pages
    text: str = Field(default="", sa_type=Text())
    source: PageSource = Field(sa_type=String(8))
    ocr_confidence: float | None = None  # mean word confidence 0–100, OCR pages only
    has_image: bool = False


class PageSummary(SQLModel):
    number: int
    source: PageSource
    ocr_confidence: float | None
    char_count: int
    has_image: bool


class PagePublic(SQLModel):
    number: int
    source: PageSource
    ocr_confidence: float | None
    text: str
    has_image: bool


class LectureChunk(SQLModel, table=True):
    """About 200 tokens of one page; `embedding` is 384 float32s of unit length (little-endian)."""

    __tablename__ = "lecture_chunk"
    __table_args__ = (Index("ix_lecture_chunk_owner", "owner_id"), Index("ix_lecture_chunk_lecture", "lecture_id"))
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    lecture_id: int = Field(foreign_key="lecture.id", ondelete="CASCADE")
    page: int
    position: int  # reading order across the lecture
    text: str = Field(sa_type=Text())
    char_start: int
    char_end: int
    embedding: bytes | None = Field(default=None, sa_type=LargeBinary())


class SearchHit(SQLModel):
    chunk_id: int
    lecture_id: int
    lecture_title: str
    course_id: int
    course_name: str
    page: int
    snippet: str  # escaped HTML; the only tags are <mark>…</mark> around matched words
    score: float
    matched: list[str]  # "keyword" (FTS5 BM25) and/or "semantic" (embedding cosine)


class SearchResults(SQLModel):
    query: str
    semantic: bool  # False while the embedding model is unavailable: keyword matches only
    results: list[SearchHit]
