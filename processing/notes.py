"""Notes and their cards: create, edit, list with filters and full-text search, bulk actions, tags."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import delete, false, func, true, update
from sqlmodel import Session, select

import db
from models.common import utcnow
from models.deck import Deck
from models.note import (
    BulkAction,
    BulkRequest,
    BulkResult,
    Card,
    CardBrief,
    Note,
    NoteCreate,
    NoteKind,
    NotePage,
    NotePublic,
    NoteSource,
    NoteUpdate,
    PreviewCard,
    PreviewResult,
    TagCount,
    normalize_tags,
)
from models.review import CardState, CardStateKind
from models.user import User
from processing.decks import (
    NOT_OWNER,
    deck_access,
    get_owned_deck,
    get_readable_deck,
    studied_deck_ids,
    subscriber_ids,
)
from processing.errors import Forbidden, Invalid, NotFound
from processing.media.links import link_note, link_notes
from processing.render import RenderedCard, render_cards
from processing.srs import STATE_NAMES


def get_readable_note(session: Session, *, user: User, note_id: int) -> Note:
    """The user's note, or one in a deck they subscribe to or that is public (read-only); else 404."""
    note = session.get(Note, note_id)
    if note is None or (
        note.owner_id != user.id and deck_access(session, user=user, deck=session.get(Deck, note.deck_id)) is None
    ):
        raise NotFound("Card not found")
    return note


def get_owned_note(session: Session, *, user: User, note_id: int) -> Note:
    """For writes: 403 for a note the user may only read (decks.get_owned_deck's rule)."""
    note = get_readable_note(session, user=user, note_id=note_id)
    if note.owner_id != user.id:
        raise Forbidden(NOT_OWNER)
    return note


def _tags_column(tags: list[str]) -> str:
    return f" {' '.join(tags)} " if tags else " "


def _add_cards(session: Session, *, user: User, notes: list[Note], rendered: list[list[RenderedCard]]) -> int:
    """The cards of freshly flushed notes and their new-card state, in two batched inserts."""
    cards = [
        (note, Card(note_id=note.id, ord=r.ord, front_html=r.front_html, back_html=r.back_html, answer=r.answer))
        for note, note_cards in zip(notes, rendered, strict=True)
        for r in note_cards
    ]
    session.add_all([card for _, card in cards])
    session.flush()
    # A new card's due is its creation time: its place in the new-card queue (see srs). The deck's
    # subscribers study it too, each with their own state.
    created = utcnow()
    readers = subscriber_ids(session, deck_ids=list({note.deck_id for note, _ in cards}))
    session.add_all(
        [
            CardState(user_id=reader, card_id=card.id, deck_id=note.deck_id, due=created)
            for note, card in cards
            for reader in [user.id, *readers[note.deck_id]]
        ]
    )
    return len(cards)


def add_rendered_notes(
    session: Session, *, user: User, deck_id: int, prepared: list[tuple[NoteCreate, list[RenderedCard]]]
) -> int:
    """`create_note` for many notes at once, rendered beforehand (imports: the rendering stays outside the
    write transaction); batched inserts, no commit. Returns the number of cards made."""
    notes = [
        Note(owner_id=user.id, deck_id=deck_id, kind=n.kind, front=n.front, back=n.back, tags=_tags_column(n.tags))
        for n, _ in prepared
    ]
    session.add_all(notes)
    session.flush()
    link_notes(session, owner_id=user.id, notes=[(n.id, n.front, n.back) for n in notes])
    return _add_cards(session, user=user, notes=notes, rendered=[rendered for _, rendered in prepared])


def _move_states(session: Session, *, note_ids: list[int], deck_id: int) -> None:
    """The notes are in `deck_id` now: subscribers of the deck they left lose those cards' states
    (their review log stays), the owner's and remaining states follow, the new deck's subscribers
    get new-card states."""
    from processing.sharing import add_states

    cards = select(Card.id).where(Card.note_id.in_(note_ids))
    deck = session.get(Deck, deck_id)
    readers = [deck.owner_id, *subscriber_ids(session, deck_ids=[deck_id])[deck_id]]
    session.exec(delete(CardState).where(CardState.card_id.in_(cards), CardState.user_id.not_in(readers)))
    session.exec(update(CardState).where(CardState.card_id.in_(cards)).values(deck_id=deck_id))
    card_ids = list(session.exec(cards).all())
    add_states(session, user_ids=readers[1:], deck_id=deck_id, card_ids=card_ids)


def create_note(
    session: Session, *, user: User, note_in: NoteCreate, source: NoteSource | None = None, commit: bool = True
) -> NotePublic:
    """`source`: the lecture page a generated card cites (its quote already verified)."""
    get_owned_deck(session, user=user, deck_id=note_in.deck_id)
    rendered = render_cards(kind=note_in.kind, front=note_in.front, back=note_in.back)
    note = Note(
        owner_id=user.id,
        deck_id=note_in.deck_id,
        kind=note_in.kind,
        front=note_in.front,
        back=note_in.back,
        tags=_tags_column(note_in.tags),
    )
    if source is not None:
        note.source_lecture_id, note.source_page, note.source_quote = source.lecture_id, source.page, source.quote
    session.add(note)
    session.flush()
    link_note(session, owner_id=user.id, note_id=note.id, front=note.front, back=note.back)
    _add_cards(session, user=user, notes=[note], rendered=[rendered])
    if commit:
        session.commit()
    return note_public(session, user=user, notes=[note])[0]


def update_note(session: Session, *, user: User, note_id: int, note_in: NoteUpdate) -> NotePublic:
    """Re-renders the cards; a card whose ord survives the edit keeps its review history."""
    note = get_owned_note(session, user=user, note_id=note_id)
    changes = note_in.model_dump(exclude_unset=True, exclude_none=True)
    if "deck_id" in changes:
        get_owned_deck(session, user=user, deck_id=changes["deck_id"])
        note.deck_id = changes["deck_id"]
        _move_states(session, note_ids=[note.id], deck_id=note.deck_id)
    if "tags" in changes:
        note.tags = _tags_column(changes["tags"])
    for field in ("kind", "front", "back"):
        if field in changes:
            setattr(note, field, changes[field])
    if "front" in changes or "back" in changes:
        link_note(session, owner_id=user.id, note_id=note.id, front=note.front, back=note.back)
    rendered = {r.ord: r for r in render_cards(kind=NoteKind(note.kind), front=note.front, back=note.back)}
    existing = {c.ord: c for c in session.exec(select(Card).where(Card.note_id == note.id))}
    for ord_, card in existing.items():
        if ord_ not in rendered:
            session.delete(card)
        else:
            r = rendered[ord_]
            card.front_html, card.back_html, card.answer = r.front_html, r.back_html, r.answer
            session.add(card)
    _add_cards(session, user=user, notes=[note], rendered=[[r for o, r in rendered.items() if o not in existing]])
    note.updated_at = utcnow()
    session.add(note)
    session.commit()
    return note_public(session, user=user, notes=[note])[0]


def delete_note(session: Session, *, user: User, note_id: int) -> None:
    session.delete(get_owned_note(session, user=user, note_id=note_id))
    session.commit()


def note_public(session: Session, *, user: User, notes: list[Note]) -> list[NotePublic]:
    by_note: dict[int, list[CardBrief]] = defaultdict(list)
    if notes:
        rows = session.exec(
            select(Card.id, Card.note_id, Card.ord, CardState.state, CardState.due, CardState.suspended)
            .join(CardState, (CardState.card_id == Card.id) & (CardState.user_id == user.id))
            .where(Card.note_id.in_([n.id for n in notes]))
            .order_by(Card.note_id, Card.ord)
        ).all()
        for card_id, note_id, ord_, state, due, suspended in rows:
            by_note[note_id].append(
                CardBrief(
                    id=card_id,
                    ord=ord_,
                    state=STATE_NAMES[state],
                    due=None if state == CardStateKind.new else due,  # a new card's due is only its queue place
                    suspended=suspended,
                )
            )
    return [
        NotePublic(
            id=n.id,
            deck_id=n.deck_id,
            kind=n.kind,
            front=n.front,
            back=n.back,
            tags=n.tag_list,
            created_at=n.created_at,
            updated_at=n.updated_at,
            cards=by_note[n.id],
            source_lecture_id=n.source_lecture_id,
            source_page=n.source_page,
            source_quote=n.source_quote,
        )
        for n in notes
    ]


STATUSES = {"new", "due", "learning", "review", "suspended"}


def _status_condition(status: str):
    now = utcnow()
    active = CardState.suspended == false()
    return {
        "new": active & (CardState.state == CardStateKind.new),
        "due": active & (CardState.state != CardStateKind.new) & (CardState.due <= now),
        "learning": active & CardState.state.in_([CardStateKind.learning, CardStateKind.relearning]),
        "review": active & (CardState.state == CardStateKind.review),
        "suspended": CardState.suspended == true(),
    }[status]


def list_notes(
    session: Session,
    *,
    user: User,
    deck_id: int | None,
    tag: str | None,
    q: str | None,
    status: str | None,
    page: int,
    page_size: int,
) -> NotePage:
    if deck_id is not None:  # any deck the user may read: their own, subscribed or public (a preview)
        get_readable_deck(session, user=user, deck_id=deck_id)
        query = select(Note).where(Note.deck_id == deck_id)
    else:
        query = select(Note).where(Note.owner_id == user.id)
    if tag and tag.strip():
        try:
            (wanted,) = normalize_tags([tag])
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        literal = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Note.tags.like(f"% {literal} %", escape="\\"))
    if q and q.strip():
        ids = db.note_search_ids(q)
        if ids is None:
            return NotePage(items=[], total=0, page=page, page_size=page_size)
        query = query.where(Note.id.in_(ids))
    if status:
        if status not in STATUSES:
            raise Invalid(f"status must be one of {', '.join(sorted(STATUSES))}")
        matching = (
            select(Card.note_id)
            .join(CardState, (CardState.card_id == Card.id) & (CardState.user_id == user.id))
            .where(_status_condition(status))
        )
        query = query.where(Note.id.in_(matching))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    notes = session.exec(query.order_by(Note.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return NotePage(
        items=note_public(session, user=user, notes=list(notes)), total=total, page=page, page_size=page_size
    )


def bulk(session: Session, *, user: User, request: BulkRequest) -> BulkResult:
    """All or nothing: every id must be the user's, else nothing changes. Suspend and unsuspend touch
    only the user's own scheduling state, so they also work on notes of decks the user subscribes to;
    every other action edits notes and is the owner's alone (403 for a subscribed deck's notes)."""
    ids = sorted(set(request.note_ids))
    action = request.action
    own_states_only = action in (BulkAction.suspend, BulkAction.unsuspend)
    studied = studied_deck_ids(session, user=user)
    found = session.exec(select(Note).where(Note.id.in_(ids), Note.deck_id.in_(studied))).all()
    if len(found) != len(ids):
        raise NotFound("Some of these cards do not exist or are not yours; nothing was changed")
    owned = [n for n in found if n.owner_id == user.id]
    if len(owned) != len(ids) and not own_states_only:
        raise Forbidden(f"{NOT_OWNER}; nothing was changed")
    if action == BulkAction.move:
        if request.deck_id is None:
            raise Invalid("Choose the deck to move the cards to")
        get_owned_deck(session, user=user, deck_id=request.deck_id)
        session.exec(update(Note).where(Note.id.in_(ids)).values(deck_id=request.deck_id, updated_at=utcnow()))
        _move_states(session, note_ids=ids, deck_id=request.deck_id)
    elif action in (BulkAction.add_tags, BulkAction.remove_tags):
        if not request.tags:
            raise Invalid("Name at least one tag")
        for note in owned:
            tags = set(note.tag_list)
            tags = tags | set(request.tags) if action == BulkAction.add_tags else tags - set(request.tags)
            if len(tags) > 50:
                raise Invalid("At most 50 tags per card")
            note.tags = _tags_column(sorted(tags))
            session.add(note)
    elif action == BulkAction.delete:
        session.exec(delete(Note).where(Note.id.in_(ids)))
    else:
        cards = select(Card.id).where(Card.note_id.in_(ids))
        session.exec(
            update(CardState)
            .where(CardState.user_id == user.id, CardState.card_id.in_(cards))
            .values(suspended=action == BulkAction.suspend)
        )
    session.commit()
    return BulkResult(affected=len(ids))


def tag_counts(session: Session, *, user: User) -> list[TagCount]:
    counter: Counter[str] = Counter()
    for tags in session.exec(select(Note.tags).where(Note.owner_id == user.id)):
        counter.update(tags.split())
    return [TagCount(tag=t, count=c) for t, c in sorted(counter.items())]


def preview(*, kind: NoteKind, front: str, back: str) -> PreviewResult:
    return PreviewResult(
        cards=[
            PreviewCard(ord=r.ord, label=r.label, front_html=r.front_html, back_html=r.back_html)
            for r in render_cards(kind=kind, front=front, back=back)
        ]
    )
