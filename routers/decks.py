"""Decks."""

from fastapi import APIRouter, status

from models.deck import DeckCreate, DeckPublic, DeckUpdate
from processing import decks
from routers.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/decks", tags=["decks"])


@router.get("")
def list_decks(session: SessionDep, user: CurrentUser) -> list[DeckPublic]:
    return decks.list_decks(session, user=user)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_deck(data: DeckCreate, session: SessionDep, user: CurrentUser) -> DeckPublic:
    deck = decks.create_deck(session, user=user, deck_in=data)
    return decks.deck_public(session, user=user, deck=deck)


@router.get("/{deck_id}")
def read_deck(deck_id: int, session: SessionDep, user: CurrentUser) -> DeckPublic:
    return decks.deck_public(session, user=user, deck=decks.get_owned_deck(session, user=user, deck_id=deck_id))


@router.patch("/{deck_id}")
def update_deck(deck_id: int, data: DeckUpdate, session: SessionDep, user: CurrentUser) -> DeckPublic:
    deck = decks.update_deck(session, user=user, deck_id=deck_id, deck_in=data)
    return decks.deck_public(session, user=user, deck=deck)


@router.delete("/{deck_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_deck(deck_id: int, session: SessionDep, user: CurrentUser) -> None:
    decks.delete_deck(session, user=user, deck_id=deck_id)
