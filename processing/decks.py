"""Decks: who may read or edit one (the one place that decides), CRUD, and the per-deck counts of the deck list.

Access: the owner reads and edits; a subscriber (processing/sharing.py) and, for a public deck, any
user reads; everyone else is told the deck does not exist (404), so private decks stay invisible.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import case, false, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.common import utcnow
from models.deck import Deck, DeckCreate, DeckPublic, DeckUpdate, Visibility
from models.note import Card, Note
from models.notice import NoticeKind
from models.review import CardState, CardStateKind
from models.sharing import DeckSubscription
from models.user import User
from processing.errors import Conflict, Forbidden, NotFound
from processing.notices import Publish, publish_notices

NOT_OWNER = "Only the deck's owner can edit it"


class Access(StrEnum):
    owner = "owner"
    subscriber = "subscriber"
    public = "public"  # may read (preview) it, not subscribed


def display_name(user: User) -> str:
    """How other users see an account: its display name, else the local part of its email."""
    return user.display_name.strip() or user.email.split("@", 1)[0]


def is_subscribed(session: Session, *, user_id: int, deck_id: int) -> bool:
    return session.get(DeckSubscription, (user_id, deck_id)) is not None


def deck_access(session: Session, *, user: User, deck: Deck) -> Access | None:
    if deck.owner_id == user.id:
        return Access.owner
    if is_subscribed(session, user_id=user.id, deck_id=deck.id):
        return Access.subscriber
    if deck.visibility == Visibility.public:
        return Access.public
    return None


def get_readable_deck(session: Session, *, user: User, deck_id: int) -> Deck:
    """The owner's, a subscribed or a public deck (read-only unless owned); anyone else gets 404."""
    deck = session.get(Deck, deck_id)
    if deck is None or deck_access(session, user=user, deck=deck) is None:
        raise NotFound("Deck not found")
    return deck


def get_owned_deck(session: Session, *, user: User, deck_id: int) -> Deck:
    """For every write: the owner gets the deck, a user who may only read it 403, anyone else 404."""
    deck = get_readable_deck(session, user=user, deck_id=deck_id)
    if deck.owner_id != user.id:
        raise Forbidden(NOT_OWNER)
    return deck


def studied_deck_ids(session: Session, *, user: User) -> list[int]:
    """Decks whose cards the user has scheduling states for: their own and their subscriptions."""
    own = session.exec(select(Deck.id).where(Deck.owner_id == user.id)).all()
    subscribed = session.exec(select(DeckSubscription.deck_id).where(DeckSubscription.user_id == user.id)).all()
    return [*own, *subscribed]


def subscriber_ids(session: Session, *, deck_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {d: [] for d in deck_ids}
    if deck_ids:
        rows = session.exec(
            select(DeckSubscription.deck_id, DeckSubscription.user_id).where(DeckSubscription.deck_id.in_(deck_ids))
        ).all()
        for deck_id, user_id in rows:
            out[deck_id].append(user_id)
    return out


def _counts(session: Session, *, user: User, deck_ids: list[int]) -> dict[int, dict[str, int]]:
    from processing.srs import new_remaining

    now = utcnow()
    out = {
        d: {"note_count": 0, "card_count": 0, "due_count": 0, "new_count": 0, "suspended_count": 0} for d in deck_ids
    }
    if not deck_ids:
        return out
    # Notes and cards of the deck whoever reads it; due/new/suspended from the reader's own states.
    notes = session.exec(
        select(Note.deck_id, func.count()).where(Note.deck_id.in_(deck_ids)).group_by(Note.deck_id)
    ).all()
    for deck_id, count in notes:
        out[deck_id]["note_count"] = count
    cards = session.exec(
        select(Note.deck_id, func.count())
        .join(Card, Card.note_id == Note.id)
        .where(Note.deck_id.in_(deck_ids))
        .group_by(Note.deck_id)
    ).all()
    for deck_id, count in cards:
        out[deck_id]["card_count"] = count
    active = CardState.suspended == false()
    rows = session.exec(
        select(
            CardState.deck_id,
            func.sum(case((CardState.suspended, 1), else_=0)),
            func.sum(case((active & (CardState.state != CardStateKind.new) & (CardState.due <= now), 1), else_=0)),
            func.sum(case((active & (CardState.state == CardStateKind.new), 1), else_=0)),
        )
        .where(CardState.user_id == user.id, CardState.deck_id.in_(deck_ids))
        .group_by(CardState.deck_id)
    ).all()
    remaining = new_remaining(session, user=user, now=now)
    for deck_id, suspended, due, new in rows:
        out[deck_id].update(suspended_count=suspended or 0, due_count=due or 0, new_count=min(new or 0, remaining))
    return out


def _publics(session: Session, *, user: User, decks: list[Deck]) -> list[DeckPublic]:
    ids = [d.id for d in decks]
    counts = _counts(session, user=user, deck_ids=ids)
    subscribers = subscriber_ids(session, deck_ids=ids)
    owners = {o.id: o for o in session.exec(select(User).where(User.id.in_({d.owner_id for d in decks})))}
    return [
        DeckPublic.model_validate(
            d,
            from_attributes=True,
            update=counts[d.id]
            | {
                "owned": d.owner_id == user.id,
                "subscribed": user.id in subscribers[d.id],
                "owner_name": display_name(owners[d.owner_id]),
                "subscriber_count": len(subscribers[d.id]) if d.owner_id == user.id else 0,
            },
        )
        for d in decks
    ]


def list_decks(session: Session, *, user: User) -> list[DeckPublic]:
    """The user's own decks, then the decks they subscribe to, each group by name."""
    own = session.exec(select(Deck).where(Deck.owner_id == user.id)).all()
    mine = select(DeckSubscription.deck_id).where(DeckSubscription.user_id == user.id)
    subscribed = session.exec(select(Deck).where(Deck.id.in_(mine))).all()
    return _publics(session, user=user, decks=_by_name(own) + _by_name(subscribed))


def _by_name(decks: list[Deck]) -> list[Deck]:
    return sorted(decks, key=lambda d: d.name.casefold())


def deck_public(session: Session, *, user: User, deck: Deck) -> DeckPublic:
    return _publics(session, user=user, decks=[deck])[0]


def name_taken(session: Session, *, user: User, name: str, exclude: int | None = None) -> bool:
    # Compared in Python: SQL lower() folds only A–Z, and "Écologie" must clash with "écologie".
    wanted = name.casefold()
    rows = session.exec(select(Deck.id, Deck.name).where(Deck.owner_id == user.id)).all()
    return any(n.casefold() == wanted for i, n in rows if i != exclude)


def create_deck(session: Session, *, user: User, deck_in: DeckCreate) -> Deck:
    if name_taken(session, user=user, name=deck_in.name):
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


def update_deck(session: Session, *, user: User, deck_id: int, deck_in: DeckUpdate, publish: Publish) -> Deck:
    """Making a public deck private ends its subscriptions; each subscriber gets a notice."""
    from processing.sharing import end_subscriptions

    deck = get_owned_deck(session, user=user, deck_id=deck_id)
    changes = deck_in.model_dump(exclude_unset=True, exclude_none=True)
    if "name" in changes and name_taken(session, user=user, name=changes["name"], exclude=deck.id):
        raise Conflict(f"You already have a deck named '{changes['name']}'")
    notices = []
    if changes.get("visibility") == Visibility.private and deck.visibility == Visibility.public:
        message = f"{display_name(user)} made the shared deck '{deck.name}' private; it is no longer in your decks"
        notices = end_subscriptions(session, deck=deck, kind=NoticeKind.deck_private, message=message)
    deck.sqlmodel_update(changes)
    deck.updated_at = utcnow()
    session.add(deck)
    session.commit()
    publish_notices(publish, notices)
    return deck


def delete_deck(session: Session, *, user: User, deck_id: int, publish: Publish) -> None:
    from processing.sharing import end_subscriptions

    deck = get_owned_deck(session, user=user, deck_id=deck_id)
    message = f"{display_name(user)} deleted the shared deck '{deck.name}'"
    notices = end_subscriptions(session, deck=deck, kind=NoticeKind.deck_deleted, message=message)
    session.delete(deck)
    session.commit()
    publish_notices(publish, notices)
