"""Review: the next due card, ratings, undo, the review log."""

from typing import Annotated

from fastapi import APIRouter, Query

from models.review import NextCard, RatingIn, RatingOut, ReviewLogPublic, UndoOut
from processing import srs
from processing.decks import get_owned_deck
from routers.deps import CurrentUser, DatabaseDep, SessionDep

router = APIRouter(prefix="/api/review", tags=["review"])


@router.get("/next")
def next_card(session: SessionDep, user: CurrentUser, deck_id: int | None = None) -> NextCard:
    return srs.next_card(session, user=user, deck_id=deck_id)


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
    session: SessionDep,
    user: CurrentUser,
    database: DatabaseDep,
    deck_id: Annotated[int | None, Query(description="also return the next card of this deck")] = None,
) -> RatingOut:
    """Records a rating and answers with the next card (of `deck_id`, or of all decks)."""
    if deck_id is not None:
        get_owned_deck(session, user=user, deck_id=deck_id)
    out = srs.rate(session, user=user, card_id=card_id, rating_in=data)
    with database.session() as read:  # outside the write transaction: it does not hold the write lock
        out.next = srs.next_card(read, user=user, deck_id=deck_id)
    return out
