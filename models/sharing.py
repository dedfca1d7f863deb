"""Subscriptions to other users' public decks, and the public-deck listing."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class DeckSubscription(SQLModel, table=True):
    """A user studies someone else's public deck with their own card_state rows."""

    __tablename__ = "deck_subscription"
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE", primary_key=True)
    deck_id: int = Field(foreign_key="deck.id", ondelete="CASCADE", primary_key=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas ---------------------------------------------------------------


class SharedDeck(SQLModel):
    """One public deck of another user, as the Shared decks page lists it."""

    id: int
    name: str
    description: str
    owner_name: str
    note_count: int
    card_count: int
    subscriber_count: int
    subscribed: bool
    updated_at: datetime


class SubscriptionPublic(SQLModel):
    deck_id: int
    created_at: datetime
    cards: int  # the scheduling states made (subscribe) or removed (unsubscribe)
