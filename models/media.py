"""Media attached to cards: images and audio, stored once per user by content hash, and which notes
show them (kept in step whenever a note's text is saved)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class MediaKind(StrEnum):
    image = "image"
    audio = "audio"


class Media(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("owner_id", "sha256", name="uq_media_owner_sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    sha256: str = Field(sa_type=String(64))  # of the bytes as uploaded: a second upload of them is a dedup hit
    kind: str = Field(sa_type=String(8))  # a MediaKind
    mime: str = Field(sa_type=String(32))
    size_bytes: int  # as stored (metadata removed), what counts toward the quota
    width: int | None = None
    height: int | None = None
    original_name: str = Field(sa_type=String(255))  # shown only; never part of a path
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NoteMedia(SQLModel, table=True):
    __tablename__ = "note_media"
    note_id: int = Field(foreign_key="note.id", ondelete="CASCADE", primary_key=True)
    media_id: int = Field(foreign_key="media.id", ondelete="CASCADE", primary_key=True, index=True)


# --- API schemas ---------------------------------------------------------------


class MediaPublic(SQLModel):
    id: int
    kind: MediaKind
    mime: str
    size_bytes: int
    width: int | None
    height: int | None
    original_name: str
    created_at: datetime
    notes: int = 0  # how many of the owner's notes show it
    reference: str  # what to paste into a card: ![name](media:12) or [audio: name](media:12)

    @classmethod
    def of(cls, media: Media, *, notes: int = 0) -> MediaPublic:
        return cls(
            id=media.id,
            kind=MediaKind(media.kind),
            mime=media.mime,
            size_bytes=media.size_bytes,
            width=media.width,
            height=media.height,
            original_name=media.original_name,
            created_at=media.created_at,
            notes=notes,
            reference=media_reference(media),
        )


class MediaUsage(SQLModel):
    used_bytes: int  # card media as stored (lecture files are limited per upload, not by the quota)
    limit_bytes: int
    media_count: int


class MediaPage(SQLModel):
    items: list[MediaPublic]
    total: int
    page: int
    page_size: int
    usage: MediaUsage


class CropRequest(SQLModel):
    """A rectangle on the page image, in fractions of its width and height (0 = left/top edge)."""

    x: float = Field(ge=0, le=1)
    y: float = Field(ge=0, le=1)
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)


def _label(name: str) -> str:
    return "".join(ch for ch in name if ch not in "[]()\n\r").strip()[:80] or "media"


def media_reference(media: Media) -> str:
    label = _label(media.original_name.rsplit(".", 1)[0] if "." in media.original_name else media.original_name)
    if media.kind == MediaKind.audio:
        return f"[audio: {label}](media:{media.id})"
    return f"![{label}](media:{media.id})"
