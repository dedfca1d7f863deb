"""Sharing public decks: browse them, subscribe, unsubscribe, copy."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.deck import DeckPublic
from models.sharing import SharedDeck, SubscriptionPublic
from processing import decks, sharing
from routers.deps import CurrentUser, SessionDep, SettingsDep, StorageDep

router = APIRouter(prefix="/api/decks", tags=["sharing"])


@router.get("/public")
def list_public_decks(
    session: SessionDep, user: CurrentUser, q: Annotated[str | None, Query(max_length=120)] = None
) -> list[SharedDeck]:
    """Other users' public decks (their notes are readable with GET /api/notes?deck_id=…)."""
    return sharing.list_public_decks(session, user=user, q=q)


@router.post("/{deck_id}/subscribe", status_code=status.HTTP_201_CREATED)
def subscribe(deck_id: int, session: SessionDep, user: CurrentUser) -> SubscriptionPublic:
    """Study a public deck with your own schedule: 404 for a private or unknown deck, 409 for your
    own deck or one you already subscribe to."""
    return sharing.subscribe(session, user=user, deck_id=deck_id)


@router.delete("/{deck_id}/subscribe")
def unsubscribe(deck_id: int, session: SessionDep, user: CurrentUser) -> SubscriptionPublic:
    """Removes your scheduling state for the deck's cards; your review log stays."""
    return sharing.unsubscribe(session, user=user, deck_id=deck_id)


@router.post("/{deck_id}/copy", status_code=status.HTTP_201_CREATED)
def copy_deck(
    deck_id: int, session: SessionDep, user: CurrentUser, storage: StorageDep, settings: SettingsDep
) -> DeckPublic:
    """A private deck of your own with a copy of every note (and its media) of a deck you can read."""
    deck = sharing.copy_deck(
        session, storage=storage, user=user, deck_id=deck_id, quota_bytes=settings.user_quota_bytes
    )
    return decks.deck_public(session, user=user, deck=deck)
