"""Files Lectern makes for a user to download: quiz and study-guide PDFs, Anki packages, CSV files,
account exports. Each is made by a job, stored under data/generated/<owner id>/ and listed here."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class GeneratedKind(StrEnum):
    quiz = "quiz"
    guide = "guide"
    apkg = "apkg"
    csv = "csv"
    account = "account"
    backup = "backup"  # an admin's backup of the whole instance


class GeneratedFile(SQLModel, table=True):
    __tablename__ = "generated_file"
    __table_args__ = (Index("ix_generated_file_owner_created", "owner_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: GeneratedKind = Field(sa_type=String(16))
    title: str = Field(sa_type=String(200))
    filename: str = Field(sa_type=String(255))  # the name it downloads as
    media_type: str = Field(sa_type=String(100))
    size_bytes: int
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GeneratedFilePublic(SQLModel):
    id: int
    kind: GeneratedKind
    title: str
    filename: str
    media_type: str
    size_bytes: int
    job_id: int | None
    created_at: datetime
    download_url: str  # GET with the Bearer token
