"""Exam dates: a simulated month of reviews meets the target on the exam day within the budget (and
fails it without the exam), the plan, the API and its bad input, the queue after the exam."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from db import as_sql
from models.deck import DeckCreate
from models.note import NoteCreate, NoteKind
from models.review import RatingIn
from models.user import User
from processing import exam, notes, srs
from processing.decks import create_deck
from tests.conftest import make_deck, make_note, sql, sql_time, user_id

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)  # a study morning (UTC, days start at 04:00)
DAYS = 30
NOTES = 300
NEW_PER_DAY = 8  # at this pace 240 of the 300 cards are seen before the exam without one
BUDGET = 80


# --- the month-long simulation -----------------------------------------------------------------


def _seed(client: TestClient, uid: int) -> tuple[int, dict[int, int]]:
    """A deck of NOTES basic notes; returns its id and each card's position (creation order)."""
    with client.app.state.db.transaction() as session:
        user = session.get(User, uid)
        user.new_cards_per_day, user.exam_daily_budget = NEW_PER_DAY, BUDGET
        deck_id = create_deck(session, user=user, deck_in=DeckCreate(name="Biology")).id
        for i in range(NOTES):
            note_in = NoteCreate(deck_id=deck_id, kind=NoteKind.basic, front=f"Fact {i}?", back=f"Answer {i}")
            notes.create_note(session, user=user, note_in=note_in)
    cards = sql(client, "SELECT card_id FROM card_state WHERE user_id = ? ORDER BY due, card_id", uid)
    return deck_id, {card_id: i for i, (card_id,) in enumerate(cards)}


def _rating(position: int, state: str) -> int:
    """A deterministic learner: Again on the first sight of every 7th card, Hard on reviews of every 5th
    (Hard keeps a learning card on its step, so in learning it answers Good), else Good."""
    if state == "new" and position % 7 == 0:
        return 1
    return 2 if position % 5 == 0 and state == "review" else 3


def _study_day(session: Session, user: User, positions: dict[int, int], now: datetime) -> tuple[int, int]:
    """Reviews whatever the queue serves until it is empty today; returns (reviews, early ones)."""
    day_end = srs.day_start(user, now) + timedelta(days=1)
    reviews = early = 0
    while True:
        served = srs.next_card(session, user=user, deck_id=None, now=now)
        card = served.card
        if card is None:
            # Learning cards due later today come back then (the learner waits for them).
            later = as_sql(session).scalar(
                "SELECT min(due) FROM card_state WHERE user_id = :u AND state IN (1, 3)", {"u": user.id}
            )
            later = as_sql(session).read_time(later)
            if later is None or later >= day_end:
                return reviews, early
            now = max(now, later)
            continue
        early += card.exam is not None
        rating = RatingIn(rating=_rating(positions[card.id], card.state), duration_ms=8000)
        srs.rate(session, user=user, card_id=card.id, rating_in=rating, now=now)
        reviews += 1
        now += timedelta(seconds=8)


def _simulate(client: TestClient, alice: dict, *, with_exam: bool) -> dict:
    random.seed(8)  # FSRS fuzz uses the random module: the same month every run
    uid = user_id(client, alice)
    deck_id, positions = _seed(client, uid)
    exam_date = START.date() + timedelta(days=DAYS)
    database = client.app.state.db
    if with_exam:
        with database.session(write=True) as session:
            exam.set_exam(session, user=session.get(User, uid), deck_id=deck_id, exam_date=exam_date, now=START)
    per_day, early = [], 0
    for day in range(DAYS):
        with database.transaction() as session:
            reviews, early_today = _study_day(session, session.get(User, uid), positions, START + timedelta(days=day))
        per_day.append(reviews)
        early += early_today
    with database.session() as session:
        user = session.get(User, uid)
        moment = exam.exam_moment(user, exam_date)
        rows = as_sql(session).all(f"SELECT {srs._STATE_COLUMNS} FROM card_state WHERE user_id = :u", {"u": uid})
        scheduler = srs.scheduler_for(user, fuzz=False)
        recall = [exam.recall_at(scheduler, srs._read_state(as_sql(session), row), moment) for row in rows]
        return {"per_day": per_day, "recall": recall, "target": user.desired_retention, "early": early}


def test_a_month_with_an_exam_meets_the_target_within_the_budget(client: TestClient, alice: dict) -> None:
    result = _simulate(client, alice, with_exam=True)
    below = [r for r in result["recall"] if r < result["target"]]
    assert len(result["recall"]) == NOTES
    assert not below, f"{len(below)} cards below target on the exam day (lowest {min(below):.3f})"
    assert max(result["per_day"]) <= BUDGET, result["per_day"]
    assert result["early"] > 0  # the exam tier did work


def test_the_same_month_without_the_exam_misses_the_target(client: TestClient, alice: dict) -> None:
    result = _simulate(client, alice, with_exam=False)
    below = [r for r in result["recall"] if r < result["target"]]
    assert len(below) >= NOTES - DAYS * NEW_PER_DAY  # at least the cards never introduced
    assert result["early"] == 0


# --- the plan ----------------------------------------------------------------------------------

EXAM_AT = datetime(2031, 6, 20, 4, 0, tzinfo=UTC)


def _state(card_id: int, *, state: int = 2, stability: float | None = None, reviewed_days_before: int = 0) -> dict:
    last = None if stability is None else EXAM_AT - timedelta(days=reviewed_days_before)
    return {
        "card_id": card_id,
        "state": state,
        "step": None,
        "stability": stability,
        "difficulty": None if stability is None else 5.0,
        "due": EXAM_AT + timedelta(days=30),
        "last_review": last,
    }


def test_the_plan_counts_unseen_and_at_risk_cards() -> None:
    states = [
        _state(1, state=0),
        _state(2, state=0),
        _state(3, stability=200.0, reviewed_days_before=12),  # remembered on the day
        _state(4, stability=2.0, reviewed_days_before=12),  # forgotten by then
    ]
    scheduler = srs.scheduler_for(User(email="x@y.z", password_hash="-"), fuzz=False)
    plan = exam.make_plan(states, scheduler=scheduler, target=0.9, moment=EXAM_AT, days_left=12, budget=200)
    assert (plan.cards_total, plan.cards_new, plan.cards_below_target) == (4, 2, 1)
    assert plan.reviews_per_day == 1  # (1 + 2 × 3) / 12, rounded up
    assert plan.fits_budget
    assert plan.summary == "Exam in 12 days · 2 cards not seen yet · about 1 review a day"
    tight = exam.make_plan(states, scheduler=scheduler, target=0.9, moment=EXAM_AT, days_left=1, budget=5)
    assert (tight.reviews_per_day, tight.fits_budget) == (7, False)
    assert (
        tight.summary
        == "Exam tomorrow · 2 cards not seen yet · about 7 reviews a day · more than your daily budget of 5"
    )
    learned = exam.make_plan(states[2:3], scheduler=scheduler, target=0.9, moment=EXAM_AT, days_left=3, budget=5)
    assert learned.summary == "Exam in 3 days · on track: every card should be remembered on the day"
    assert exam.make_plan([], scheduler=scheduler, target=0.9, moment=EXAM_AT, days_left=0, budget=5).days_left == 0


# --- the API -----------------------------------------------------------------------------------


def _today(client: TestClient, headers: dict) -> date:
    settings = client.get("/api/users/me", headers=headers).json()["settings"]
    user = User(
        email="x@y.z", password_hash="-", timezone=settings["timezone"], day_start_hour=settings["day_start_hour"]
    )
    return exam.study_date(user, datetime.now(UTC))


def test_exam_dates_in_the_past_or_today_are_refused_and_nothing_is_written(client: TestClient, alice: dict) -> None:
    client.put("/api/users/me/settings", json={"timezone": "Pacific/Kiritimati"}, headers=alice)  # UTC+14
    deck_id = make_deck(client, alice)
    today = _today(client, alice)
    for day, words in ((today, "is today"), (today - timedelta(days=1), "is in the past")):
        response = client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": day.isoformat()}, headers=alice)
        assert response.status_code == 400, response.text
        assert response.json()["detail"] == f"The exam date {day.isoformat()} {words}: choose a day after today"
    far = (today + timedelta(days=800)).isoformat()
    response = client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": far}, headers=alice)
    assert (response.status_code, response.json()["detail"]) == (
        400,
        "The exam date is more than two years away: check the year",
    )
    for garbage in ("next friday", "2031-02-30", None):
        assert client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": garbage}, headers=alice).status_code == 422
    assert sql(client, "SELECT count(*) FROM deck_exam") == [(0,)]
    assert client.get(f"/api/decks/{deck_id}/exam", headers=alice).json() is None


def test_set_read_list_and_remove_an_exam(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice, "Anatomy")
    for i in range(4):
        make_note(client, alice, deck_id, front=f"bone {i}")
    day = (_today(client, alice) + timedelta(days=12)).isoformat()
    response = client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": day}, headers=alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["deck_id"], body["deck_name"], body["exam_date"]) == (deck_id, "Anatomy", day)
    assert body["plan"]["summary"] == "Exam in 12 days · 4 cards not seen yet · about 1 review a day"
    assert client.get(f"/api/decks/{deck_id}/exam", headers=alice).json() == body
    assert client.get("/api/exams", headers=alice).json() == [body]
    later = (_today(client, alice) + timedelta(days=20)).isoformat()
    moved = client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": later}, headers=alice).json()
    assert moved["exam_date"] == later and sql(client, "SELECT count(*) FROM deck_exam") == [(1,)]
    assert client.delete(f"/api/decks/{deck_id}/exam", headers=alice).status_code == 204
    assert client.get(f"/api/decks/{deck_id}/exam", headers=alice).json() is None
    assert client.get("/api/exams", headers=alice).json() == []
    assert client.delete(f"/api/decks/{deck_id}/exam", headers=alice).status_code == 204  # nothing to remove


def test_someone_elses_deck_is_not_found(client: TestClient, alice: dict, bob: dict) -> None:
    deck_id = make_deck(client, alice)
    day = (_today(client, alice) + timedelta(days=5)).isoformat()
    assert client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": day}, headers=alice).status_code == 200
    for method, body in (("PUT", {"exam_date": day}), ("GET", None), ("DELETE", None)):
        response = client.request(method, f"/api/decks/{deck_id}/exam", json=body, headers=bob)
        assert (response.status_code, response.json()) == (404, {"detail": "Deck not found"})
    assert client.get("/api/exams", headers=bob).json() == []
    assert sql(client, "SELECT user_id, deck_id FROM deck_exam") == [(user_id(client, alice), deck_id)]


# --- the queue ---------------------------------------------------------------------------------


def _review_cards(
    client: TestClient, headers: dict, deck_id: int, count: int, *, due_in: timedelta, reviewed_ago: int = 10
) -> list[int]:
    """Graduated review cards (stability 12 days), last reviewed `reviewed_ago` days ago, due `due_in` from now."""
    now = datetime.now(UTC)
    cards = [make_note(client, headers, deck_id, front=f"fact {i}")["cards"][0]["id"] for i in range(count)]
    for card_id in cards:
        sql(
            client,
            "UPDATE card_state SET state = 2, step = NULL, stability = 12.0, difficulty = 5.0, due = ?,"
            " last_review = ?, reps = 3 WHERE card_id = ?",
            sql_time(now + due_in),
            sql_time(now - timedelta(days=reviewed_ago)),
            card_id,
        )
    return cards


def test_an_exam_changes_what_is_due_and_says_why(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice, "Biology")
    cards = _review_cards(client, alice, deck_id, 3, due_in=timedelta(days=2))
    assert client.get("/api/review/next", headers=alice).json()["card"] is None  # nothing due yet
    exam_day = _today(client, alice) + timedelta(days=3)
    client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": exam_day.isoformat()}, headers=alice)

    served = client.get("/api/review/next", headers=alice).json()
    assert served["card"]["id"] in cards
    label = f"{exam_day.day} {exam_day:%b}"
    assert served["card"]["exam"] == {
        "deck_id": deck_id,
        "exam_date": exam_day.isoformat(),
        "reason": f"Early review for your exam on {label}",
    }
    assert served["counts"] == {"new": 0, "learning": 0, "review": 0, "exam": 1}  # 3 cards over 3 days
    rated = client.post(f"/api/review/{served['card']['id']}", json={"rating": 3}, headers=alice).json()
    assert rated["next"] == {"card": None, "counts": {"new": 0, "learning": 0, "review": 0}}  # today's share done

    # After the exam, the queue is the one without it.
    database = client.app.state.db
    with database.session() as session:
        user = session.get(User, user_id(client, alice))
        after = exam.exam_moment(user, exam_day) + timedelta(hours=1)
        with_exam = srs.next_card(session, user=user, deck_id=None, now=after)
        before = srs.next_card(session, user=user, deck_id=None, now=after - timedelta(days=2))
    assert with_exam.card is not None and with_exam.card.exam is None
    assert before.card is not None and before.card.exam is not None
    client.delete(f"/api/decks/{deck_id}/exam", headers=alice)
    with database.session() as session:
        without = srs.next_card(session, user=session.get(User, user_id(client, alice)), deck_id=None, now=after)
    assert without.model_dump() == with_exam.model_dump()


def test_early_reviews_stop_at_the_daily_budget(client: TestClient, alice: dict) -> None:
    assert client.put("/api/users/me/settings", json={"exam_daily_budget": 10}, headers=alice).status_code == 200
    deck_id = make_deck(client, alice)
    _review_cards(client, alice, deck_id, 14, due_in=timedelta(hours=30), reviewed_ago=20)
    tomorrow = (_today(client, alice) + timedelta(days=1)).isoformat()
    client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": tomorrow}, headers=alice)
    served = client.get("/api/review/next", headers=alice).json()
    assert served["counts"]["exam"] == 10  # 14 need a review before tomorrow; the budget allows 10
    early = 0
    while served["card"] is not None:
        assert served["card"]["exam"] is not None
        early += 1
        served = client.post(f"/api/review/{served['card']['id']}", json={"rating": 3}, headers=alice).json()["next"]
    assert early == 10
    assert client.get(f"/api/decks/{deck_id}/exam", headers=alice).json()["plan"]["budget"] == 10


def test_new_cards_come_beyond_the_daily_limit_to_be_learned_in_time(client: TestClient, alice: dict) -> None:
    client.put("/api/users/me/settings", json={"new_cards_per_day": 2}, headers=alice)
    deck_id = make_deck(client, alice)
    for i in range(30):
        make_note(client, alice, deck_id, front=f"term {i}")
    assert client.get("/api/review/next", headers=alice).json()["counts"]["new"] == 2
    day = (_today(client, alice) + timedelta(days=10)).isoformat()
    client.put(f"/api/decks/{deck_id}/exam", json={"exam_date": day}, headers=alice)
    served = client.get("/api/review/next", headers=alice).json()
    assert served["counts"]["new"] == 5  # 30 cards over the 7 days before the last 3
    introduced = 0
    while served["card"] is not None and served["card"]["state"] == "new":
        introduced += 1
        served = client.post(f"/api/review/{served['card']['id']}", json={"rating": 4}, headers=alice).json()["next"]
    assert introduced == 5
