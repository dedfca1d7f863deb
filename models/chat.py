"""Conversations with one's lectures: questions, answers and the lecture pages the answers cite.

An answer is written in the background and streamed over /ws; its row exists from the start:

    streaming ──▶ done | cancelled (stopped by the user) | interrupted (the model failed, or the
                  server stopped mid-answer; the partial text is kept with a human `error`)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import model_validator
from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow

MAX_QUESTION_CHARS = 4_000
MAX_TITLE_CHARS = 200


class ChatScope(StrEnum):
    all = "all"
    course = "course"
    lecture = "lecture"


class MessageRole(StrEnum):
    user = "user"
    assistant = "assistant"


class MessageStatus(StrEnum):
    done = "done"
    streaming = "streaming"
    interrupted = "interrupted"
    cancelled = "cancelled"


class Conversation(SQLModel, table=True):
    __table_args__ = (Index("ix_conversation_owner_updated", "owner_id", "updated_at"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    title: str = Field(max_length=MAX_TITLE_CHARS, sa_type=String(MAX_TITLE_CHARS))
    scope: ChatScope = Field(sa_type=String(8))
    # SET NULL: a conversation outlives the course or lecture it was about (its answers keep their text).
    course_id: int | None = Field(default=None, foreign_key="course.id", ondelete="SET NULL")
    lecture_id: int | None = Field(default=None, foreign_key="lecture.id", ondelete="SET NULL")
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatMessage(SQLModel, table=True):
    __tablename__ = "chat_message"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE", index=True)
    role: MessageRole = Field(sa_type=String(10))
    content: str = Field(default="", sa_type=Text())
    status: MessageStatus = Field(default=MessageStatus.done, sa_type=String(12))
    error: str | None = Field(default=None, sa_type=Text())
    provider: str | None = Field(default=None, sa_type=String(10))
    grounded: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChatCitation(SQLModel, table=True):
    """Passage [n] of an answer: a quote from a lecture page."""

    __tablename__ = "chat_citation"
    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="chat_message.id", ondelete="CASCADE", index=True)
    n: int
    lecture_id: int | None = Field(default=None, foreign_key="lecture.id", ondelete="SET NULL")
    lecture_title: str = Field(sa_type=String(200))  # kept for when the lecture is deleted
    page: int
    quote: str = Field(sa_type=Text())


# --- API schemas -------------------------------------------------------------------------------------


class ConversationCreate(SQLModel):
    scope: ChatScope = ChatScope.all
    course_id: int | None = None
    lecture_id: int | None = None
    card_id: int | None = None  # "Ask about this card": the scope follows the card's source
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)

    @model_validator(mode="after")
    def _scope_has_its_id(self) -> ConversationCreate:
        if self.card_id is None:
            if self.scope == ChatScope.course and self.course_id is None:
                raise ValueError("a course conversation needs course_id")
            if self.scope == ChatScope.lecture and self.lecture_id is None:
                raise ValueError("a lecture conversation needs lecture_id")
        return self


class ConversationUpdate(SQLModel):
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)


class ConversationSummary(SQLModel):
    id: int
    title: str
    scope: ChatScope
    course_id: int | None
    lecture_id: int | None
    scope_label: str
    card_id: int | None
    message_count: int
    created_at: datetime
    updated_at: datetime


class CitationPublic(SQLModel):
    n: int
    lecture_id: int | None
    lecture_title: str
    page: int
    quote: str
    url: str | None  # the page in the viewer; None once the lecture is deleted


class MessagePublic(SQLModel):
    id: int
    conversation_id: int
    role: MessageRole
    content: str
    html: str | None  # sanitized rendering of content; None while streaming
    status: MessageStatus
    error: str | None
    provider: str | None
    grounded: bool
    citations: list[CitationPublic]
    created_at: datetime


class CardContext(SQLModel):
    id: int
    front: str
    answer: str
    source_lecture_id: int | None
    source_page: int | None


class ConversationDetail(ConversationSummary):
    card: CardContext | None
    messages: list[MessagePublic]


class QuestionIn(SQLModel):
    # No max_length here: a too-long question gets the domain's 400 with a message that says the limit.
    question: str


class AskResult(SQLModel):
    question: MessagePublic
    answer: MessagePublic


class AnswerCardsRequest(SQLModel):
    deck_id: int
    target: int = Field(default=10, ge=1, le=100)
