"""Review scheduling with FSRS-6 (the `fsrs` package): the due queue, ratings, interval previews, undo.

State lives in card_state, one row per (user, card); state 0 means "never reviewed" (ours),
1–3 are fsrs.State. New cards are introduced up to the user's daily limit, counted in the
user's own day (time zone + day start hour). When nothing else is due, learning cards due
within LEARN_AHEAD are shown early, as Anki does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from sqlalchemy import and_, bindparam, false, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from models.common import UTCDateTime, utcnow
from models.deck import Deck
from models.note import Card, Note
from models.review import (
    CardState,
    CardStateKind,
    Interval,
    NextCard,
    QueueCounts,
    RatingIn,
    RatingOut,
    ReviewCard,
    ReviewLog,
    ReviewLogPublic,
    UndoOut,
)
from models.user import User
from processing.decks import get_owned_deck
from processing.errors import NotFound

LEARN_AHEAD = timedelta(minutes=20)
STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}
_STATE_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses", "suspended")


def scheduler_for(user: User, *, fuzz: bool = True) -> Scheduler:
    return Scheduler(desired_retention=user.desired_retention, enable_fuzzing=fuzz)


def day_start(user: User, now: datetime) -> datetime:
    """The UTC instant the user's current study day began."""
    zone = ZoneInfo(user.timezone)
    local = now.astimezone(zone) - timedelta(hours=user.day_start_hour)
    start = datetime(local.year, local.month, local.day, user.day_start_hour, tzinfo=zone)
    return start.astimezone(UTC)


def format_interval(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{round(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


def _to_fsrs(state: CardState, now: datetime) -> FsrsCard:
    if state.state == CardStateKind.new:
        return FsrsCard(card_id=state.card_id, state=State.Learning, step=0, due=now)
    return FsrsCard(
        card_id=state.card_id,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due,
        last_review=state.last_review,
    )


def preview_intervals(scheduler: Scheduler, state: CardState, now: datetime) -> dict[str, Interval]:
    """What each rating would give, without fuzz (as Anki shows it)."""
    out = {}
    for rating in Rating:
        card, _log = scheduler.review_card(_to_fsrs(state, now), rating, review_datetime=now)
        seconds = max(0, int((card.due - now).total_seconds()))
        out[str(int(rating))] = Interval(seconds=seconds, label=format_interval(seconds))
    return out


# --- the queue: prebuilt Core statements (this is the hot path; the ORM costs ~10x here) -------

_cs = CardState.__table__
_card, _note, _deck = Card.__table__, Note.__table__, Deck.__table__
_NOW = bindparam("now", type_=UTCDateTime())
_LEARNING = (CardStateKind.learning, CardStateKind.relearning)


def _statements(scoped: bool) -> dict:
    mine = [_cs.c.user_id == bindparam("user_id"), _cs.c.suspended == false()]
    if scoped:
        mine.append(_cs.c.deck_id == bindparam("deck_id"))
    pick = sa_select(_cs).where(*mine).limit(1)
    new_ids = sa_select(_cs.c.card_id).where(*mine, _cs.c.state == CardStateKind.new).limit(bindparam("limit"))
    return {
        # Learning cards count once they are within LEARN_AHEAD, since they are shown then.
        "due_counts": sa_select(_cs.c.state, func.count())
        .where(
            *mine,
            or_(
                and_(_cs.c.state.in_(_LEARNING), _cs.c.due <= bindparam("ahead", type_=UTCDateTime())),
                and_(_cs.c.state == CardStateKind.review, _cs.c.due <= _NOW),
            ),
        )
        .group_by(_cs.c.state),
        "new_available": sa_select(func.count()).select_from(new_ids.subquery()),
        "learning_due": pick.where(_cs.c.state.in_(_LEARNING), _cs.c.due <= _NOW).order_by(_cs.c.due),
        "review_due": pick.where(_cs.c.state == CardStateKind.review, _cs.c.due <= _NOW).order_by(_cs.c.due),
        "new": pick.where(_cs.c.state == CardStateKind.new).order_by(_cs.c.card_id),
        "learn_ahead": pick.where(
            _cs.c.state.in_(_LEARNING), _cs.c.due <= bindparam("ahead", type_=UTCDateTime())
        ).order_by(_cs.c.due),
    }


_QUEUE = {False: _statements(False), True: _statements(True)}
_NEW_TODAY = sa_select(func.count()).where(
    ReviewLog.__table__.c.user_id == bindparam("user_id"),
    ReviewLog.__table__.c.state_before == CardStateKind.new,
    ReviewLog.__table__.c.reviewed_at >= bindparam("since", type_=UTCDateTime()),
)
_CARD_FOR_REVIEW = (
    sa_select(
        _card.c.id,
        _card.c.note_id,
        _card.c.ord,
        _card.c.front_html,
        _card.c.back_html,
        _card.c.answer,
        _note.c.kind,
        _note.c.deck_id,
        _note.c.tags,
        _deck.c.name.label("deck_name"),
    )
    .join(_note, _note.c.id == _card.c.note_id)
    .join(_deck, _deck.c.id == _note.c.deck_id)
    .where(_card.c.id == bindparam("card_id"))
)
_STATE_ROW = sa_select(_cs).where(_cs.c.user_id == bindparam("user_id"), _cs.c.card_id == bindparam("card_id"))


def new_remaining(session: Session, *, user: User, now: datetime) -> int:
    introduced = session.connection().execute(_NEW_TODAY, {"user_id": user.id, "since": day_start(user, now)}).scalar()
    return max(0, user.new_cards_per_day - introduced)


def queue_counts(session: Session, *, user: User, deck_id: int | None, now: datetime) -> QueueCounts:
    conn, stmts = session.connection(), _QUEUE[deck_id is not None]
    params = {"user_id": user.id, "deck_id": deck_id, "now": now, "ahead": now + LEARN_AHEAD}
    by_state = dict(conn.execute(stmts["due_counts"], params).all())
    remaining = new_remaining(session, user=user, now=now)
    # Counting stops at the daily limit: a deck of 10,000 new cards costs no more than one of 20.
    new_available = conn.execute(stmts["new_available"], params | {"limit": remaining}).scalar() if remaining else 0
    return QueueCounts(
        new=new_available,
        learning=by_state.get(CardStateKind.learning, 0) + by_state.get(CardStateKind.relearning, 0),
        review=by_state.get(CardStateKind.review, 0),
    )


def next_card(session: Session, *, user: User, deck_id: int | None, now: datetime | None = None) -> NextCard:
    """Learning cards due now, then reviews due now, then new cards (within today's limit),
    then learning cards due within LEARN_AHEAD."""
    now = now or utcnow()
    if deck_id is not None:
        get_owned_deck(session, user=user, deck_id=deck_id)
    counts = queue_counts(session, user=user, deck_id=deck_id, now=now)
    conn, stmts = session.connection(), _QUEUE[deck_id is not None]
    params = {"user_id": user.id, "deck_id": deck_id, "now": now, "ahead": now + LEARN_AHEAD}
    order = ["learning_due", "review_due"] + (["new"] if counts.new > 0 else []) + ["learn_ahead"]
    for name in order:
        state = conn.execute(stmts[name], params).first()
        if state is not None:
            return NextCard(card=_review_card(session, user=user, state=state, now=now), counts=counts)
    return NextCard(card=None, counts=counts)


def _review_card(session: Session, *, user: User, state, now: datetime) -> ReviewCard:
    row = session.connection().execute(_CARD_FOR_REVIEW, {"card_id": state.card_id}).one()
    return ReviewCard(
        id=row.id,
        note_id=row.note_id,
        ord=row.ord,
        kind=row.kind,
        deck_id=row.deck_id,
        deck_name=row.deck_name,
        front_html=row.front_html,
        back_html=row.back_html,
        answer=row.answer,
        tags=row.tags.split(),
        state=STATE_NAMES[state.state],
        intervals=preview_intervals(scheduler_for(user, fuzz=False), state, now),
    )


def _restore(state: CardState, snapshot: str) -> None:
    values = json.loads(snapshot)
    for key in ("due", "last_review"):
        values[key] = datetime.fromisoformat(values[key]) if values[key] else None
    for field, value in values.items():
        setattr(state, field, value)


def _snapshot(state) -> str:
    values = {f: getattr(state, f) for f in _STATE_FIELDS}
    for key in ("due", "last_review"):
        values[key] = values[key].isoformat() if values[key] else None
    return json.dumps(values)


def rate(session: Session, *, user: User, card_id: int, rating_in: RatingIn, now: datetime | None = None) -> RatingOut:
    now = now or utcnow()
    conn = session.connection()
    state = conn.execute(_STATE_ROW, {"user_id": user.id, "card_id": card_id}).first()
    if state is None:
        raise NotFound("Card not found")
    if state.suspended:
        raise NotFound("This card is suspended; unsuspend it to review it")
    reviewed, _log = scheduler_for(user).review_card(
        _to_fsrs(state, now), Rating(rating_in.rating), review_datetime=now, review_duration=rating_in.duration_ms
    )
    lapsed = rating_in.rating == Rating.Again and state.state == CardStateKind.review
    conn.execute(
        update(_cs)
        .where(_cs.c.user_id == user.id, _cs.c.card_id == card_id)
        .values(
            state=int(reviewed.state),
            step=reviewed.step,
            stability=reviewed.stability,
            difficulty=reviewed.difficulty,
            due=reviewed.due,
            last_review=now,
            reps=state.reps + 1,
            lapses=state.lapses + int(lapsed),
        )
    )
    seconds = max(0, int((reviewed.due - now).total_seconds()))
    conn.execute(
        insert(ReviewLog.__table__).values(
            user_id=user.id,
            card_id=card_id,
            rating=rating_in.rating,
            reviewed_at=now,
            duration_ms=rating_in.duration_ms,
            state_before=state.state,
            scheduled_seconds=seconds,
            previous=_snapshot(state),
        )
    )
    session.commit()
    return RatingOut(
        card_id=card_id,
        rating=rating_in.rating,
        state=STATE_NAMES[int(reviewed.state)],
        due=reviewed.due,
        interval_label=format_interval(seconds),
    )


def undo_last(session: Session, *, user: User) -> UndoOut:
    """Restores the card of the user's latest review exactly as it was and deletes that log row."""
    log = session.exec(
        select(ReviewLog)
        .where(ReviewLog.user_id == user.id)
        .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc())
        .limit(1)
    ).first()
    if log is None:
        raise NotFound("Nothing to undo")
    state = session.get(CardState, (user.id, log.card_id))
    note_id = session.exec(select(Card.note_id).where(Card.id == log.card_id)).one()
    if state is not None:
        _restore(state, log.previous)
        session.add(state)
    session.delete(log)
    session.commit()
    return UndoOut(card_id=log.card_id, note_id=note_id, rating=log.rating)


def review_log(session: Session, *, user: User, limit: int, deck_id: int | None) -> list[ReviewLogPublic]:
    query = (
        select(ReviewLog, Card.note_id, Note.deck_id)
        .join(Card, Card.id == ReviewLog.card_id)
        .join(Note, Note.id == Card.note_id)
        .where(ReviewLog.user_id == user.id)
    )
    if deck_id is not None:
        query = query.where(Note.deck_id == deck_id)
    rows = session.exec(query.order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc()).limit(limit)).all()
    return [
        ReviewLogPublic(
            id=log.id,
            card_id=log.card_id,
            note_id=note_id,
            deck_id=deck_id_,
            rating=log.rating,
            state_before=STATE_NAMES[log.state_before],
            reviewed_at=log.reviewed_at,
            duration_ms=log.duration_ms,
            scheduled_seconds=log.scheduled_seconds,
        )
        for log, note_id, deck_id_ in rows
    ]
