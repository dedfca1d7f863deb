"""Sharing public decks: browse other users' public decks, subscribe (study the owner's cards with your
own scheduling state), unsubscribe, copy into an independent deck, and ending subscriptions when a
deck is deleted or made private.

A subscription owns nothing but card_state rows: the subscriber reads the owner's note and card rows
themselves, so the owner's edits show at once. Review log rows are the subscriber's and stay.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, literal
from sqlmodel import Session, select

from models.deck import Deck, Visibility
from models.note import Card, Note, NoteCreate, NoteKind
from models.notice import Notice, NoticeKind
from models.review import CardState, CardStateKind
from models.sharing import DeckSubscription, SharedDeck, SubscriptionPublic
from models.user import User
from processing.decks import display_name, get_readable_deck, is_subscribed, name_taken, subscriber_ids
from processing.errors import Conflict, NotFound
from processing.media.links import copy_media_to
from processing.notices import add_notices
from processing.render import render_cards
from processing.storage import Storage

MAX_DECK_NAME = 120


def list_public_decks(session: Session, *, user: User, q: str | None = None) -> list[SharedDeck]:
    """Other users' public decks, by name; `q` keeps those whose name contains it (any case)."""
    decks = session.exec(select(Deck).where(Deck.visibility == Visibility.public, Deck.owner_id != user.id)).all()
    if q and q.strip():
        wanted = q.strip().casefold()
        decks = [d for d in decks if wanted in d.name.casefold()]
    decks = sorted(decks, key=lambda d: (d.name.casefold(), d.id))
    ids = [d.id for d in decks]
    if not ids:
        return []
    notes = dict(
        session.exec(select(Note.deck_id, func.count()).where(Note.deck_id.in_(ids)).group_by(Note.deck_id)).all()
    )
    cards = dict(
        session.exec(
            select(Note.deck_id, func.count())
            .join(Card, Card.note_id == Note.id)
            .where(Note.deck_id.in_(ids))
            .group_by(Note.deck_id)
        ).all()
    )
    subscribers = subscriber_ids(session, deck_ids=ids)
    owners = {o.id: o for o in session.exec(select(User).where(User.id.in_({d.owner_id for d in decks})))}
    return [
        SharedDeck(
            id=d.id,
            name=d.name,
            description=d.description,
            owner_name=display_name(owners[d.owner_id]),
            note_count=notes.get(d.id, 0),
            card_count=cards.get(d.id, 0),
            subscriber_count=len(subscribers[d.id]),
            subscribed=user.id in subscribers[d.id],
            updated_at=d.updated_at,
        )
        for d in decks
    ]


def subscribe(session: Session, *, user: User, deck_id: int) -> SubscriptionPublic:
    """Adds the subscription and a new-card state for every card of the deck, in one transaction."""
    deck = session.get(Deck, deck_id)
    if deck is not None and deck.owner_id == user.id:
        raise Conflict("This is your own deck: you study it already")
    if deck is None or deck.visibility != Visibility.public:
        raise NotFound("Deck not found")
    if is_subscribed(session, user_id=user.id, deck_id=deck.id):
        raise Conflict(f"You already subscribe to '{deck.name}'")
    subscription = DeckSubscription(user_id=user.id, deck_id=deck.id)
    session.add(subscription)
    session.flush()
    made = add_states(session, user_ids=[user.id], deck_id=deck.id, card_ids=None)
    session.commit()
    return SubscriptionPublic(deck_id=deck.id, created_at=subscription.created_at, cards=made)


def add_states(session: Session, *, user_ids: list[int], deck_id: int, card_ids: list[int] | None) -> int:
    """New-card states for these users for the deck's cards (or only `card_ids`), skipping any they
    have; a new card's place in the queue is when its note was written. Returns the rows made."""
    made = 0
    for user_id in user_ids:
        have = select(CardState.card_id).where(CardState.user_id == user_id)
        cards = (
            select(
                literal(user_id),
                Card.id,
                literal(deck_id),
                literal(int(CardStateKind.new)),
                Note.created_at,
                literal(0),
                literal(0),
                literal(False),
            )
            .join(Note, Note.id == Card.note_id)
            .where(Note.deck_id == deck_id, Card.id.not_in(have))
        )
        if card_ids is not None:
            cards = cards.where(Card.id.in_(card_ids))
        columns = ["user_id", "card_id", "deck_id", "state", "due", "reps", "lapses", "suspended"]
        result = session.exec(insert(CardState).from_select(columns, cards))
        made += result.rowcount
    return made


def unsubscribe(session: Session, *, user: User, deck_id: int) -> SubscriptionPublic:
    """Ends the subscription and removes the user's states for the deck's cards; their review log stays."""
    subscription = session.get(DeckSubscription, (user.id, deck_id))
    if subscription is None:
        deck = get_readable_deck(session, user=user, deck_id=deck_id)  # 404 for a deck they cannot see
        raise NotFound(f"You do not subscribe to '{deck.name}'")
    removed = session.exec(delete(CardState).where(CardState.user_id == user.id, CardState.deck_id == deck_id))
    session.delete(subscription)
    session.commit()
    return SubscriptionPublic(deck_id=deck_id, created_at=subscription.created_at, cards=removed.rowcount)


def end_subscriptions(session: Session, *, deck: Deck, kind: NoticeKind, message: str) -> list[Notice]:
    """Every subscriber loses the deck (their states for it; review logs stay) and gets a notice.
    In the caller's transaction; the caller commits and then publishes the notices."""
    users = subscriber_ids(session, deck_ids=[deck.id])[deck.id]
    if not users:
        return []
    session.exec(delete(CardState).where(CardState.deck_id == deck.id, CardState.user_id.in_(users)))
    session.exec(delete(DeckSubscription).where(DeckSubscription.deck_id == deck.id))
    return add_notices(session, user_ids=users, kind=kind, message=message)


def _copy_name(session: Session, *, user: User, name: str) -> str:
    """The name "<name> (copy)", then "(copy 2)", "(copy 3)"… until no deck of the user has it."""
    n = 1
    while True:
        suffix = " (copy)" if n == 1 else f" (copy {n})"
        candidate = name[: MAX_DECK_NAME - len(suffix)] + suffix
        if not name_taken(session, user=user, name=candidate):
            return candidate
        n += 1


def copy_deck(session: Session, *, storage: Storage, user: User, deck_id: int, quota_bytes: int) -> Deck:
    """A new private deck of the user with a copy of every note (fresh cards, new-card states). Sources
    citing the owner's lectures are dropped: those lectures are not the copier's. Media the notes show
    become the copier's own files (within their quota: 413 when they do not fit, and nothing is copied)."""
    from processing.notes import add_rendered_notes  # notes keeps subscribers' states with add_states

    source = get_readable_deck(session, user=user, deck_id=deck_id)
    deck = Deck(
        owner_id=user.id,
        name=_copy_name(session, user=user, name=source.name),
        description=source.description,
        visibility=Visibility.private,
    )
    session.add(deck)
    session.flush()
    prepared = []
    for note in session.exec(select(Note).where(Note.deck_id == source.id).order_by(Note.id)):
        front = copy_media_to(session, storage=storage, user=user, markdown=note.front, quota_bytes=quota_bytes)
        back = copy_media_to(session, storage=storage, user=user, markdown=note.back, quota_bytes=quota_bytes)
        kind = NoteKind(note.kind)
        note_in = NoteCreate(deck_id=deck.id, kind=kind, front=front, back=back, tags=note.tag_list)
        prepared.append((note_in, render_cards(kind=kind, front=front, back=back)))
    add_rendered_notes(session, user=user, deck_id=deck.id, prepared=prepared)
    session.commit()
    return deck
