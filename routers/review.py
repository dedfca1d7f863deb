"""Review: the next due card, ratings, undo, the review log.

The rating and next-card routes are the hot path: each does its work in one thread-pool hop
and one plain-SQL transaction (db.Database.raw): the token is checked without I/O, then the
user is loaded in the same transaction as the work.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import SQLModel

from models.review import FeedbackIn, FeedbackOut, NextCard, RatingIn, RatingOut, ReviewLogPublic, UndoOut
from processing import accounts, feedback, llm, srs
from routers.deps import CurrentUser, DatabaseDep, EmbedderDep, SessionDep, SettingsDep, TokenClaimsDep

router = APIRouter(prefix="/api/review", tags=["review"])


def _json(model: SQLModel) -> Response:
    # Already a validated model: serialize it once instead of letting FastAPI validate it again.
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/next", response_model=NextCard)
def next_card(database: DatabaseDep, claims: TokenClaimsDep, deck_id: int | None = None) -> Response:
    with database.raw() as sql:
        learner = accounts.learner_for(sql, claims=claims)
        return _json(srs.next_card(sql, user=learner, deck_id=deck_id))


@router.post("/undo")
def undo(session: SessionDep, user: CurrentUser, deck_id: int | None = None) -> UndoOut:
    """Undoes the latest review of today (in `deck_id`, when studying one deck)."""
    return srs.undo_last(session, user=user, deck_id=deck_id)


@router.get("/log")
def review_log(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    deck_id: int | None = None,
) -> list[ReviewLogPublic]:
    return srs.review_log(session, user=user, limit=limit, deck_id=deck_id)


@router.post("/{card_id}", response_model=RatingOut)
def rate(
    card_id: int,
    data: RatingIn,
    database: DatabaseDep,
    claims: TokenClaimsDep,
    deck_id: Annotated[int | None, Query(description="also return the next card of this deck")] = None,
) -> Response:
    """Records a rating and answers with the next card (of `deck_id`, or of all decks)."""
    # One transaction: who is asking, may they use this deck, the rating, and what comes next.
    with database.raw(write=True) as sql:
        learner = accounts.learner_for(sql, claims=claims)
        if deck_id is not None:
            srs.check_deck(sql, user=learner, deck_id=deck_id)
        out = srs.rate(sql, user=learner, card_id=card_id, rating_in=data)
        out.next = srs.next_card(sql, user=learner, deck_id=deck_id)
    return _json(out)


@router.post("/{card_id}/feedback")
def typein_feedback(
    card_id: int,
    data: FeedbackIn,
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    embedder: EmbedderDep,
    settings: SettingsDep,
) -> FeedbackOut:
    """Suggests a rating for a typed answer, with a one-line reason (and streamed written
    feedback over /ws when a language model is configured)."""
    result = feedback.typein_feedback(
        session,
        user_id=user.id,
        card_id=card_id,
        typed=data.typed,
        embedder=embedder,
        provider=llm.provider_from_settings(settings),
        streams=request.app.state.feedback,
    )
    return result


@router.delete("/feedback/{stream_id}", status_code=204)
def stop_feedback(stream_id: str, request: Request, user: CurrentUser) -> None:
    """Stops the written feedback being streamed under `stream_id` (the review screen calls it when
    the user moves on); it ends with feedback.done and "stopped": true. 404 once it has ended."""
    request.app.state.feedback.stop(user_id=user.id, stream_id=stream_id)
