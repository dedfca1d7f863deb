"""Requests for printable documents: a quiz (from a deck, a tag or a lecture's cards) and a study guide."""

from __future__ import annotations

from pydantic import field_validator, model_validator
from sqlmodel import Field, SQLModel

MAX_QUESTIONS = 100


class QuizRequest(SQLModel):
    """Exactly one source: `deck_id`, `tag`, or `lecture_id` (the cards that cite that lecture)."""

    deck_id: int | None = None
    tag: str | None = Field(default=None, max_length=64)
    lecture_id: int | None = None
    weakest: bool = False  # the cards with the lowest predicted recall today, instead of a random pick
    count: int = Field(default=20, ge=1, le=MAX_QUESTIONS)
    multiple_choice_share: float = Field(default=0.5, ge=0.0, le=1.0)
    title: str | None = Field(default=None, max_length=200)

    @field_validator("tag", "title")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _one_source(self) -> QuizRequest:
        given = [self.deck_id is not None, self.tag is not None, self.lecture_id is not None]
        if sum(given) != 1:
            raise ValueError("Choose one source for the quiz: a deck, a tag or a lecture")
        return self


class GuideRequest(SQLModel):
    lecture_id: int
    title: str | None = Field(default=None, max_length=200)

    @field_validator("title")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None
