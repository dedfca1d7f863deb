"""Personal FSRS parameters: fitted from a synthetic review log of someone who forgets new cards much
faster than FSRS's defaults assume; the fit must predict that log better, and the scheduler then uses it."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from fsrs import Card, Rating, Scheduler, State
from fsrs.scheduler import DEFAULT_PARAMETERS

from tests.conftest import make_deck, make_note, sql, user_id

CARDS = 150


def forgetful_log(card_ids: list[int], *, days: int = 200, seed: int = 1) -> list[tuple]:
    """(card id, rating, reviewed at, state before) of a learner whose first stabilities are a quarter of the
    defaults, reviewing when FSRS-with-the-truth says so (a little late or early), rating Again or Good."""
    rnd = random.Random(seed)
    truth = list(DEFAULT_PARAMETERS)
    truth[0:4] = [weight * 0.25 for weight in truth[0:4]]
    scheduler = Scheduler(parameters=tuple(truth), desired_retention=0.9, enable_fuzzing=False)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for card_id in card_ids:
        card = Card(card_id=card_id, due=start)
        now = start + timedelta(hours=rnd.random() * 24 * 20)
        while now < start + timedelta(days=days):
            if card.last_review is None:
                rating = rnd.choice([Rating.Again, Rating.Good])
            else:
                recalled = rnd.random() < scheduler.get_card_retrievability(card, now)
                rating = Rating.Good if recalled else Rating.Again
            state_before = 0 if card.last_review is None else int(card.state)
            rows.append((card_id, int(rating), now, state_before))
            card, _ = scheduler.review_card(card, rating, review_datetime=now)
            now += max(card.due - now, timedelta(minutes=10)) * rnd.uniform(0.8, 1.6)
    return rows


def test_the_fit_predicts_the_users_reviews_better_and_is_used(client: TestClient, alice: dict) -> None:
    deck = make_deck(client, alice)
    cards = [make_note(client, alice, deck, front=f"Q{i}")["cards"][0]["id"] for i in range(CARDS)]
    uid = user_id(client, alice)
    status = client.get("/api/users/me/fsrs", headers=alice).json()
    assert status == {"personal": False, "parameters": list(DEFAULT_PARAMETERS), "reviews": 0, "threshold": 512}
    refused = client.post("/api/users/me/fsrs/optimize", headers=alice)
    assert refused.status_code == 409 and "at least 512 reviews" in refused.json()["detail"]
    rows = forgetful_log(cards)
    for card_id, rating, when, state_before in rows:
        sql(
            client,
            "INSERT INTO review_log (user_id, card_id, rating, reviewed_at, duration_ms, state_before, "
            "scheduled_seconds, previous) VALUES (?, ?, ?, ?, 3000, ?, 0, '{}')",
            uid,
            card_id,
            rating,
            when.strftime("%Y-%m-%d %H:%M:%S.%f"),
            state_before,
        )
    usable = sum(1 for row in rows if row[3] == State.Review)
    assert client.get("/api/users/me/fsrs", headers=alice).json()["reviews"] == usable >= 512

    started = client.post("/api/users/me/fsrs/optimize", headers=alice)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + 300
    while (job := client.get(f"/api/jobs/{job_id}", headers=alice).json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "the fit did not finish"
        time.sleep(0.5)
    assert job["status"] == "succeeded", job["error"]
    result = job["result"]
    assert result["reviews"] == len(rows) and result["applied"] is True
    assert result["log_loss_after"] < result["log_loss_before"], result
    stored = json.loads(sql(client, "SELECT fsrs_parameters FROM user WHERE id = ?", uid)[0][0])
    assert stored == result["parameters"] and stored != list(DEFAULT_PARAMETERS)
    status = client.get("/api/users/me/fsrs", headers=alice).json()
    assert status["personal"] is True and status["parameters"] == stored

    # The forgetful learner's fitted weights give a new card rated Good a lower first stability than the defaults.
    def first_stability(front: str) -> float:
        card = make_note(client, alice, deck, front=front)["cards"][0]["id"]
        assert client.post(f"/api/review/{card}", json={"rating": 3}, headers=alice).status_code == 200
        return sql(client, "SELECT stability FROM card_state WHERE card_id = ?", card)[0][0]

    personal = first_stability("fresh")
    assert client.delete("/api/users/me/fsrs", headers=alice).json()["personal"] is False
    assert personal < first_stability("other")
