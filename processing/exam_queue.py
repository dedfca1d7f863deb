"""What the review queue does while an exam is coming (processing/srs.py calls this only then).

1. New cards of an exam deck are introduced beyond the daily new-card limit when needed to have
   them all learned MARGIN_DAYS before the exam.
2. Once the normal queue is empty, the exam tier serves review cards that must be reviewed before
   the exam (predicted recall there below the desired retention, or due before it anyway), lowest
   predicted recall first. Per exam deck it keeps to a pace: the day's share of the cards that need
   a review (those left plus those reviewed today, over the days left; on the last day, all of them),
   and never past the user's exam daily budget: early
   reviews of a card far from its due teach FSRS little, so pulling everything forward at once
   would spend the budget on reviews that barely move recall.
A card reviewed today is not served again by the tier (lapses come back through learning steps).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from db import RawSQL
from models.exam import ExamNote
from models.review import QueueCounts
from models.user import Learner, User
from processing import srs
from processing.exam import MARGIN_DAYS, NEW_CARD_REVIEWS, UpcomingExam, format_day, needs_review

_MINE = "FROM card_state WHERE user_id = :user_id AND deck_id = :deck_id AND suspended = :no"
_NEW_LEFT = f"SELECT COUNT(*) {_MINE} AND state = 0"
_NEW_CARDS = f"SELECT {srs._STATE_COLUMNS} {_MINE} AND state = 0 ORDER BY due LIMIT {srs.SIBLING_LOOKAHEAD}"
# Review cards not reviewed today: whether each needs the exam tier is decided on predicted recall.
_REVIEW_CARDS = f"SELECT {srs._STATE_COLUMNS} {_MINE} AND state = 2 AND last_review < :since"
# Reviews today in one deck of cards that were new (0) or in review (2) before them.
_REVIEWED_TODAY = (
    "SELECT COUNT(*) FROM review_log JOIN card_state ON card_state.user_id = review_log.user_id"
    " AND card_state.card_id = review_log.card_id WHERE review_log.user_id = :user_id"
    " AND review_log.state_before = :before AND review_log.reviewed_at >= :since AND card_state.deck_id = :deck_id"
)
_REVIEWS_TODAY = (
    "SELECT COUNT(*) FROM (SELECT 1 FROM review_log WHERE user_id = :user_id AND reviewed_at >= :since"
    " LIMIT :budget) AS today"
)


@dataclass
class _Candidate:
    recall: float  # predicted recall at the exam
    state: dict
    exam: UpcomingExam


@dataclass
class ExamQueue:
    """Today's exam extras for one queue request: new-card quotas per exam deck and the tier."""

    budget_left: int  # reviews the budget still allows today
    new_quota: list[tuple[UpcomingExam, int]] = field(default_factory=list)
    tier: list[_Candidate] = field(default_factory=list)  # lowest predicted recall first
    tier_quota: dict[int, int] = field(default_factory=dict)  # deck id: early reviews its pace allows now

    @property
    def new_total(self) -> int:
        return sum(quota for _exam, quota in self.new_quota)

    @property
    def tier_open(self) -> int:
        per_deck = {}
        for candidate in self.tier:
            per_deck[candidate.exam.deck_id] = per_deck.get(candidate.exam.deck_id, 0) + 1
        return min(sum(min(n, max(0, self.tier_quota.get(d, 0))) for d, n in per_deck.items()), self.budget_left)

    def _tier_now(self) -> list[_Candidate]:
        return [c for c in self.tier if self.tier_quota.get(c.exam.deck_id, 0) > 0]

    def counts(self, counts: QueueCounts) -> QueueCounts:
        """The normal counts plus what the exam adds (new cards beyond the limit, the tier)."""
        return QueueCounts(
            new=counts.new + max(0, self.new_total - counts.new),
            learning=counts.learning,
            review=counts.review,
            exam=self.tier_open,
        )

    def pick(self, sql: RawSQL, *, user_id: int, split: Callable[..., tuple[list, list]]) -> tuple:
        """(card_state row, ExamNote or None) of the next exam card, or (None, None); `split` puts
        siblings of cards seen today last, as the normal queue does."""
        for exam, quota in self.new_quota:
            if quota > 0:
                params = {"user_id": user_id, "deck_id": exam.deck_id, "no": False}
                fresh, waiting = split(candidates=sql.all(_NEW_CARDS, params))
                if fresh or waiting:
                    return (fresh or waiting)[0], None
        if self.tier_open > 0:
            top = self._tier_now()[: srs.SIBLING_LOOKAHEAD]
            fresh, waiting = split(candidates=[c.state for c in top])
            chosen = (fresh or waiting)[0]
            exam = next(c.exam for c in top if c.state is chosen)
            reason = f"Early review for your exam on {format_day(exam.exam_date)}"
            return chosen, ExamNote(deck_id=exam.deck_id, exam_date=exam.exam_date, reason=reason)
        return None, None


def read(
    sql: RawSQL, *, user: User | Learner, exams: list[UpcomingExam], now: datetime, since: str, learning: int
) -> ExamQueue:
    """Today's extras for the user's upcoming `exams`; `learning` is the number of learning cards
    due soon (they will be reviewed today and count against the budget)."""
    budget = exams[0].budget
    reviews_today = sql.scalar(_REVIEWS_TODAY, {"user_id": user.id, "since": since, "budget": budget})
    queue = ExamQueue(budget_left=max(0, budget - reviews_today - learning))
    scheduler = srs.scheduler_for(user, fuzz=False)
    new_by_budget = queue.budget_left // NEW_CARD_REVIEWS
    for exam in exams:
        params = {"user_id": user.id, "deck_id": exam.deck_id, "no": False, "since": since}
        new_left = sql.scalar(_NEW_LEFT, params)
        if new_left:
            introduced = sql.scalar(_REVIEWED_TODAY, params | {"before": 0})
            wanted = math.ceil((new_left + introduced) / max(1, exam.days_left - MARGIN_DAYS)) - introduced
            quota = max(0, min(wanted, new_left, new_by_budget))
            new_by_budget -= quota
            queue.new_quota.append((exam, quota))
        needing = 0
        for row in sql.all(_REVIEW_CARDS, params):
            state = srs._read_state(sql, row)
            needed, recall = needs_review(scheduler, state, moment=exam.moment, target=user.desired_retention)
            if needed:
                queue.tier.append(_Candidate(recall, state, exam))
                needing += 1
        done = sql.scalar(_REVIEWED_TODAY, params | {"before": 2}) if needing else 0
        queue.tier_quota[exam.deck_id] = math.ceil((needing + done) / exam.days_left) - done
    queue.tier.sort(key=lambda c: (c.recall, c.state["due"]))
    return queue
