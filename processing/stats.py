"""Study statistics from the review log and the scheduling state, in the user's own days.

A study day starts at the user's `day_start_hour` in their time zone (as the review queue counts it,
processing/srs.py `day_start`): a review at 02:30 with a 4 o'clock day start belongs to the day before.
Every figure is computed from the rows themselves, so the numbers match the log exactly.

True retention counts a review as passed when it is not "Again" (Hard, Good and Easy recall the card),
over mature reviews: those of a card whose previous review scheduled it at least 21 days ahead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session, select

from db import read_time
from models.deck import Deck
from models.stats import DayCount, DeckStats, ForecastDay, Retention, StateCounts, Stats, Streak
from models.user import User
from processing.decks import get_readable_deck, studied_deck_ids

MATURE_SECONDS = 21 * 86_400
FORECAST_DAYS = 30
HEATMAP_DAYS = 365

_REVIEWS = """
SELECT r.reviewed_at, r.rating, r.duration_ms, s.deck_id,
       LAG(r.scheduled_seconds) OVER (PARTITION BY r.card_id ORDER BY r.reviewed_at, r.id) AS interval_before
FROM review_log r JOIN card_state s ON s.user_id = r.user_id AND s.card_id = r.card_id
WHERE r.user_id = :user_id
"""
_STATES = """
SELECT s.deck_id, s.state, s.suspended, s.due FROM card_state s WHERE s.user_id = :user_id
"""


@dataclass
class _Tally:
    reviews: int = 0
    seconds: float = 0.0
    passed: int = 0
    mature_passed: int = 0
    mature_total: int = 0
    days: Counter = field(default_factory=Counter)
    day_seconds: Counter = field(default_factory=Counter)

    def add(self, day: date, rating: int, duration_ms: int, interval_before: int | None) -> None:
        self.reviews += 1
        self.seconds += duration_ms / 1000
        self.passed += rating > 1
        self.days[day] += 1
        self.day_seconds[day] += duration_ms / 1000
        if interval_before is not None and interval_before >= MATURE_SECONDS:
            self.mature_total += 1
            self.mature_passed += rating > 1

    def retention(self) -> Retention:
        return Retention(
            mature_passed=self.mature_passed,
            mature_total=self.mature_total,
            mature_rate=_rate(self.mature_passed, self.mature_total),
            passed=self.passed,
            total=self.reviews,
            rate=_rate(self.passed, self.reviews),
        )


def _rate(passed: int, total: int) -> float | None:
    return round(passed / total, 4) if total else None


def study_day(moment: datetime, *, zone: ZoneInfo, day_start_hour: int) -> date:
    """The user's study day of a UTC instant."""
    return (moment.astimezone(zone) - timedelta(hours=day_start_hour)).date()


def stats(session: Session, *, user: User, now: datetime, deck_id: int | None = None) -> Stats:
    if deck_id is not None:
        get_readable_deck(session, user=user, deck_id=deck_id)  # a subscribed deck too: the figures are yours
    zone = ZoneInfo(user.timezone)
    today = study_day(now, zone=zone, day_start_hour=user.day_start_hour)
    overall, per_deck = _Tally(), defaultdict(_Tally)
    for reviewed_at, rating, duration_ms, review_deck, interval_before in session.execute(
        text(_REVIEWS), {"user_id": user.id}
    ):
        if deck_id is not None and review_deck != deck_id:
            continue
        day = study_day(read_time(reviewed_at), zone=zone, day_start_hour=user.day_start_hour)
        overall.add(day, rating, duration_ms, interval_before)
        per_deck[review_deck].add(day, rating, duration_ms, interval_before)
    states, forecast, deck_cards, deck_due = _scheduling(session, user=user, deck_id=deck_id, zone=zone, today=today)
    first_day = today - timedelta(days=HEATMAP_DAYS - 1)
    heatmap = [
        DayCount(date=day, reviews=count, seconds=round(overall.day_seconds[day], 1))
        for day, count in sorted(overall.days.items())
        if first_day <= day <= today
    ]
    return Stats(
        timezone=user.timezone,
        day_start_hour=user.day_start_hour,
        today=today,
        deck_id=deck_id,
        reviews=overall.reviews,
        time_seconds=round(overall.seconds, 1),
        days_studied=len(overall.days),
        reviews_today=overall.days[today],
        heatmap=heatmap,
        retention=overall.retention(),
        streak=_streak(set(overall.days), today),
        forecast=forecast,
        states=states,
        decks=_deck_rows(session, user=user, per_deck=per_deck, cards=deck_cards, due=deck_due, deck_id=deck_id),
    )


def _scheduling(
    session: Session, *, user: User, deck_id: int | None, zone: ZoneInfo, today: date
) -> tuple[StateCounts, list[ForecastDay], Counter, Counter]:
    counts: Counter = Counter()
    due_by_day: Counter = Counter()
    deck_cards: Counter = Counter()
    deck_due: Counter = Counter()
    for card_deck, state, suspended, due in session.execute(text(_STATES), {"user_id": user.id}):
        if deck_id is not None and card_deck != deck_id:
            continue
        deck_cards[card_deck] += 1
        if suspended:
            counts["suspended"] += 1
            continue
        counts[("new", "learning", "review", "relearning")[state]] += 1
        if state == 0 or due is None:
            continue
        day = max(study_day(read_time(due), zone=zone, day_start_hour=user.day_start_hour), today)  # overdue: today
        offset = (day - today).days
        if offset < FORECAST_DAYS:
            due_by_day[offset] += 1
        if offset == 0:
            deck_due[card_deck] += 1
    forecast = [ForecastDay(date=today + timedelta(days=i), due=due_by_day[i]) for i in range(FORECAST_DAYS)]
    return StateCounts(**{name: counts[name] for name in StateCounts.model_fields}), forecast, deck_cards, deck_due


def _streak(days: set[date], today: date) -> Streak:
    """Current: consecutive study days up to today, or up to yesterday while today is still open."""
    current, day = 0, today if today in days else today - timedelta(days=1)
    while day in days:
        current += 1
        day -= timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return Streak(current=current, longest=longest)


def _deck_rows(
    session: Session, *, user: User, per_deck: dict, cards: Counter, due: Counter, deck_id: int | None
) -> list[DeckStats]:
    studied = studied_deck_ids(session, user=user)  # own and subscribed decks
    names = dict(session.exec(select(Deck.id, Deck.name).where(Deck.id.in_(studied))).all())
    wanted = [deck_id] if deck_id is not None else sorted(set(names) | set(per_deck), key=lambda d: names.get(d, ""))
    rows = []
    for deck in wanted:
        tally = per_deck.get(deck, _Tally())
        rows.append(
            DeckStats(
                deck_id=deck,
                name=names.get(deck, "(another user's deck)"),
                cards=cards[deck],
                due_today=due[deck],
                reviews=tally.reviews,
                time_seconds=round(tally.seconds, 1),
                retention=tally.retention(),
            )
        )
    return rows
