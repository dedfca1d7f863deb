"""Anki review history → Lectern: each card's revlog rows become review_log rows, and its FSRS state
is derived by replaying them in order with py-fsrs's Scheduler (what Lectern's own reviews do, see
processing/srs.py). Manual reschedules (ease 0, type 4) are not reviews and are left out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from models.review import CardStateKind
from processing.interchange.anki_package import AnkiReview

MANUAL = 4
LEARNING_KINDS = (0, 2)  # learn, relearn: three buttons (Again, Good, Easy) in Anki's first scheduler


@dataclass
class ReplayedCard:
    """A card's state after its history, as card_state columns, and its review_log rows."""

    state: dict
    logs: list[dict] = field(default_factory=list)


def rating_for(review: AnkiReview, *, scheduler_version: int) -> Rating | None:
    if review.kind == MANUAL or not 1 <= review.ease <= 4:
        return None
    ease = review.ease
    if scheduler_version == 1 and review.kind in LEARNING_KINDS and ease > 1:
        ease += 1  # v1 learning buttons were Again=1, Good=2, Easy=3
    return Rating(min(ease, 4))


def new_state(created: datetime) -> dict:
    return {
        "state": int(CardStateKind.new),
        "step": None,
        "stability": None,
        "difficulty": None,
        "due": created,  # a new card's place in the new-card queue
        "last_review": None,
        "reps": 0,
        "lapses": 0,
    }


def _snapshot(state: dict, suspended: bool) -> str:
    """The card_state row before a review, in srs.rate's format (undo restores it)."""
    values = dict(state, suspended=suspended)
    for key in ("due", "last_review"):
        values[key] = values[key].isoformat() if values[key] else None
    return json.dumps(values)


def replay(
    reviews: list[AnkiReview],
    *,
    scheduler: Scheduler,
    scheduler_version: int,
    created: datetime,
    suspended: bool,
) -> ReplayedCard:
    """`reviews`: one card's revlog rows, oldest first."""
    state = new_state(created)
    logs: list[dict] = []
    card: FsrsCard | None = None
    for review in reviews:
        rating = rating_for(review, scheduler_version=scheduler_version)
        if rating is None:
            continue
        at = datetime.fromtimestamp(review.at_ms / 1000, tz=UTC)
        if card is None:
            card = FsrsCard(card_id=1)  # a fixed id: py-fsrs would otherwise make one from the clock
        if state["last_review"] is not None and at < state["last_review"]:
            at = state["last_review"]  # clock skew between devices: keep the order
        before = dict(state)
        duration = max(0, min(review.duration_ms, 24 * 3600 * 1000))
        card, _ = scheduler.review_card(card, rating, review_datetime=at, review_duration=duration)
        lapsed = rating == Rating.Again and before["state"] == CardStateKind.review
        state = {
            "state": int(card.state),
            "step": card.step,
            "stability": card.stability,
            "difficulty": card.difficulty,
            "due": card.due,
            "last_review": at,
            "reps": before["reps"] + 1,
            "lapses": before["lapses"] + int(lapsed),
        }
        logs.append(
            {
                "rating": int(rating),
                "reviewed_at": at,
                "duration_ms": duration,
                "state_before": before["state"],
                "scheduled_seconds": max(0, int((card.due - at).total_seconds())),
                "previous": _snapshot(before, suspended),
            }
        )
    return ReplayedCard(state=state, logs=logs)
