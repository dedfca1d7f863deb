"""Notices: short messages to one user about something another user did (e.g. a shared deck went away)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class NoticeKind(StrEnum):
    deck_deleted = "deck_deleted"
    deck_private = "deck_private"


class Notice(SQLModel, table=True):
    __table_args__ = (Index("ix_notice_user_read", "user_id", "read_at"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=32)
    message: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NoticePublic(SQLModel):
    id: int
    kind: str
    message: str
    created_at: datetime
    read_at: datetime | None


class NoticeList(SQLModel):
    items: list[NoticePublic]
    unread: int
