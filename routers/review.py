"""Review: the next due card, ratings, undo, the review log.

The rating and next-card routes are the hot path: each does its work in one thread-pool hop
(the token is checked without I/O, then the user is loaded in the same session as the work),
instead of FastAPI's hop per blocking dependency.
"""

from typing import Annotated

from fastapi import APIRouter, Query

from models.review import NextCard, RatingIn, RatingOut, ReviewLogPublic, UndoOut
from processing import accounts, srs
from processing.decks import get_owned_deck
from routers.deps import CurrentUser, DatabaseDep, SessionDep, TokenClaimsDep

router = APIRouter(prefix="/api/review", tags=["review"])


@router.get("/next")
def next_card(database: DatabaseDep, claims: TokenClaimsDep, deck_id: int | None = None) -> NextCard:
    with database.session() as session:
        learner = accounts.learner_for(session, claims=claims)
        return srs.next_card(session, user=learner, deck_id=deck_id)


@router.post("/undo")
def undo(session: SessionDep, user: CurrentUser) -> UndoOut:
    return srs.undo_last(session, user=user)


@router.get("/log")
def review_log(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    deck_id: int | None = None,
) -> list[ReviewLogPublic]:
    if deck_id is not None:
        get_owned_deck(session, user=user, deck_id=deck_id)
    return srs.review_log(session, user=user, limit=limit, deck_id=deck_id)


@router.post("/{card_id}")
def rate(
    card_id: int,
    data: RatingIn,
    database: DatabaseDep,
    claims: TokenClaimsDep,
    deck_id: Annotated[int | None, Query(description="also return the next card of this deck")] = None,
) -> RatingOut:
    """Records a rating and answers with the next card (of `deck_id`, or of all decks)."""
    with database.session() as session:  # read: who is asking, and may they use this deck
        learner = accounts.learner_for(session, claims=claims)
        if deck_id is not None:
            srs.check_deck(srs.RawSQL(session), user=learner, deck_id=deck_id)
    with database.session(write=True) as session:
        out = srs.rate(session, user=learner, card_id=card_id, rating_in=data)
    with database.session() as session:  # outside the write transaction: it does not hold the write lock
        out.next = srs.next_card(session, user=learner, deck_id=deck_id)
    return out
