"""Review over HTTP (and, for time travel, through processing.srs): the queue, daily new-card
limit and day boundary, ratings and their intervals, the log, undo, suspension, learn-ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from models.review import RatingIn
from models.user import User
from processing import srs
from tests.conftest import make_deck, make_note, sql, sql_time, user_id


def _next(client: TestClient, headers: dict, deck_id: int | None = None) -> dict:
    params = {} if deck_id is None else {"deck_id": deck_id}
    response = client.get("/api/review/next", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _rate(client: TestClient, headers: dict, card_id: int, rating: int, duration_ms: int = 0) -> dict:
    response = client.post(
        f"/api/review/{card_id}", json={"rating": rating, "duration_ms": duration_ms}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


STATE_COLUMNS = (
    "deck_id",
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "suspended",
)


def _state(client: TestClient, card_id: int) -> dict:
    """The card_state row of a card, read from the SQLite file."""
    [row] = sql(client, f"SELECT {', '.join(STATE_COLUMNS)} FROM card_state WHERE card_id = ?", card_id)
    return dict(zip(STATE_COLUMNS, row, strict=True))


def _notes(client: TestClient, headers: dict, deck_id: int, count: int, word: str = "fact") -> list[int]:
    """Creates `count` basic notes and returns their card ids in creation order."""
    return [make_note(client, headers, deck_id, front=f"{word} {i}")["cards"][0]["id"] for i in range(count)]


def _set_new_limit(client: TestClient, headers: dict, limit: int) -> None:
    response = client.put("/api/users/me/settings", json={"new_cards_per_day": limit}, headers=headers)
    assert response.status_code == 200


def _make_review_card(client: TestClient, card_id: int, *, due: datetime) -> None:
    """Turns a card into a graduated review card with the given due time, directly in SQLite."""
    now = datetime.now(UTC)
    sql(
        client,
        "UPDATE card_state SET state = 2, step = NULL, stability = 12.0, difficulty = 5.0, due = ?, "
        "last_review = ?, reps = 3 WHERE card_id = ?",
        sql_time(due),
        sql_time(now - timedelta(days=12)),
        card_id,
    )


def test_empty_queue(client: TestClient, alice: dict) -> None:
    assert _next(client, alice) == {"card": None, "counts": {"new": 0, "learning": 0, "review": 0}}


def test_new_cards_are_limited_per_day(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    cards = _notes(client, alice, deck_id, 5)
    _set_new_limit(client, alice, 2)
    first = _next(client, alice)
    assert first["counts"] == {"new": 2, "learning": 0, "review": 0}
    assert first["card"]["id"] == cards[0] and first["card"]["state"] == "new"
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["new_count"] == 2
    _rate(client, alice, cards[0], 3)
    second = _next(client, alice)
    assert second["counts"]["new"] == 1
    assert second["card"]["id"] == cards[1]
    _rate(client, alice, cards[1], 3)
    # The limit is used up: only the two learning cards are shown (early, as learn-ahead), never a third new one.
    for _ in range(3):
        served = _next(client, alice)
        assert served["counts"]["new"] == 0
        assert served["card"]["state"] == "learning"
        assert served["card"]["id"] in cards[:2]
        _rate(client, alice, served["card"]["id"], 1)
    assert sql(client, "SELECT count(*) FROM card_state WHERE state = 0") == [(3,)]
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["new_count"] == 0
    _set_new_limit(client, alice, 3)
    assert _next(client, alice)["counts"]["new"] == 1


def test_zero_new_cards_per_day_shows_none(client: TestClient, alice: dict) -> None:
    _notes(client, alice, make_deck(client, alice), 2)
    _set_new_limit(client, alice, 0)
    assert _next(client, alice) == {"card": None, "counts": {"new": 0, "learning": 0, "review": 0}}


def test_queue_order_learning_then_review_then_new(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    learning, review, new = _notes(client, alice, deck_id, 3)
    now = datetime.now(UTC)
    _rate(client, alice, learning, 3)
    sql(client, "UPDATE card_state SET due = ? WHERE card_id = ?", sql_time(now - timedelta(minutes=1)), learning)
    _make_review_card(client, review, due=now - timedelta(days=1))

    served = _next(client, alice)
    assert served["counts"] == {"new": 1, "learning": 1, "review": 1}
    assert (served["card"]["id"], served["card"]["state"]) == (learning, "learning")
    deck = client.get(f"/api/decks/{deck_id}", headers=alice).json()
    assert (deck["due_count"], deck["new_count"], deck["card_count"]) == (2, 1, 3)

    sql(client, "UPDATE card_state SET due = ? WHERE card_id = ?", sql_time(now + timedelta(hours=2)), learning)
    served = _next(client, alice)
    assert (served["card"]["id"], served["card"]["state"]) == (review, "review")
    assert served["counts"] == {"new": 1, "learning": 0, "review": 1}

    _rate(client, alice, review, 3)
    served = _next(client, alice)
    assert (served["card"]["id"], served["card"]["state"]) == (new, "new")
    assert served["counts"] == {"new": 1, "learning": 0, "review": 0}
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["due_count"] == 0


def test_review_card_fields(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice, "Anatomy")
    note = make_note(client, alice, deck_id, front="Femur?", back="Thigh bone", tags=["bones"])
    card = _next(client, alice)["card"]
    assert {k: card[k] for k in ("id", "note_id", "ord", "kind", "deck_id", "deck_name", "tags", "state")} == {
        "id": note["cards"][0]["id"],
        "note_id": note["id"],
        "ord": 0,
        "kind": "basic",
        "deck_id": deck_id,
        "deck_name": "Anatomy",
        "tags": ["bones"],
        "state": "new",
    }
    assert (card["front_html"], card["back_html"], card["answer"]) == ("<p>Femur?</p>", "<p>Thigh bone</p>", None)


def test_intervals_shown_are_what_the_rating_gives(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    [card_id] = _notes(client, alice, deck_id, 1)
    intervals = _next(client, alice)["card"]["intervals"]
    assert sorted(intervals) == ["1", "2", "3", "4"]
    assert intervals["1"] == {"seconds": 60, "label": "1m"}
    assert intervals["3"] == {"seconds": 600, "label": "10m"}
    assert intervals["1"]["seconds"] < intervals["2"]["seconds"] < intervals["3"]["seconds"]
    assert intervals["4"]["seconds"] >= 86400 and intervals["4"]["label"].endswith("d")
    for rating in (1, 2, 3):
        result = _rate(client, alice, card_id, rating)
        assert result["state"] == "learning"
        assert result["interval_label"] == intervals[str(rating)]["label"]
        (scheduled,) = sql(client, "SELECT scheduled_seconds FROM review_log WHERE card_id = ?", card_id)[0]
        assert scheduled == intervals[str(rating)]["seconds"]
        (due,) = sql(client, "SELECT due FROM card_state WHERE card_id = ?", card_id)[0]
        due_at = datetime.fromisoformat(result["due"])
        assert sql_time(due_at) == due
        assert client.post("/api/review/undo", headers=alice).status_code == 200
    assert sql(client, "SELECT state FROM card_state WHERE card_id = ?", card_id) == [(0,)]


def test_good_on_a_new_card_is_learning_for_ten_minutes(client: TestClient, alice: dict) -> None:
    [card_id] = _notes(client, alice, make_deck(client, alice), 1)
    before = datetime.now(UTC)
    result = _rate(client, alice, card_id, 3)
    after = datetime.now(UTC)
    assert (result["card_id"], result["rating"], result["state"], result["interval_label"]) == (
        card_id,
        3,
        "learning",
        "10m",
    )
    due = datetime.fromisoformat(result["due"])
    assert before + timedelta(minutes=10) <= due <= after + timedelta(minutes=10)
    state = _state(client, card_id)
    assert (state["state"], state["step"], state["reps"], state["lapses"]) == (1, 1, 1, 0)
    assert state["due"] == sql_time(due)


def test_easy_on_a_new_card_graduates_to_days(client: TestClient, alice: dict) -> None:
    [card_id] = _notes(client, alice, make_deck(client, alice), 1)
    shown = _next(client, alice)["card"]["intervals"]["4"]["seconds"]
    result = _rate(client, alice, card_id, 4)
    assert result["state"] == "review"
    assert result["interval_label"].endswith("d")
    (scheduled,) = sql(client, "SELECT scheduled_seconds FROM review_log")[0]
    assert scheduled >= 86400
    assert 0.6 * shown <= scheduled <= 1.4 * shown  # fuzz only moves it a little
    assert _next(client, alice)["card"] is None


def test_rating_answers_with_the_next_card(client: TestClient, alice: dict, bob: dict) -> None:
    bio = make_deck(client, alice, "Biology")
    chem = make_deck(client, alice, "Chemistry")
    bio_cards = _notes(client, alice, bio, 2, "cell")
    chem_cards = _notes(client, alice, chem, 2, "acid")
    scoped = client.post(f"/api/review/{bio_cards[0]}?deck_id={bio}", json={"rating": 3}, headers=alice).json()
    assert scoped["next"] == _next(client, alice, bio)
    assert scoped["next"]["card"]["id"] == bio_cards[1]
    assert scoped["next"]["counts"] == {"new": 1, "learning": 1, "review": 0}  # the one just rated, due in 10m
    everywhere = client.post(f"/api/review/{bio_cards[1]}", json={"rating": 3}, headers=alice).json()
    assert everywhere["next"] == _next(client, alice)
    assert everywhere["next"]["card"]["id"] == chem_cards[0]
    log_size = sql(client, "SELECT count(*) FROM review_log")
    for deck_id in (make_deck(client, bob), 999):
        response = client.post(f"/api/review/{chem_cards[0]}?deck_id={deck_id}", json={"rating": 3}, headers=alice)
        assert response.status_code == 404
    assert sql(client, "SELECT count(*) FROM review_log") == log_size
    assert _state(client, chem_cards[0])["state"] == 0


def test_review_log_records_the_review(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    other_deck = make_deck(client, alice, "Other")
    note = make_note(client, alice, deck_id)
    card_id = note["cards"][0]["id"]
    other_card = _notes(client, alice, other_deck, 1)[0]
    _rate(client, alice, card_id, 3, duration_ms=4321)
    _rate(client, alice, card_id, 2, duration_ms=1000)
    _rate(client, alice, other_card, 4)
    log = client.get("/api/review/log", headers=alice).json()
    assert [(e["card_id"], e["rating"], e["state_before"], e["duration_ms"]) for e in log] == [
        (other_card, 4, "new", 0),
        (card_id, 2, "learning", 1000),
        (card_id, 3, "new", 4321),
    ]
    assert log[2]["note_id"] == note["id"] and log[2]["deck_id"] == deck_id
    assert log[2]["scheduled_seconds"] == 600
    rows = sql(client, "SELECT card_id, rating, duration_ms, state_before FROM review_log ORDER BY id")
    assert rows == [(card_id, 3, 4321, 0), (card_id, 2, 1000, 1), (other_card, 4, 0, 0)]
    only_deck = client.get(f"/api/review/log?deck_id={deck_id}", headers=alice).json()
    assert [e["card_id"] for e in only_deck] == [card_id, card_id]
    assert len(client.get("/api/review/log?limit=1", headers=alice).json()) == 1
    assert client.get("/api/review/log?limit=501", headers=alice).status_code == 422
    assert client.get("/api/review/log?deck_id=999", headers=alice).status_code == 404


def test_undo_restores_the_exact_previous_state(client: TestClient, alice: dict) -> None:
    [card_id] = _notes(client, alice, make_deck(client, alice), 1)
    new_row = _state(client, card_id)
    _rate(client, alice, card_id, 3)
    learning_row = _state(client, card_id)
    assert learning_row != new_row
    assert learning_row["due"] > new_row["due"]  # a new card's due is its creation time (queue place)
    assert learning_row["state"] == 1 and new_row["state"] == 0
    _rate(client, alice, card_id, 3)
    assert _state(client, card_id) != learning_row
    assert sql(client, "SELECT count(*) FROM review_log") == [(2,)]

    undone = client.post("/api/review/undo", headers=alice)
    assert undone.status_code == 200
    assert undone.json()["card"]["id"] == card_id and undone.json()["rating"] == 3
    assert _state(client, card_id) == learning_row
    assert sql(client, "SELECT count(*) FROM review_log") == [(1,)]
    client.post("/api/review/undo", headers=alice)
    assert _state(client, card_id) == new_row
    assert sql(client, "SELECT count(*) FROM review_log") == [(0,)]
    nothing = client.post("/api/review/undo", headers=alice)
    assert nothing.status_code == 404
    assert nothing.json()["detail"] == "Nothing to undo today"


def test_undo_twice_undoes_two_reviews_of_different_cards(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id, kind="reversed", front="perro", back="dog")
    first, second = (c["id"] for c in note["cards"])
    rows = {first: _state(client, first), second: _state(client, second)}
    _rate(client, alice, first, 1)
    _rate(client, alice, second, 4)
    undone = client.post("/api/review/undo", headers=alice).json()
    assert (undone["card"]["id"], undone["card"]["note_id"], undone["rating"]) == (second, note["id"], 4)
    # the restored card comes back to be shown again, as new, with its new-card intervals
    assert undone["card"]["id"] == second and undone["card"]["state"] == "new"
    assert undone["card"]["front_html"] == "<p>dog</p>"
    assert _state(client, second) == rows[second]
    assert _state(client, first) != rows[first]
    undone = client.post("/api/review/undo", headers=alice).json()
    assert (undone["card"]["id"], undone["card"]["note_id"], undone["rating"]) == (first, note["id"], 1)
    assert _state(client, first) == rows[first]
    assert _next(client, alice)["counts"]["new"] == 2


def test_suspended_cards_are_not_served_or_rated(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id)
    card_id = note["cards"][0]["id"]
    client.post("/api/notes/bulk", json={"note_ids": [note["id"]], "action": "suspend"}, headers=alice)
    assert _next(client, alice) == {"card": None, "counts": {"new": 0, "learning": 0, "review": 0}}
    response = client.post(f"/api/review/{card_id}", json={"rating": 3}, headers=alice)
    assert response.status_code == 404
    assert "suspended" in response.json()["detail"]
    assert sql(client, "SELECT count(*) FROM review_log") == [(0,)]
    client.post("/api/notes/bulk", json={"note_ids": [note["id"]], "action": "unsuspend"}, headers=alice)
    assert _next(client, alice)["card"]["id"] == card_id


def test_per_deck_queue(client: TestClient, alice: dict, bob: dict) -> None:
    bio = make_deck(client, alice, "Biology")
    chem = make_deck(client, alice, "Chemistry")
    bio_cards = _notes(client, alice, bio, 2, "cell")
    chem_cards = _notes(client, alice, chem, 3, "acid")
    served = _next(client, alice, chem)
    assert served["card"]["id"] == chem_cards[0] and served["card"]["deck_id"] == chem
    assert served["counts"]["new"] == 3
    for _ in range(2):
        card = _next(client, alice, bio)["card"]
        assert card["id"] in bio_cards
        _rate(client, alice, card["id"], 4)
    assert _next(client, alice, bio)["card"] is None
    assert _next(client, alice)["card"]["id"] in chem_cards
    bobs_deck = make_deck(client, bob)
    for deck_id in (bobs_deck, 999):
        response = client.get("/api/review/next", params={"deck_id": deck_id}, headers=alice)
        assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [{"rating": 0}, {"rating": 5}, {"rating": "good"}, {}, {"rating": 3, "duration_ms": -1}]
)
def test_bad_ratings_are_422(client: TestClient, alice: dict, body: dict) -> None:
    [card_id] = _notes(client, alice, make_deck(client, alice), 1)
    before = _state(client, card_id)
    response = client.post(f"/api/review/{card_id}", json=body, headers=alice)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)
    assert _state(client, card_id) == before


def test_rating_an_unknown_card_is_404(client: TestClient, alice: dict) -> None:
    assert client.post("/api/review/424242", json={"rating": 3}, headers=alice).status_code == 404


def test_learn_ahead_serves_a_learning_card_due_within_20_minutes(client: TestClient, alice: dict) -> None:
    [card_id] = _notes(client, alice, make_deck(client, alice), 1)
    _rate(client, alice, card_id, 3)  # due in 10 minutes
    served = _next(client, alice)
    assert served["card"]["id"] == card_id and served["card"]["state"] == "learning"
    # Counted as learning while within the learn-ahead window, as it is shown then.
    assert served["counts"] == {"new": 0, "learning": 1, "review": 0}
    now = datetime.now(UTC)
    sql(client, "UPDATE card_state SET due = ? WHERE card_id = ?", sql_time(now + timedelta(minutes=30)), card_id)
    assert _next(client, alice) == {"card": None, "counts": {"new": 0, "learning": 0, "review": 0}}
    sql(client, "UPDATE card_state SET due = ? WHERE card_id = ?", sql_time(now + timedelta(minutes=19)), card_id)
    assert _next(client, alice)["card"]["id"] == card_id


def test_learn_ahead_waits_for_new_cards(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    first, second = _notes(client, alice, deck_id, 2)
    _rate(client, alice, first, 3)
    assert _next(client, alice)["card"]["id"] == second


def test_deck_counts_follow_reviews(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    cards = _notes(client, alice, deck_id, 3)

    def counts() -> dict[str, int]:
        deck = client.get("/api/decks", headers=alice).json()[0]
        return {k: v for k, v in deck.items() if k.endswith("_count") and k != "subscriber_count"}

    assert counts() == {"note_count": 3, "card_count": 3, "due_count": 0, "new_count": 3, "suspended_count": 0}
    _rate(client, alice, cards[0], 1)
    assert counts()["new_count"] == 2 and counts()["due_count"] == 0
    sql(client, "UPDATE card_state SET due = ? WHERE card_id = ?", sql_time(datetime.now(UTC)), cards[0])
    assert counts()["due_count"] == 1
    _rate(client, alice, cards[0], 4)
    _rate(client, alice, cards[1], 4)
    assert counts() == {"note_count": 3, "card_count": 3, "due_count": 0, "new_count": 1, "suspended_count": 0}


# --- the study day ---------------------------------------------------------------


def _study_day_start(zone: str, hour: int, now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local.hour < hour:
        start = (local - timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC)


def test_cards_introduced_before_the_day_start_do_not_count(client: TestClient, alice: dict) -> None:
    settings = {"new_cards_per_day": 2, "timezone": "Asia/Kolkata", "day_start_hour": 4}
    assert client.put("/api/users/me/settings", json=settings, headers=alice).status_code == 200
    deck_id = make_deck(client, alice)
    cards = _notes(client, alice, deck_id, 4)
    _rate(client, alice, cards[0], 3)
    _rate(client, alice, cards[1], 3)
    assert _next(client, alice)["counts"]["new"] == 0
    start = _study_day_start("Asia/Kolkata", 4, datetime.now(UTC))
    log_ids = [row[0] for row in sql(client, "SELECT id FROM review_log ORDER BY id")]

    sql(client, "UPDATE review_log SET reviewed_at = ?", sql_time(start - timedelta(seconds=1)))
    assert _next(client, alice)["counts"]["new"] == 2
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["new_count"] == 2

    sql(
        client, "UPDATE review_log SET reviewed_at = ? WHERE id = ?", sql_time(start + timedelta(seconds=1)), log_ids[0]
    )
    assert _next(client, alice)["counts"]["new"] == 1
    served = _next(client, alice)["card"]
    assert served["id"] == cards[2] and served["state"] == "new"


@pytest.mark.parametrize(
    ("zone", "hour", "now", "expected"),
    [
        ("Asia/Kolkata", 4, datetime(2024, 3, 10, 21, 0, tzinfo=UTC), datetime(2024, 3, 9, 22, 30, tzinfo=UTC)),
        ("Asia/Kolkata", 4, datetime(2024, 3, 10, 23, 0, tzinfo=UTC), datetime(2024, 3, 10, 22, 30, tzinfo=UTC)),
        ("UTC", 0, datetime(2024, 3, 10, 0, 0, tzinfo=UTC), datetime(2024, 3, 10, 0, 0, tzinfo=UTC)),
        ("UTC", 4, datetime(2024, 3, 10, 3, 59, tzinfo=UTC), datetime(2024, 3, 9, 4, 0, tzinfo=UTC)),
        # The morning the clocks go forward in New York (02:00 → 03:00 local).
        ("America/New_York", 4, datetime(2024, 3, 10, 12, 0, tzinfo=UTC), datetime(2024, 3, 10, 8, 0, tzinfo=UTC)),
        ("America/New_York", 4, datetime(2024, 3, 10, 7, 59, tzinfo=UTC), datetime(2024, 3, 9, 9, 0, tzinfo=UTC)),
    ],
)
def test_day_start(zone: str, hour: int, now: datetime, expected: datetime) -> None:
    user = User(email="x@y.z", password_hash="-", timezone=zone, day_start_hour=hour)
    assert srs.day_start(user, now) == expected
    assert _study_day_start(zone, hour, now) == expected


# --- time travel -------------------------------------------------------------------


def test_a_review_card_comes_back_when_due(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    [card_id] = _notes(client, alice, deck_id, 1)
    uid = user_id(client, alice)
    database = client.app.state.db
    start = datetime.now(UTC)
    with database.transaction() as session:  # srs.rate writes in the caller's transaction
        user = session.get(User, uid)
        served = srs.next_card(session, user=user, deck_id=None, now=start)
        assert served.card.id == card_id
        result = srs.rate(session, user=user, card_id=card_id, rating_in=RatingIn(rating=4), now=start)
        assert result.state == "review"
        due = result.due
        assert due >= start + timedelta(days=1)

        assert srs.next_card(session, user=user, deck_id=None, now=start + timedelta(hours=1)).card is None
        before_due = srs.next_card(session, user=user, deck_id=deck_id, now=due - timedelta(minutes=1))
        assert before_due.card is None and before_due.counts.review == 0

        later = due + timedelta(hours=1)
        again = srs.next_card(session, user=user, deck_id=deck_id, now=later)
        assert again.card is not None and again.card.id == card_id
        assert again.card.state == "review"
        assert again.counts.review == 1
        assert all(again.card.intervals[r].seconds >= 86400 for r in ("2", "3", "4"))
        second = srs.rate(session, user=user, card_id=card_id, rating_in=RatingIn(rating=3), now=later)
        assert second.state == "review"
        assert second.due - later > due - start  # a successful review makes the interval grow
        lapse_at = second.due + timedelta(days=1)
        lapse = srs.rate(session, user=user, card_id=card_id, rating_in=RatingIn(rating=1), now=lapse_at)
        assert lapse.state == "relearning"
        assert (
            srs.next_card(session, user=user, deck_id=None, now=lapse_at + timedelta(minutes=11)).counts.learning == 1
        )
    state = _state(client, card_id)
    assert (state["state"], state["reps"], state["lapses"]) == (3, 3, 1)  # relearning
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["due_count"] == 0  # not due yet in real time


def test_undo_stays_in_the_deck_and_in_today(client: TestClient, alice: dict) -> None:
    biology, physics = make_deck(client, alice, "Biology"), make_deck(client, alice, "Physics")
    [bio_card] = _notes(client, alice, biology, 1)
    [phys_card] = _notes(client, alice, physics, 1)
    _rate(client, alice, bio_card, 3)
    _rate(client, alice, phys_card, 3)
    # studying Biology, U undoes Biology's review, not the newer Physics one
    undone = client.post(f"/api/review/undo?deck_id={biology}", headers=alice).json()
    assert undone["card"]["id"] == bio_card
    assert _state(client, phys_card)["state"] == 1
    nothing = client.post(f"/api/review/undo?deck_id={biology}", headers=alice)
    assert nothing.status_code == 404 and nothing.json()["detail"] == "Nothing to undo today in this deck"
    # a review from before today's start cannot be undone any more
    sql(client, "UPDATE review_log SET reviewed_at = ?", sql_time(datetime.now(UTC) - timedelta(days=2)))
    assert client.post("/api/review/undo", headers=alice).status_code == 404
    assert _state(client, phys_card)["state"] == 1


def test_siblings_of_a_card_seen_today_wait_until_nothing_else_is_left(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    pair = make_note(client, alice, deck_id, kind="reversed", front="perro", back="dog")
    other = make_note(client, alice, deck_id, front="gato", back="cat")
    forward, backward = (c["id"] for c in pair["cards"])
    assert _next(client, alice)["card"]["id"] == forward
    _rate(client, alice, forward, 4)  # Easy: out of today's queue
    # "dog → perro" would give away what was just answered: the unrelated card comes first
    assert _next(client, alice)["card"]["id"] == other["cards"][0]["id"]
    _rate(client, alice, other["cards"][0]["id"], 4)
    # nothing else is left now, so the sibling is shown rather than hidden
    assert _next(client, alice)["card"]["id"] == backward


def test_queue_counts_stop_at_the_cap(client: TestClient, alice: dict) -> None:
    deck_id = make_deck(client, alice)
    note = make_note(client, alice, deck_id)
    uid = user_id(client, alice)
    past = sql_time(datetime.now(UTC) - timedelta(days=1))
    # 1,005 more cards of that note, all review cards due since yesterday
    sql(
        client,
        "INSERT INTO card (note_id, ord, front_html, back_html) WITH RECURSIVE n(i) AS"
        " (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1005) SELECT ?, i, '<p>Q</p>', '<p>A</p>' FROM n",
        note["id"],
    )
    sql(
        client,
        "INSERT INTO card_state (user_id, card_id, deck_id, state, stability, difficulty, due, last_review,"
        " reps, lapses, suspended)"
        " SELECT ?, id, ?, 2, 10.0, 5.0, ?, ?, 1, 0, 0 FROM card WHERE note_id = ? AND ord > 0",
        uid,
        deck_id,
        past,
        past,
        note["id"],
    )
    counts = _next(client, alice)["counts"]
    assert counts["review"] == srs.COUNT_CAP == 1000  # shown as "1000+"
    assert client.get(f"/api/decks/{deck_id}", headers=alice).json()["due_count"] == 1005  # the deck list is exact
