"""Exam dates: until a deck's exam, the queue pulls reviews forward so that predicted recall at the
exam meets the user's desired retention, within their daily review budget; after it, nothing changes.

The exam moment is the start of the exam date's study day (the user's time zone and day start hour).
This module holds the exam API's domain functions and the plan; processing/exam_queue.py holds what
the review queue does with an upcoming exam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fsrs import Scheduler
from sqlmodel import Session

from db import RawSQL, as_sql
from models.common import utcnow
from models.exam import DeckExam, ExamPlan, ExamPublic
from models.review import CardStateKind
from models.user import Learner, User
from processing import srs
from processing.errors import BadRequest

MAX_DAYS_AHEAD = 2 * 366  # an exam further out is almost certainly a typo
MARGIN_DAYS = 3  # new cards should all be introduced this many study days before the exam
NEW_CARD_REVIEWS = 3  # about what a new card costs on its first day (learning steps) and before the exam


@dataclass(frozen=True)
class UpcomingExam:
    deck_id: int
    deck_name: str
    exam_date: date
    moment: datetime  # UTC start of the exam date's study day
    days_left: int  # study days before the exam, today included
    budget: int  # the user's exam_daily_budget


def study_date(user: User | Learner, now: datetime) -> date:
    """The date of the user's current study day."""
    return srs.day_start(user, now).astimezone(ZoneInfo(user.timezone)).date()


def exam_moment(user: User | Learner, exam_date: date) -> datetime:
    zone = ZoneInfo(user.timezone)
    return datetime(exam_date.year, exam_date.month, exam_date.day, user.day_start_hour, tzinfo=zone).astimezone(UTC)


def format_day(day: date) -> str:
    return f"{day.day} {day:%b}"  # "12 Dec"


# --- which exams are coming: one indexed lookup (deck_exam's key), on every queue request ----------

_UPCOMING = (
    'SELECT deck_exam.deck_id, deck_exam.exam_date, deck.name AS deck_name, "user".exam_daily_budget AS budget'
    ' FROM deck_exam JOIN deck ON deck.id = deck_exam.deck_id JOIN "user" ON "user".id = deck_exam.user_id'
    " WHERE deck_exam.user_id = :user_id"
)
_UPCOMING_IN_DECK = _UPCOMING + " AND deck_exam.deck_id = :deck_id"


def _read_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def upcoming(sql: RawSQL, *, user: User | Learner, deck_id: int | None, now: datetime) -> list[UpcomingExam]:
    """The user's exams still ahead (of `deck_id` only, when given), soonest first."""
    rows = sql.all(_UPCOMING if deck_id is None else _UPCOMING_IN_DECK, {"user_id": user.id, "deck_id": deck_id})
    if not rows:  # the common case, kept to the one lookup: no time zone arithmetic
        return []
    today = study_date(user, now)
    exams = [
        UpcomingExam(
            deck_id=row["deck_id"],
            deck_name=row["deck_name"],
            exam_date=(day := _read_date(row["exam_date"])),
            moment=exam_moment(user, day),
            days_left=(day - today).days,
            budget=row["budget"],
        )
        for row in rows
        if _read_date(row["exam_date"]) > today
    ]
    return sorted(exams, key=lambda e: (e.exam_date, e.deck_id))


# --- predicted recall and the plan (pure functions over card_state rows) -------------------------


def recall_at(scheduler: Scheduler, state: dict, moment: datetime) -> float:
    """FSRS's predicted recall of a card at `moment`; 0 for a card never reviewed."""
    if state["state"] == CardStateKind.new or state["stability"] is None or state["last_review"] is None:
        return 0.0
    return scheduler.get_card_retrievability(srs.to_fsrs(state, moment), moment)


def needs_review(scheduler: Scheduler, state: dict, *, moment: datetime, target: float) -> tuple[bool, float]:
    """Whether the card must be reviewed before the exam (recall there below target, or due before
    it anyway), and its predicted recall at the exam."""
    recall = recall_at(scheduler, state, moment)
    return recall < target or (state["due"] is not None and state["due"] < moment), recall


def make_plan(
    states: list[dict], *, scheduler: Scheduler, target: float, moment: datetime, days_left: int, budget: int
) -> ExamPlan:
    """What meeting `target` at `moment` takes, from the deck's unsuspended card_state rows."""
    new = sum(1 for s in states if s["state"] == CardStateKind.new)
    below = sum(1 for s in states if s["state"] != CardStateKind.new and recall_at(scheduler, s, moment) < target)
    per_day = math.ceil((below + new * NEW_CARD_REVIEWS) / days_left) if days_left > 0 else 0
    return ExamPlan(
        days_left=max(0, days_left),
        cards_total=len(states),
        cards_new=new,
        cards_below_target=below,
        target=target,
        reviews_per_day=per_day,
        budget=budget,
        fits_budget=per_day <= budget,
        summary=_summary(days_left=days_left, new=new, below=below, per_day=per_day, budget=budget),
    )


def _summary(*, days_left: int, new: int, below: int, per_day: int, budget: int) -> str:
    if days_left <= 0:
        return "The exam date has passed: normal scheduling has resumed"
    parts = ["Exam tomorrow" if days_left == 1 else f"Exam in {days_left} days"]
    if new:
        parts.append(f"{new} card{'s' if new != 1 else ''} not seen yet")
    if not new and not below:
        parts.append("on track: every card should be remembered on the day")
    else:
        parts.append(f"about {per_day} review{'s' if per_day != 1 else ''} a day")
    if per_day > budget:
        parts.append(f"more than your daily budget of {budget}")
    return " · ".join(parts)


# --- the API's domain functions ----------------------------------------------------------------

_DECK_STATES = (
    f"SELECT {srs._STATE_COLUMNS} FROM card_state WHERE user_id = :user_id AND deck_id = :deck_id AND suspended = :no"
)


def _plan(session: Session, *, user: User, deck_id: int, exam_date: date, now: datetime) -> ExamPlan:
    sql = as_sql(session)
    rows = sql.all(_DECK_STATES, {"user_id": user.id, "deck_id": deck_id, "no": False})
    states = [srs._read_state(sql, row) for row in rows]
    return make_plan(
        states,
        scheduler=srs.scheduler_for(user, fuzz=False),
        target=user.desired_retention,
        moment=exam_moment(user, exam_date),
        days_left=(exam_date - study_date(user, now)).days,
        budget=user.exam_daily_budget,
    )


def _public(session: Session, *, user: User, exam: DeckExam, deck_name: str, now: datetime) -> ExamPublic:
    plan = _plan(session, user=user, deck_id=exam.deck_id, exam_date=exam.exam_date, now=now)
    return ExamPublic(deck_id=exam.deck_id, deck_name=deck_name, exam_date=exam.exam_date, plan=plan)


def _deck_name(session: Session, *, user: User, deck_id: int) -> str:
    sql = as_sql(session)
    srs.check_deck(sql, user=user, deck_id=deck_id)  # the queue's rule: a deck you cannot study is 404
    return sql.scalar("SELECT name FROM deck WHERE id = :deck_id", {"deck_id": deck_id})


def set_exam(session: Session, *, user: User, deck_id: int, exam_date: date, now: datetime | None = None) -> ExamPublic:
    """Sets (or moves) the user's exam on a deck; the date must be after today, in the user's time zone."""
    now = now or utcnow()
    name = _deck_name(session, user=user, deck_id=deck_id)
    today = study_date(user, now)
    if exam_date <= today:
        when = "today" if exam_date == today else "in the past"
        raise BadRequest(f"The exam date {exam_date.isoformat()} is {when}: choose a day after today")
    if exam_date > today + timedelta(days=MAX_DAYS_AHEAD):
        raise BadRequest("The exam date is more than two years away: check the year")
    exam = session.get(DeckExam, (user.id, deck_id)) or DeckExam(user_id=user.id, deck_id=deck_id, exam_date=exam_date)
    exam.exam_date = exam_date
    session.add(exam)
    session.commit()
    return _public(session, user=user, exam=exam, deck_name=name, now=now)


def clear_exam(session: Session, *, user: User, deck_id: int) -> None:
    """Removes the exam date (nothing to remove is fine): the deck goes back to normal scheduling."""
    _deck_name(session, user=user, deck_id=deck_id)
    exam = session.get(DeckExam, (user.id, deck_id))
    if exam is not None:
        session.delete(exam)
        session.commit()


def get_exam(session: Session, *, user: User, deck_id: int, now: datetime | None = None) -> ExamPublic | None:
    """The deck's exam and its plan (also after the date, saying normal scheduling has resumed)."""
    name = _deck_name(session, user=user, deck_id=deck_id)
    exam = session.get(DeckExam, (user.id, deck_id))
    return None if exam is None else _public(session, user=user, exam=exam, deck_name=name, now=now or utcnow())


def list_exams(session: Session, *, user: User, now: datetime | None = None) -> list[ExamPublic]:
    """Upcoming exams, soonest first, with their plans (for badges on the deck list)."""
    now = now or utcnow()
    out = []
    for exam in upcoming(as_sql(session), user=user, deck_id=None, now=now):
        row = DeckExam(user_id=user.id, deck_id=exam.deck_id, exam_date=exam.exam_date)
        out.append(_public(session, user=user, exam=row, deck_name=exam.deck_name, now=now))
    return out
