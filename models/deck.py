"""Decks: named collections of notes, private or visible to the instance."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class Visibility(StrEnum):
    private = "private"
    public = "public"


class DeckBase(SQLModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    visibility: Visibility = Visibility.private

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a deck needs a name")
        return value


class Deck(DeckBase, table=True):
    __table_args__ = (UniqueConstraint("owner_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeckCreate(DeckBase):
    pass


class DeckUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    visibility: Visibility | None = None

    _strip_name = field_validator("name")(lambda cls, v: None if v is None else DeckBase._strip_name(v))


class DeckPublic(DeckBase):
    id: int
    created_at: datetime
    updated_at: datetime
    note_count: int = 0
    card_count: int = 0
    due_count: int = 0
    new_count: int = 0
    suspended_count: int = 0
    # Sharing: False for a deck the user subscribes to (read-only); whose it is; for the owner's
    # public decks, how many accounts study it.
    owned: bool = True
    subscribed: bool = False
    owner_name: str = ""
    subscriber_count: int = 0
