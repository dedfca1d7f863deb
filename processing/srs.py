"""Review scheduling with FSRS-6 (the `fsrs` package): the due queue, ratings, interval previews, undo.

State lives in card_state, one row per (user, card); state 0 means "never reviewed" (ours),
1–3 are fsrs.State. New cards are introduced up to the user's daily limit, counted in the
user's own day (time zone + day start hour). When nothing else is due, learning cards due
within LEARN_AHEAD are shown early, as Anki does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from sqlmodel import Session, select

from db import RawSQL, as_sql
from models.common import utcnow
from models.exam import ExamNote
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
from models.user import Learner, User
from processing.errors import NotFound

LEARN_AHEAD = timedelta(minutes=20)
COUNT_CAP = 1000  # queue counts stop here; the browser shows "1000+"
SIBLING_LOOKAHEAD = 8  # candidates read per queue when looking past siblings of today's cards
STATE_NAMES = {0: "new", 1: "learning", 2: "review", 3: "relearning"}
_STATE_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses", "suspended")


def scheduler_for(user: User | Learner, *, fuzz: bool = True) -> Scheduler:
    """FSRS with the user's desired retention, and their personal weights once fitted (processing/optimize.py)."""
    if user.fsrs_parameters:
        parameters = tuple(json.loads(user.fsrs_parameters))
        return Scheduler(parameters=parameters, desired_retention=user.desired_retention, enable_fuzzing=fuzz)
    return Scheduler(desired_retention=user.desired_retention, enable_fuzzing=fuzz)


def day_start(user: User | Learner, now: datetime) -> datetime:
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


def to_fsrs(state: dict, now: datetime) -> FsrsCard:
    """A card_state row as py-fsrs's Card (a new card as a learning card at step 0, due now)."""
    if state["state"] == CardStateKind.new:
        return FsrsCard(card_id=state["card_id"], state=State.Learning, step=0, due=now)
    return FsrsCard(
        card_id=state["card_id"],
        state=State(state["state"]),
        step=state["step"],
        stability=state["stability"],
        difficulty=state["difficulty"],
        due=state["due"],
        last_review=state["last_review"],
    )


def preview_intervals(scheduler: Scheduler, state: dict, now: datetime) -> dict[str, Interval]:
    """What each rating would give, without fuzz (as Anki shows it)."""
    out = {}
    for rating in Rating:
        card, _log = scheduler.review_card(to_fsrs(state, now), rating, review_datetime=now)
        seconds = max(0, int((card.due - now).total_seconds()))
        out[str(int(rating))] = Interval(seconds=seconds, label=format_interval(seconds))
    return out


# --- the queue: the hot path, in plain SQL through db.RawSQL (see there why) --------------------

_STATE_COLUMNS = "card_id, state, step, stability, difficulty, due, last_review, reps, lapses, suspended"


def _statements(scoped: bool) -> dict[str, str]:
    # Every statement reads one range of ix_card_state_deck_queue (or ix_card_state_queue).
    mine = "FROM card_state WHERE user_id = :user_id AND suspended = :no" + (
        " AND deck_id = :deck_id" if scoped else ""
    )
    pick = f"SELECT {_STATE_COLUMNS} {mine}"
    return {
        # Learning cards count once they are within LEARN_AHEAD, since they are shown then. Counts
        # stop at COUNT_CAP (shown as "1000+"): a backlog of 9,000 due cards costs what 1,000 do.
        "learning_count": f"SELECT COUNT(*) FROM (SELECT 1 {mine} AND state IN (1, 3) AND due <= :ahead LIMIT :cap) l",
        "review_count": f"SELECT COUNT(*) FROM (SELECT 1 {mine} AND state = 2 AND due <= :now LIMIT :cap) r",
        # Counting stops at the daily limit: a deck of 10,000 new cards costs no more than one of 20.
        "new_available": f"SELECT COUNT(*) FROM (SELECT 1 {mine} AND state = 0 LIMIT :limit) AS new_cards",
        "learning_due": f"{pick} AND state IN (1, 3) AND due <= :now ORDER BY due LIMIT 1",
        # Reviews and new cards: a few candidates, so a sibling of a card seen today can wait.
        "review_due": f"{pick} AND state = 2 AND due <= :now ORDER BY due LIMIT {SIBLING_LOOKAHEAD}",
        # A new card's due is when it was created: its place in the new-card queue.
        "new": f"{pick} AND state = 0 ORDER BY due LIMIT {SIBLING_LOOKAHEAD}",
        "learn_ahead": f"{pick} AND state IN (1, 3) AND due <= :ahead ORDER BY due LIMIT 1",
    }


_QUEUE = {False: _statements(False), True: _statements(True)}
_NEW_TODAY = (
    "SELECT COUNT(*) FROM (SELECT 1 FROM review_log WHERE user_id = :user_id AND state_before = 0"
    " AND reviewed_at >= :since LIMIT :limit) AS introduced"
)
_CARD_FOR_REVIEW = (
    "SELECT card.id, card.note_id, card.ord, card.front_html, card.back_html, card.answer, note.kind, note.deck_id,"
    " note.tags, note.source_lecture_id, note.source_page, deck.name AS deck_name FROM card"
    " JOIN note ON note.id = card.note_id"
    " JOIN deck ON deck.id = note.deck_id WHERE card.id = :card_id"
)
_STATE_ROW = f"SELECT {_STATE_COLUMNS} FROM card_state WHERE user_id = :user_id AND card_id = :card_id"
# The deck's owner, or a subscriber (processing/sharing.py): both have scheduling states for its cards.
_DECK_OWNER = (
    "SELECT 1 FROM deck WHERE id = :deck_id AND (owner_id = :user_id OR EXISTS (SELECT 1 FROM deck_subscription"
    " WHERE deck_subscription.deck_id = deck.id AND deck_subscription.user_id = :user_id))"
)
_NOTES_OF = "SELECT id, note_id FROM card WHERE id IN ({ids})"
# Through card.note_id and card_state's key: proportional to the candidates' siblings, not to
# the number of reviews done today.
# (EXISTS keeps SQLite from driving the query from all of the user's card_state rows.)
_NOTES_SEEN_TODAY = (
    "SELECT DISTINCT card.note_id FROM card WHERE card.note_id IN ({notes}) AND EXISTS (SELECT 1 FROM card_state"
    " WHERE card_state.user_id = :user_id AND card_state.card_id = card.id AND card_state.last_review >= :since)"
)


def _in_params(prefix: str, values: list[int]) -> tuple[str, dict]:
    names = [f"{prefix}{i}" for i in range(len(values))]
    return ", ".join(f":{n}" for n in names), dict(zip(names, values, strict=True))


def _split_siblings(sql: RawSQL, *, user: User | Learner, candidates: list[dict], since: str) -> tuple[list, list]:
    """Candidates whose note had no card reviewed today, and those that did (siblings wait:
    the answer of "perro → dog" must not come right before "dog → perro")."""
    if not candidates:
        return [], []
    ids, id_params = _in_params("c", [c["card_id"] for c in candidates])
    note_of = {r["id"]: r["note_id"] for r in sql.all(_NOTES_OF.format(ids=ids), id_params)}
    notes, note_params = _in_params("n", sorted(set(note_of.values())))
    seen = sql.all(_NOTES_SEEN_TODAY.format(notes=notes), note_params | {"user_id": user.id, "since": since})
    seen_notes = {r["note_id"] for r in seen}
    fresh = [c for c in candidates if note_of[c["card_id"]] not in seen_notes]
    return fresh, [c for c in candidates if note_of[c["card_id"]] in seen_notes]


def _read_state(sql: RawSQL, row: dict) -> dict:
    row["due"], row["last_review"] = sql.read_time(row["due"]), sql.read_time(row["last_review"])
    return row


def check_deck(sql: RawSQL, *, user: User | Learner, deck_id: int) -> None:
    """The hot path's check that the user studies this deck (owns or subscribes to it): anyone else gets 404."""
    if sql.scalar(_DECK_OWNER, {"deck_id": deck_id, "user_id": user.id}) is None:
        raise NotFound("Deck not found")


def new_remaining(session: Session | RawSQL, *, user: User | Learner, now: datetime) -> int:
    sql = as_sql(session)
    if user.new_cards_per_day == 0:
        return 0
    since = sql.time(day_start(user, now))
    introduced = sql.scalar(_NEW_TODAY, {"user_id": user.id, "since": since, "limit": user.new_cards_per_day})
    return max(0, user.new_cards_per_day - introduced)


def _queue_params(sql: RawSQL, *, user: User | Learner, deck_id: int | None, now: datetime) -> dict:
    return {
        "user_id": user.id,
        "deck_id": deck_id,
        "no": False,
        "cap": COUNT_CAP,
        "now": sql.time(now),
        "ahead": sql.time(now + LEARN_AHEAD),
    }


def queue_counts(session: Session | RawSQL, *, user: User | Learner, deck_id: int | None, now: datetime) -> QueueCounts:
    sql, stmts = as_sql(session), _QUEUE[deck_id is not None]
    params = _queue_params(sql, user=user, deck_id=deck_id, now=now)
    remaining = new_remaining(session, user=user, now=now)
    return QueueCounts(
        new=sql.scalar(stmts["new_available"], params | {"limit": remaining}) if remaining else 0,
        learning=sql.scalar(stmts["learning_count"], params),
        review=sql.scalar(stmts["review_count"], params),
    )


def next_card(
    session: Session | RawSQL, *, user: User | Learner, deck_id: int | None, now: datetime | None = None
) -> NextCard:
    """Learning cards due now, then reviews due now, then new cards (within today's limit), then,
    while an exam is coming, its extra new cards and early reviews (processing/exam_queue.py), then
    learning cards due within LEARN_AHEAD; reviews and new cards whose note already had a card
    reviewed today (siblings) come last."""
    from processing import exam, exam_queue  # they build on this module

    now = now or utcnow()
    sql, stmts = as_sql(session), _QUEUE[deck_id is not None]
    if deck_id is not None:
        check_deck(sql, user=user, deck_id=deck_id)
    counts = queue_counts(sql, user=user, deck_id=deck_id, now=now)
    params = _queue_params(sql, user=user, deck_id=deck_id, now=now)
    since = sql.time(day_start(user, now))
    exams = exam.upcoming(sql, user=user, deck_id=deck_id, now=now)  # usually none: one indexed lookup
    extra = exams and exam_queue.read(sql, user=user, exams=exams, now=now, since=since, learning=counts.learning)
    waiting: list[dict] = []  # siblings of cards seen today: shown only when nothing else is left now
    state, note = sql.first(stmts["learning_due"], params), None
    for name in ("review_due", "new"):
        if state is not None or (name == "new" and counts.new == 0):
            continue
        fresh, siblings = _split_siblings(sql, user=user, candidates=sql.all(stmts[name], params), since=since)
        state = fresh[0] if fresh else None
        waiting += siblings
    if state is None and extra:
        state, note = extra.pick(sql, user_id=user.id, split=partial(_split_siblings, sql, user=user, since=since))
    counts = extra.counts(counts) if extra else counts
    state = state or sql.first(stmts["learn_ahead"], params) or (waiting[0] if waiting else None)
    if state is not None:
        card = _review_card(sql, user=user, state=_read_state(sql, state), now=now, exam=note)
        return NextCard(card=card, counts=counts)
    return NextCard(card=None, counts=counts)


def _review_card(
    sql: RawSQL, *, user: User | Learner, state: dict, now: datetime, exam: ExamNote | None = None
) -> ReviewCard:
    row = sql.first(_CARD_FOR_REVIEW, {"card_id": state["card_id"]})
    return ReviewCard(
        id=row["id"],
        note_id=row["note_id"],
        ord=row["ord"],
        kind=row["kind"],
        deck_id=row["deck_id"],
        deck_name=row["deck_name"],
        front_html=row["front_html"],
        back_html=row["back_html"],
        answer=row["answer"],
        tags=row["tags"].split(),
        state=STATE_NAMES[state["state"]],
        intervals=preview_intervals(scheduler_for(user, fuzz=False), state, now),
        source_lecture_id=row["source_lecture_id"],
        source_page=row["source_page"],
        exam=exam,
    )


def _snapshot(state: dict) -> str:
    values = {f: state[f] for f in _STATE_FIELDS}
    for key in ("due", "last_review"):
        values[key] = values[key].isoformat() if values[key] else None
    values["suspended"] = bool(values["suspended"])
    return json.dumps(values)


def _restore(state: CardState, snapshot: str) -> None:
    values = json.loads(snapshot)
    for key in ("due", "last_review"):
        values[key] = datetime.fromisoformat(values[key]) if values[key] else None
    for field, value in values.items():
        setattr(state, field, value)


_UPDATE_STATE = (
    "UPDATE card_state SET state = :state, step = :step, stability = :stability, difficulty = :difficulty,"
    " due = :due, last_review = :last_review, reps = :reps, lapses = :lapses"
    " WHERE user_id = :user_id AND card_id = :card_id"
)
_INSERT_LOG = (
    "INSERT INTO review_log (user_id, card_id, rating, reviewed_at, duration_ms, state_before, scheduled_seconds,"
    " previous) VALUES (:user_id, :card_id, :rating, :reviewed_at, :duration_ms, :state_before, :scheduled_seconds,"
    " :previous)"
)


def rate(
    session: Session | RawSQL, *, user: User | Learner, card_id: int, rating_in: RatingIn, now: datetime | None = None
) -> RatingOut:
    """Applies FSRS to the card and logs the review, in the caller's write transaction (which commits)."""
    now = now or utcnow()
    sql = as_sql(session)
    state = sql.first(_STATE_ROW, {"user_id": user.id, "card_id": card_id})
    if state is None:
        raise NotFound("Card not found")
    if state["suspended"]:
        raise NotFound("This card is suspended; unsuspend it to review it")
    state = _read_state(sql, state)
    reviewed, _log = scheduler_for(user).review_card(
        to_fsrs(state, now), Rating(rating_in.rating), review_datetime=now, review_duration=rating_in.duration_ms
    )
    lapsed = rating_in.rating == Rating.Again and state["state"] == CardStateKind.review
    sql.execute(
        _UPDATE_STATE,
        {
            "state": int(reviewed.state),
            "step": reviewed.step,
            "stability": reviewed.stability,
            "difficulty": reviewed.difficulty,
            "due": sql.time(reviewed.due),
            "last_review": sql.time(now),
            "reps": state["reps"] + 1,
            "lapses": state["lapses"] + int(lapsed),
            "user_id": user.id,
            "card_id": card_id,
        },
    )
    seconds = max(0, int((reviewed.due - now).total_seconds()))
    sql.execute(
        _INSERT_LOG,
        {
            "user_id": user.id,
            "card_id": card_id,
            "rating": rating_in.rating,
            "reviewed_at": sql.time(now),
            "duration_ms": rating_in.duration_ms,
            "state_before": state["state"],
            "scheduled_seconds": seconds,
            "previous": _snapshot(state),
        },
    )
    return RatingOut(
        card_id=card_id,
        rating=rating_in.rating,
        state=STATE_NAMES[int(reviewed.state)],
        due=reviewed.due,
        interval_label=format_interval(seconds),
    )


def undo_last(session: Session, *, user: User | Learner, deck_id: int | None = None) -> UndoOut:
    """Restores the card of the user's latest review of today (in `deck_id`, if given) exactly as
    it was, deletes that log row, and hands back the card to show again."""
    now = utcnow()
    query = select(ReviewLog).where(ReviewLog.user_id == user.id, ReviewLog.reviewed_at >= day_start(user, now))
    if deck_id is not None:
        check_deck(as_sql(session), user=user, deck_id=deck_id)
        in_deck = select(CardState.card_id).where(CardState.user_id == user.id, CardState.deck_id == deck_id)
        query = query.where(ReviewLog.card_id.in_(in_deck))
    log = session.exec(query.order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc()).limit(1)).first()
    if log is None:
        raise NotFound("Nothing to undo today" + (" in this deck" if deck_id is not None else ""))
    state = session.get(CardState, (user.id, log.card_id))
    _restore(state, log.previous)
    session.add(state)
    session.delete(log)
    session.flush()
    sql = as_sql(session)
    restored = _read_state(sql, sql.first(_STATE_ROW, {"user_id": user.id, "card_id": log.card_id}))
    card = _review_card(sql, user=user, state=restored, now=now)
    session.commit()
    return UndoOut(rating=log.rating, card=card)


def review_log(session: Session, *, user: User | Learner, limit: int, deck_id: int | None) -> list[ReviewLogPublic]:
    if deck_id is not None:
        check_deck(as_sql(session), user=user, deck_id=deck_id)
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
