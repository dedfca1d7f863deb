"""Card drafts: generated cards waiting for the user to accept, edit or reject them.

A draft always cites a lecture page with a quote that was checked against that page's text
when the draft was made (processing/cardgen/citations.py); a card that failed the check was
never stored. Accepting turns it into a note that keeps the citation.

    pending ──▶ accepted (note_id set) | rejected
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow
from models.note import MAX_FIELD_CHARS


class DraftStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class DraftKind(StrEnum):
    basic = "basic"
    cloze = "cloze"


class CardDraft(SQLModel, table=True):
    __tablename__ = "card_draft"
    __table_args__ = (Index("ix_card_draft_owner_status", "owner_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE", index=True)
    lecture_id: int = Field(foreign_key="lecture.id", ondelete="CASCADE", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id", ondelete="SET NULL")
    page: int
    quote: str = Field(sa_type=Text())
    kind: DraftKind = Field(sa_type=String(8))
    front: str = Field(sa_type=Text())
    back: str = Field(default="", sa_type=Text())
    score: float = 0.0
    status: DraftStatus = Field(default=DraftStatus.pending, sa_type=String(8))
    duplicate_of_note_id: int | None = Field(default=None, foreign_key="note.id", ondelete="SET NULL")
    duplicate_score: float | None = None  # cosine to that note, >= 0.9
    note_id: int | None = Field(default=None, foreign_key="note.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DraftPublic(SQLModel):
    id: int
    deck_id: int
    lecture_id: int
    lecture_title: str
    job_id: int | None
    page: int
    quote: str
    kind: DraftKind
    front: str
    back: str
    score: float
    status: DraftStatus
    duplicate_of_note_id: int | None
    duplicate_front: str | None  # the existing card it nearly repeats
    duplicate_score: float | None
    note_id: int | None
    created_at: datetime


class DraftEdit(SQLModel):
    """Edits applied to a pending draft (or with its acceptance)."""

    kind: DraftKind | None = None
    front: str | None = Field(default=None, min_length=1, max_length=MAX_FIELD_CHARS)
    back: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)


class DraftBulk(SQLModel):
    draft_ids: list[int] = Field(min_length=1, max_length=1000)
    action: DraftStatus  # accepted | rejected


class GenerateRequest(SQLModel):
    deck_id: int
    target: int = Field(default=20, ge=1, le=200)
    first_page: int | None = Field(default=None, ge=1)
    last_page: int | None = Field(default=None, ge=1)


class ProviderInfo(SQLModel):
    provider: str  # builtin | gemini | openai
    model: str | None
    base_url: str | None


class ProviderCheck(SQLModel):
    ok: bool
    message: str
