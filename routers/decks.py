"""Decks."""

from fastapi import APIRouter, status

from models.deck import DeckCreate, DeckPublic, DeckUpdate
from processing import decks
from routers.deps import CurrentUser, SessionDep
from routers.notices import PublishDep

router = APIRouter(prefix="/api/decks", tags=["decks"])


@router.get("")
def list_decks(session: SessionDep, user: CurrentUser) -> list[DeckPublic]:
    """Your own decks, then those you subscribe to (`owned` false: read-only)."""
    return decks.list_decks(session, user=user)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_deck(data: DeckCreate, session: SessionDep, user: CurrentUser) -> DeckPublic:
    deck = decks.create_deck(session, user=user, deck_in=data)
    return decks.deck_public(session, user=user, deck=deck)


@router.get("/{deck_id}")
def read_deck(deck_id: int, session: SessionDep, user: CurrentUser) -> DeckPublic:
    """Your deck, one you subscribe to, or a public deck (read-only unless yours)."""
    return decks.deck_public(session, user=user, deck=decks.get_readable_deck(session, user=user, deck_id=deck_id))


@router.patch("/{deck_id}")
def update_deck(
    deck_id: int, data: DeckUpdate, session: SessionDep, user: CurrentUser, publish: PublishDep
) -> DeckPublic:
    """Owner only (403 for a deck you may only read). Making a public deck private ends its
    subscriptions and sends each subscriber a notice."""
    deck = decks.update_deck(session, user=user, deck_id=deck_id, deck_in=data, publish=publish)
    return decks.deck_public(session, user=user, deck=deck)


@router.delete("/{deck_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deck(deck_id: int, session: SessionDep, user: CurrentUser, publish: PublishDep) -> None:
    """Owner only; the deck's subscribers get a notice."""
    decks.delete_deck(session, user=user, deck_id=deck_id, publish=publish)
