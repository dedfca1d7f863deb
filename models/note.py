"""Notes (what the user writes) and the cards generated from them (what is reviewed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow

MAX_FIELD_CHARS = 20_000
MAX_TAGS = 50


class NoteKind(StrEnum):
    basic = "basic"
    reversed = "reversed"  # a front→back card and a back→front card
    cloze = "cloze"  # one card per cloze number
    typein = "typein"  # the answer is typed and compared


def normalize_tags(tags: list[str]) -> list[str]:
    """Lower-case, de-duplicated, sorted; a tag is one word (letters, digits, _ - : / .)."""
    out: set[str] = set()
    for raw in tags:
        tag = raw.strip().lower()
        if not tag:
            continue
        if len(tag) > 64 or any(ch.isspace() for ch in tag):
            raise ValueError(f"tag '{raw[:40]}' must be one word of at most 64 characters")
        if not all(ch.isalnum() or ch in "_-:/." for ch in tag):
            raise ValueError(f"tag '{raw[:40]}' may only use letters, digits and _ - : / .")
        out.add(tag)
    if len(out) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags per card")
    return sorted(out)


class NoteFields(SQLModel):
    kind: NoteKind = NoteKind.basic
    front: str = Field(max_length=MAX_FIELD_CHARS)
    back: str = Field(default="", max_length=MAX_FIELD_CHARS)


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=16)
    front: str
    back: str = ""
    # Space-delimited with a space at each end (" a b "), so "% a %" finds a tag in any SQL dialect.
    tags: str = " "
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Where a generated card came from: a lecture page and the verified quote that supports it.
    source_lecture_id: int | None = Field(default=None, foreign_key="lecture.id", ondelete="SET NULL")
    source_page: int | None = None
    source_quote: str | None = None

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()


class Card(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("note_id", "ord"),)
    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="note.id", ondelete="CASCADE", index=True)
    ord: int
    front_html: str
    back_html: str
    answer: str | None = None  # type-in: the expected answer as plain text


# --- API schemas ---------------------------------------------------------------


class NoteCreate(NoteFields):
    deck_id: int
    tags: list[str] = Field(default_factory=list)

    _tags = field_validator("tags")(lambda cls, v: normalize_tags(v))


class NoteUpdate(SQLModel):
    deck_id: int | None = None
    kind: NoteKind | None = None
    front: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    back: str | None = Field(default=None, max_length=MAX_FIELD_CHARS)
    tags: list[str] | None = None

    _tags = field_validator("tags")(lambda cls, v: None if v is None else normalize_tags(v))


@dataclass(frozen=True, slots=True)
class NoteSource:
    lecture_id: int
    page: int
    quote: str


class NotePreview(NoteFields):
    pass


class CardBrief(SQLModel):
    id: int
    ord: int
    state: str
    due: datetime | None
    suspended: bool


class NotePublic(SQLModel):
    id: int
    deck_id: int
    kind: NoteKind
    front: str
    back: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    cards: list[CardBrief]
    source_lecture_id: int | None = None
    source_page: int | None = None
    source_quote: str | None = None


class NotePage(SQLModel):
    items: list[NotePublic]
    total: int
    page: int
    page_size: int


class PreviewCard(SQLModel):
    ord: int
    label: str
    front_html: str
    back_html: str


class PreviewResult(SQLModel):
    cards: list[PreviewCard]


class BulkAction(StrEnum):
    move = "move"
    add_tags = "add_tags"
    remove_tags = "remove_tags"
    delete = "delete"
    suspend = "suspend"
    unsuspend = "unsuspend"


class BulkRequest(SQLModel):
    note_ids: list[int] = Field(min_length=1, max_length=5000)
    action: BulkAction
    deck_id: int | None = None
    tags: list[str] | None = None

    _tags = field_validator("tags")(lambda cls, v: None if v is None else normalize_tags(v))


class BulkResult(SQLModel):
    affected: int


class TagCount(SQLModel):
    tag: str
    count: int
