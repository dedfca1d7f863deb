"""Exam dates per (user, deck) and the study plan that leads up to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class DeckExam(SQLModel, table=True):
    """One learner's exam on one deck: two people studying a shared deck may sit different exams."""

    __tablename__ = "deck_exam"
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", primary_key=True)
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE", primary_key=True)
    # A date in the user's time zone; the exam moment is the start of that study day.
    exam_date: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas ---------------------------------------------------------------


class ExamIn(SQLModel):
    exam_date: date


class ExamPlan(SQLModel):
    """What reaching the desired retention on the exam day takes, from the cards' current state."""

    days_left: int  # study days before the exam (today included)
    cards_total: int  # unsuspended cards of the deck
    cards_new: int  # not introduced yet
    cards_below_target: int  # introduced, but predicted recall at the exam is below the target
    target: float  # the user's desired retention
    reviews_per_day: int  # about how many reviews a day the plan needs
    budget: int  # the user's exam daily review budget
    fits_budget: bool
    summary: str  # "Exam in 12 days · 40 cards not seen yet · about 35 reviews a day"


class ExamPublic(SQLModel):
    deck_id: int
    deck_name: str
    exam_date: date
    plan: ExamPlan


class ExamNote(SQLModel):
    """Why the review screen shows a card early: it came through the exam tier of the queue."""

    deck_id: int
    exam_date: date
    reason: str  # "Early review for your exam on 12 Dec"
