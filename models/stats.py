"""The stats page's one answer: every figure of the user's study, in their own days (processing/stats.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import SQLModel


class DayCount(SQLModel):
    date: date
    reviews: int
    seconds: float


class ForecastDay(SQLModel):
    date: date
    due: int  # cards due that day (today includes the overdue ones)


class Retention(SQLModel):
    """Passed = rated Hard, Good or Easy. Mature: the card's previous interval was >= 21 days."""

    mature_passed: int
    mature_total: int
    mature_rate: float | None  # None without mature reviews
    passed: int
    total: int
    rate: float | None


class Streak(SQLModel):
    current: int
    longest: int


class StateCounts(SQLModel):
    new: int = 0
    learning: int = 0
    review: int = 0
    relearning: int = 0
    suspended: int = 0


class DeckStats(SQLModel):
    deck_id: int
    name: str
    cards: int
    due_today: int
    reviews: int
    time_seconds: float
    retention: Retention


class Stats(SQLModel):
    timezone: str
    day_start_hour: int
    today: date  # the user's current study day
    deck_id: int | None
    reviews: int
    time_seconds: float
    days_studied: int
    reviews_today: int
    heatmap: list[DayCount]  # days with reviews in the last 365 study days, oldest first
    retention: Retention
    streak: Streak
    forecast: list[ForecastDay]  # the next 30 study days, today first
    states: StateCounts
    decks: list[DeckStats]
