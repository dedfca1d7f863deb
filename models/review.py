"""Scheduling state per (user, card) and the review log."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from pydantic import model_serializer
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow
from models.exam import ExamNote


class CardStateKind(IntEnum):
    """0 is ours (never reviewed); 1–3 are fsrs.State values."""

    new = 0
    learning = 1
    review = 2
    relearning = 3


class CardState(SQLModel, table=True):
    __tablename__ = "card_state"
    __table_args__ = (
        Index("ix_card_state_queue", "user_id", "suspended", "state", "due"),
        Index("ix_card_state_deck_queue", "user_id", "deck_id", "suspended", "state", "due"),
    )
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", primary_key=True)
    card_id: int = Field(foreign_key="card.id", ondelete="CASCADE", primary_key=True, index=True)
    # The card's deck, copied here (kept in sync on moves) so deck-scoped queues read one index.
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE")
    state: int = CardStateKind.new
    step: int | None = None
    # Next review; for a new card, its place in the new-card queue (when it was created).
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_review: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reps: int = 0
    lapses: int = 0
    suspended: bool = False


class ReviewLog(SQLModel, table=True):
    __tablename__ = "review_log"
    __table_args__ = (
        Index("ix_review_log_user_time", "user_id", "reviewed_at"),
        Index("ix_review_log_user_new", "user_id", "state_before", "reviewed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    card_id: int = Field(foreign_key="card.id", ondelete="CASCADE", index=True)
    rating: int
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    duration_ms: int = 0
    state_before: int
    scheduled_seconds: int = 0
    # The card_state row as it was before this review (JSON), so undo restores it exactly.
    previous: str


# --- API schemas ---------------------------------------------------------------


class Interval(SQLModel):
    seconds: int
    label: str


class ReviewCard(SQLModel):
    id: int
    note_id: int
    ord: int
    kind: str
    deck_id: int
    deck_name: str
    front_html: str
    back_html: str
    answer: str | None
    tags: list[str]
    state: str
    intervals: dict[str, Interval]
    source_lecture_id: int | None = None  # a card made from a lecture: the page it cites
    source_page: int | None = None
    exam: ExamNote | None = None  # set when shown early for an exam (processing/exam.py)


class QueueCounts(SQLModel):
    """Cards left now; learning and review stop counting at 1000 (show "1000+")."""

    new: int
    learning: int
    review: int
    exam: int = 0  # reviews the exam tier would serve now; left out of the JSON when 0

    @model_serializer(mode="wrap")
    def _without_zero_exam(self, handler) -> dict:
        data = handler(self)
        if not data.get("exam"):
            data.pop("exam", None)
        return data


class NextCard(SQLModel):
    card: ReviewCard | None
    counts: QueueCounts


class RatingIn(SQLModel):
    rating: int = Field(ge=1, le=4)
    duration_ms: int = Field(default=0, ge=0, le=24 * 3600 * 1000)
    typed_answer: str | None = Field(default=None, max_length=5000)


class RatingOut(SQLModel):
    card_id: int
    rating: int
    state: str
    due: datetime
    interval_label: str
    next: NextCard | None = None  # the card to show now, so a review costs one round trip


class UndoOut(SQLModel):
    rating: int  # the rating that was taken back
    card: ReviewCard  # the restored card, to show again


class ReviewLogPublic(SQLModel):
    id: int
    card_id: int
    note_id: int
    deck_id: int
    rating: int
    state_before: str
    reviewed_at: datetime
    duration_ms: int
    scheduled_seconds: int


class FeedbackIn(SQLModel):
    typed: str = Field(default="", max_length=2000)


class FeedbackOut(SQLModel):
    """The built-in scorer's suggestion; `stream_id` names the written feedback streaming over
    /ws (feedback.delta … feedback.done | feedback.error) when a language model is configured."""

    suggested_rating: int
    label: str
    similarity: float
    coverage: float
    missing_terms: list[str]
    reason: str
    stream_id: str | None = None
