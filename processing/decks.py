"""Decks: ownership checks, CRUD and the per-deck counts shown in the deck list."""

from __future__ import annotations

from sqlalchemy import case, false, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.common import utcnow
from models.deck import Deck, DeckCreate, DeckPublic, DeckUpdate
from models.note import Note
from models.review import CardState, CardStateKind
from models.user import User
from processing.errors import Conflict, NotFound


def get_owned_deck(session: Session, *, user: User, deck_id: int) -> Deck:
    """The one place that decides whether a deck is the user's: anyone else gets 404."""
    deck = session.get(Deck, deck_id)
    if deck is None or deck.owner_id != user.id:
        raise NotFound("Deck not found")
    return deck


def _counts(session: Session, *, user: User, deck_ids: list[int]) -> dict[int, dict[str, int]]:
    from processing.srs import new_remaining

    now = utcnow()
    out = {
        d: {"note_count": 0, "card_count": 0, "due_count": 0, "new_count": 0, "suspended_count": 0} for d in deck_ids
    }
    if not deck_ids:
        return out
    notes = session.exec(
        select(Note.deck_id, func.count())
        .where(Note.owner_id == user.id, Note.deck_id.in_(deck_ids))
        .group_by(Note.deck_id)
    ).all()
    for deck_id, count in notes:
        out[deck_id]["note_count"] = count
    active = CardState.suspended == false()
    rows = session.exec(
        select(
            CardState.deck_id,
            func.count(),
            func.sum(case((CardState.suspended, 1), else_=0)),
            func.sum(case((active & (CardState.state != CardStateKind.new) & (CardState.due <= now), 1), else_=0)),
            func.sum(case((active & (CardState.state == CardStateKind.new), 1), else_=0)),
        )
        .where(CardState.user_id == user.id, CardState.deck_id.in_(deck_ids))
        .group_by(CardState.deck_id)
    ).all()
    remaining = new_remaining(session, user=user, now=now)
    for deck_id, cards, suspended, due, new in rows:
        out[deck_id].update(
            card_count=cards, suspended_count=suspended or 0, due_count=due or 0, new_count=min(new or 0, remaining)
        )
    return out


def _public(deck: Deck, counts: dict[str, int]) -> DeckPublic:
    return DeckPublic.model_validate(deck, from_attributes=True, update=counts)


def list_decks(session: Session, *, user: User) -> list[DeckPublic]:
    decks = sorted(session.exec(select(Deck).where(Deck.owner_id == user.id)).all(), key=lambda d: d.name.casefold())
    counts = _counts(session, user=user, deck_ids=[d.id for d in decks])
    return [_public(d, counts[d.id]) for d in decks]


def deck_public(session: Session, *, user: User, deck: Deck) -> DeckPublic:
    return _public(deck, _counts(session, user=user, deck_ids=[deck.id])[deck.id])


def _name_taken(session: Session, *, user: User, name: str, exclude: int | None = None) -> bool:
    # Compared in Python: SQL lower() folds only A–Z, and "Écologie" must clash with "écologie".
    wanted = name.casefold()
    rows = session.exec(select(Deck.id, Deck.name).where(Deck.owner_id == user.id)).all()
    return any(n.casefold() == wanted for i, n in rows if i != exclude)


def create_deck(session: Session, *, user: User, deck_in: DeckCreate) -> Deck:
    if _name_taken(session, user=user, name=deck_in.name):
        raise Conflict(f"You already have a deck named '{deck_in.name}'")
    deck = Deck.model_validate(deck_in, update={"owner_id": user.id})
    session.add(deck)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"You already have a deck named '{deck_in.name}'") from exc
    session.refresh(deck)
    return deck


def update_deck(session: Session, *, user: User, deck_id: int, deck_in: DeckUpdate) -> Deck:
    deck = get_owned_deck(session, user=user, deck_id=deck_id)
    changes = deck_in.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes and _name_taken(session, user=user, name=changes["name"], exclude=deck.id):
        raise Conflict(f"You already have a deck named '{changes['name']}'")
    deck.sqlmodel_update(changes)
    deck.updated_at = utcnow()
    session.add(deck)
    session.commit()
    return deck


def delete_deck(session: Session, *, user: User, deck_id: int) -> None:
    deck = get_owned_deck(session, user=user, deck_id=deck_id)
    session.delete(deck)
    session.commit()
