"""Stats against a review log written by hand, in Paris time with a 4 o'clock day start: every figure
is worked out below from the rows, including reviews on either side of the day boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from models.user import User
from processing.stats import stats, study_day
from tests.conftest import make_deck, make_note, sql, user_id

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 13:00 in Paris: study day 15 January
DAY = 86_400


def log(client: TestClient, uid: int, card: int, when: str, rating: int, seconds: int, scheduled: int) -> None:
    sql(
        client,
        "INSERT INTO review_log (user_id, card_id, rating, reviewed_at, duration_ms, state_before, "
        "scheduled_seconds, previous) VALUES (?, ?, ?, ?, ?, 2, ?, '{}')",
        uid,
        card,
        rating,
        when,
        seconds * 1000,
        scheduled,
    )


def state(client: TestClient, uid: int, card: int, *, kind: int, due: str | None, suspended: bool = False) -> None:
    sql(
        client,
        "UPDATE card_state SET state = ?, due = ?, suspended = ? WHERE user_id = ? AND card_id = ?",
        kind,
        due,
        int(suspended),
        uid,
        card,
    )


def test_figures_match_a_hand_written_log(client: TestClient, alice: dict) -> None:
    paris = {"timezone": "Europe/Paris", "day_start_hour": 4}
    assert client.put("/api/users/me/settings", json=paris, headers=alice).status_code == 200
    uid = user_id(client, alice)
    biology, chemistry = make_deck(client, alice, "Biology"), make_deck(client, alice, "Chemistry")
    a = make_note(client, alice, biology, front="A")["cards"][0]["id"]
    make_note(client, alice, biology, front="C")  # stays new
    d = make_note(client, alice, biology, front="D")["cards"][0]["id"]
    b = make_note(client, alice, chemistry, front="B")["cards"][0]["id"]
    # Paris is UTC+1 in January; times below are UTC.
    log(client, uid, a, "2026-01-10 08:00:00.000000", 3, 10, 25 * DAY)  # 09:00 → 10 Jan
    log(client, uid, a, "2026-01-14 02:30:00.000000", 1, 5, 600)  # 03:30, before 4 → 13 Jan; mature, failed
    log(client, uid, a, "2026-01-14 03:30:00.000000", 3, 8, 30 * DAY)  # 04:30 → 14 Jan; after 600 s: young
    log(client, uid, b, "2026-01-15 02:59:00.000000", 4, 4, 22 * DAY)  # 03:59 → 14 Jan
    log(client, uid, b, "2026-01-15 11:00:00.000000", 2, 6, 40 * DAY)  # 12:00 → 15 Jan; mature, passed (Hard)
    state(client, uid, a, kind=2, due="2026-01-16 03:00:00.000000")  # 04:00 on the 16th: tomorrow
    state(client, uid, b, kind=2, due="2026-01-15 02:00:00.000000")  # overdue: today
    state(client, uid, d, kind=1, due="2026-02-20 12:00:00.000000", suspended=True)

    with client.app.state.db.session() as session:
        user = session.get(User, uid)
        result = stats(session, user=user, now=NOW)

    assert (result.today, result.reviews, result.reviews_today, result.days_studied) == (date(2026, 1, 15), 5, 1, 4)
    assert [(d.date.isoformat(), d.reviews, d.seconds) for d in result.heatmap] == [
        ("2026-01-10", 1, 10.0),
        ("2026-01-13", 1, 5.0),
        ("2026-01-14", 2, 12.0),
        ("2026-01-15", 1, 6.0),
    ]
    assert result.time_seconds == 33.0
    assert result.retention.model_dump() == {
        "mature_passed": 1,
        "mature_total": 2,
        "mature_rate": 0.5,
        "passed": 4,
        "total": 5,
        "rate": 0.8,
    }
    assert (result.streak.current, result.streak.longest) == (3, 3)
    assert [(f.date.isoformat(), f.due) for f in result.forecast[:3]] == [
        ("2026-01-15", 1),
        ("2026-01-16", 1),
        ("2026-01-17", 0),
    ]
    assert len(result.forecast) == 30 and sum(f.due for f in result.forecast) == 2  # the suspended card is not due
    assert result.states.model_dump() == {"new": 1, "learning": 0, "review": 2, "relearning": 0, "suspended": 1}
    rows = {row.name: row for row in result.decks}
    assert (rows["Biology"].cards, rows["Biology"].reviews, rows["Biology"].due_today) == (3, 3, 0)
    assert (rows["Biology"].retention.mature_passed, rows["Biology"].retention.mature_total) == (0, 1)
    assert (rows["Chemistry"].cards, rows["Chemistry"].reviews, rows["Chemistry"].due_today) == (1, 2, 1)
    assert rows["Chemistry"].retention.mature_rate == 1.0 and rows["Chemistry"].time_seconds == 10.0

    with client.app.state.db.session() as session:
        narrowed = stats(session, user=session.get(User, uid), now=NOW, deck_id=chemistry)
    assert (narrowed.reviews, narrowed.days_studied, narrowed.streak.current) == (2, 2, 2)
    assert [row.name for row in narrowed.decks] == ["Chemistry"]

    # A day later without a review the streak still stands (today is open); two days later it is broken.
    with client.app.state.db.session() as session:
        user = session.get(User, uid)
        assert stats(session, user=user, now=datetime(2026, 1, 16, 12, tzinfo=UTC)).streak.current == 3
        later = stats(session, user=user, now=datetime(2026, 1, 17, 12, tzinfo=UTC))
    assert (later.streak.current, later.streak.longest, later.reviews_today) == (0, 3, 0)


def test_study_days_across_daylight_saving() -> None:
    paris = ZoneInfo("Europe/Paris")
    # Clocks go forward at 02:00 on 29 March 2026: 01:30 UTC is 03:30 summer time, still the 28th's day.
    assert study_day(datetime(2026, 3, 29, 1, 30, tzinfo=UTC), zone=paris, day_start_hour=4) == date(2026, 3, 28)
    assert study_day(datetime(2026, 3, 29, 2, 0, tzinfo=UTC), zone=paris, day_start_hour=4) == date(2026, 3, 29)
    assert study_day(datetime(2026, 1, 15, 23, 30, tzinfo=UTC), zone=paris, day_start_hour=0) == date(2026, 1, 16)


def test_the_endpoint_counts_todays_reviews_and_guards_decks(client: TestClient, alice: dict, bob: dict) -> None:
    deck = make_deck(client, alice)
    card = make_note(client, alice, deck)["cards"][0]["id"]
    assert client.post(f"/api/review/{card}", json={"rating": 3, "duration_ms": 4200}, headers=alice).is_success
    body = client.get("/api/stats", headers=alice).json()
    assert (body["reviews_today"], body["reviews"], body["time_seconds"]) == (1, 1, 4.2)
    assert body["heatmap"] == [{"date": body["today"], "reviews": 1, "seconds": 4.2}]
    assert body["states"]["learning"] == 1
    refused = client.get("/api/stats", params={"deck_id": deck}, headers=bob)
    assert (refused.status_code, refused.json()) == (404, {"detail": "Deck not found"})
    assert client.get("/api/stats", headers=bob).json()["reviews"] == 0
