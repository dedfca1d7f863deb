"""Personal FSRS parameters: fit the scheduler's 21 weights to one user's own review log (py-fsrs's
Optimizer, gradient descent in torch) as a job, and keep them only if they predict that log better.

The fit learns from reviews of cards in the Review state a day or more after the previous review; py-fsrs
returns its defaults below 512 of those, so that is the threshold (counted here as logged reviews of
cards that were in the Review state). "Better" is the log loss (binary cross-entropy) of the predicted
recall against what happened (anything but Again is recalled), computed on the same reviews as the fit
uses, for the defaults and for the new weights; both figures go into the job's result.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

from fsrs import Card, Optimizer, Rating, ReviewLog, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import text
from sqlmodel import Session

from db import Database, read_time
from models.job import Job
from models.user import FsrsStatus, User
from processing.errors import Conflict
from processing.jobs import JobContext, JobError, JobRunner

OPTIMIZE = "fsrs_optimize"
MIN_REVIEWS = 512
_REVIEWS = (
    "SELECT card_id, rating, reviewed_at, duration_ms FROM review_log WHERE user_id = :user_id ORDER BY reviewed_at, id"
)
_USABLE = "SELECT count(*) FROM review_log WHERE user_id = :user_id AND state_before = 2"


def usable_reviews(session: Session, *, user_id: int) -> int:
    return int(session.execute(text(_USABLE), {"user_id": user_id}).scalar() or 0)


def status(session: Session, *, user: User) -> FsrsStatus:
    return FsrsStatus(
        personal=user.fsrs_parameters is not None,
        parameters=json.loads(user.fsrs_parameters) if user.fsrs_parameters else list(DEFAULT_PARAMETERS),
        reviews=usable_reviews(session, user_id=user.id),
        threshold=MIN_REVIEWS,
    )


def start(session: Session, *, runner: JobRunner, user: User) -> Job:
    reviews = usable_reviews(session, user_id=user.id)
    if reviews < MIN_REVIEWS:
        raise Conflict(
            f"Personal parameters need at least {MIN_REVIEWS} reviews of cards already in review "
            f"(you have {reviews}); until then the FSRS defaults fit better than anything learnt from so few."
        )
    job = runner.enqueue(session, owner_id=user.id, kind=OPTIMIZE, params={})
    session.commit()
    runner.dispatch(job)
    return job


def reset(session: Session, *, user: User) -> FsrsStatus:
    user.fsrs_parameters = None
    session.add(user)
    session.commit()
    session.refresh(user)
    return status(session, user=user)


def log_loss(logs: list[ReviewLog], parameters: tuple[float, ...] | list[float]) -> tuple[float, int]:
    """Mean binary cross-entropy of FSRS's predicted recall on reviews a day or more after the last one."""
    scheduler = Scheduler(parameters=tuple(parameters), enable_fuzzing=False)
    by_card: dict[int, list[ReviewLog]] = defaultdict(list)
    for log in logs:
        by_card[log.card_id].append(log)
    total, count = 0.0, 0
    for card_id, history in by_card.items():
        card = Card(card_id=card_id, due=history[0].review_datetime)
        for log in history:
            if card.last_review is not None and (log.review_datetime - card.last_review).days > 0:
                predicted = min(max(scheduler.get_card_retrievability(card, log.review_datetime), 1e-6), 1 - 1e-6)
                recalled = log.rating != Rating.Again
                total -= math.log(predicted) if recalled else math.log(1 - predicted)
                count += 1
            card, _ = scheduler.review_card(card, log.rating, review_datetime=log.review_datetime)
    return (total / count if count else 0.0), count


class FsrsOptimization:
    """Handler for jobs of kind "fsrs_optimize" (no params: the owner's whole log)."""

    def __init__(self, *, database: Database) -> None:
        self.db = database

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        ctx.progress(step="reading", current=0, total=1, message="Reading your review log")
        logs = self._logs(ctx.owner_id)
        ctx.progress(step="fitting", current=0, total=1, message=f"Fitting FSRS to {len(logs):,} reviews")
        fitted = tuple(float(p) for p in Optimizer(logs).compute_optimal_parameters())
        ctx.progress(step="checking", current=0, total=1, message="Comparing with the defaults")
        before, evaluated = log_loss(logs, DEFAULT_PARAMETERS)
        after, _ = log_loss(logs, fitted)
        if not evaluated:
            raise JobError("None of your reviews came a day or more after the previous one; nothing to learn from")
        applied = after < before
        with self.db.transaction() as session:
            user = session.get(User, ctx.owner_id)
            if user is None:
                raise JobError("This account has been deleted")
            if applied:
                user.fsrs_parameters = json.dumps(fitted)
                session.add(user)
        return {
            "reviews": len(logs),
            "evaluated_reviews": evaluated,
            "log_loss_before": round(before, 5),
            "log_loss_after": round(after, 5),
            "applied": applied,
            "parameters": list(fitted),
        }

    def _logs(self, owner_id: int) -> list[ReviewLog]:
        with self.db.session() as session:
            rows = session.execute(text(_REVIEWS), {"user_id": owner_id}).all()
        return [
            ReviewLog(
                card_id=card_id,
                rating=Rating(rating),
                review_datetime=read_time(reviewed_at),
                review_duration=duration_ms or None,
            )
            for card_id, rating, reviewed_at, duration_ms in rows
        ]
