"""Anki collection → Lectern decks, notes, cards, review state and log.

Two phases: `plan_import` maps and renders every note (slow, no database writes, reports progress);
`write_import` then writes all of it in the caller's one transaction, so a failure leaves no deck.
Note types map by shape: cloze type → cloze; two templates, the second asking the back → reversed;
a {{type:…}} template → type-in; anything else → basic. The first two fields are front and back;
further non-empty fields are appended under their names (to the front for type-in, whose back is the
expected answer). Media: each file a note shows (<img src>, [sound:]) is read from the package and goes
through the upload checks (`package_media`: type by its bytes, size, metadata removed); usable files
become the importing user's media (dedup, quota: an import that does not fit fails whole) and the
references Lectern's ![alt](media:ID) / [audio: name](media:ID). Files missing from the package or
refused stay as Anki's reference in the text and are counted with their reasons.
"""

from __future__ import annotations

import re
import secrets
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fsrs import Scheduler
from sqlalchemy import insert
from sqlmodel import Session, select

from models.common import utcnow
from models.deck import Deck
from models.note import MAX_FIELD_CHARS, MAX_TAGS, Card, Note, NoteKind
from models.review import CardState, ReviewLog
from processing.errors import DomainError
from processing.interchange.anki_history import ReplayedCard, new_state, replay
from processing.interchange.anki_html import anki_field_to_markdown, anki_to_markdown, media_references
from processing.interchange.anki_package import AnkiCard, AnkiCollection, AnkiModel, AnkiNote, AnkiReview
from processing.media import library
from processing.media.links import link_notes, rewrite_references
from processing.media.sniff import AUDIO_LIMIT, MB
from processing.render import RenderedCard, render_cards
from processing.storage import Storage

FALLBACK_DECK = "Imported from Anki"
MAX_DECK_NAME = 120
MAX_REASONS = 5
TAG_CHARS = "_-:/."

Progress = Callable[[int, int], None]  # (notes done, notes in all)


@dataclass
class PlannedNote:
    deck_key: str  # the Anki deck name it goes to (before de-duplication against the user's decks)
    kind: NoteKind
    front: str
    back: str
    tags: list[str]
    cards: list[RenderedCard]
    states: list[ReplayedCard]  # one per card, same order
    suspended: list[bool]


@dataclass
class PackageMedia:
    """The package's files that notes show, checked like uploads. Until the import is written each
    usable file has a stand-in id (far above real ids) that the planned notes refer to."""

    usable: dict[str, tuple[int, library.PreparedMedia]] = field(default_factory=dict)  # name → (stand-in, file)
    missing: list[str] = field(default_factory=list)  # named by notes, absent from the package
    refused: list[str] = field(default_factory=list)  # why a file was not usable ("name: reason")

    def references(self) -> dict[str, tuple[int, bool]]:
        return {name: (stand_in, prepared.kind == "audio") for name, (stand_in, prepared) in self.usable.items()}


def package_media(path: Path, collection: AnkiCollection) -> PackageMedia:
    """Reads and checks every file the collection's notes show (upload rules: magic bytes, size limits,
    metadata stripped); nothing is stored yet."""
    wanted = list(
        dict.fromkeys(name for n in collection.notes for value in n.fields for name in media_references(value))
    )
    member_of = {name: member for member, name in collection.media.items()}
    out, base = PackageMedia(), 10**14 + secrets.randbelow(10**14)
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        for name in wanted:
            member = member_of.get(name)
            if member is None or member not in members:
                out.missing.append(name)
                continue
            if archive.getinfo(member).file_size > AUDIO_LIMIT:
                out.refused.append(f"{name}: larger than {AUDIO_LIMIT // MB} MB")
                continue
            try:
                prepared = library.prepare(archive.read(member), name=name)
            except DomainError as exc:
                out.refused.append(f"{name}: {exc.detail}")
                continue
            out.usable[name] = (base + len(out.usable), prepared)
    return out


@dataclass
class ImportPlan:
    notes: list[PlannedNote] = field(default_factory=list)
    skipped: int = 0
    reasons: list[str] = field(default_factory=list)
    media: PackageMedia = field(default_factory=PackageMedia)
    history_dropped: int = 0  # reviews of Anki cards Lectern has no card for


def note_kind(model: AnkiModel) -> NoteKind:
    if model.is_cloze:
        return NoteKind.cloze
    names = model.field_names
    if len(model.templates) == 2 and len(names) >= 2:
        first, second = model.templates
        if _asks(first["qfmt"], names[0]) and _asks(second["qfmt"], names[1]):
            return NoteKind.reversed
    if any("{{type:" in t["qfmt"] or "{{type:" in t["afmt"] for t in model.templates):
        return NoteKind.typein
    return NoteKind.basic


def _asks(template: str, field_name: str) -> bool:
    """Whether a template shows the field (possibly through filters like {{text:Back}})."""
    return re.search(r"\{\{(?:[^{}:#/^]*:)*" + re.escape(field_name) + r"\s*\}\}", template) is not None


def lectern_tags(tags: list[str]) -> list[str]:
    """Anki tags as Lectern tags: lower case, characters Lectern does not allow replaced by "_"."""
    out = set()
    for tag in tags:
        cleaned = "".join(ch if ch.isalnum() or ch in TAG_CHARS else "_" for ch in tag.lower())[:64]
        if cleaned.strip("_"):
            out.add(cleaned)
    return sorted(out)[:MAX_TAGS]


def _texts(note: AnkiNote, model: AnkiModel, kind: NoteKind, media: dict[str, tuple[int, bool]]) -> tuple[str, str]:
    fields = [anki_field_to_markdown(value, media) for value in note.fields]
    front = fields[0] if fields else ""
    back = fields[1] if len(fields) > 1 else ""
    extras = []
    for index, value in enumerate(fields[2:], start=2):
        if value.strip():
            name = model.field_names[index] if index < len(model.field_names) else f"Field {index + 1}"
            extras.append(f"**{anki_to_markdown(name)}:** {value}")
    if extras and kind == NoteKind.typein:
        front = "\n\n".join([front, *extras])
    elif extras:
        back = "\n\n".join([part for part in (back, *extras) if part])
    return front, back


def _lectern_ord(kind: NoteKind, anki_ord: int) -> int:
    return anki_ord + 1 if kind == NoteKind.cloze else anki_ord  # Lectern numbers cloze cards from 1


def _deck_name(raw: str) -> str:
    name = " ".join(raw.split())[:MAX_DECK_NAME]
    return name or FALLBACK_DECK


def plan_import(
    collection: AnkiCollection,
    *,
    scheduler: Scheduler,
    deck_name: str | None,
    created: datetime,
    progress: Progress,
    media: PackageMedia | None = None,
) -> ImportPlan:
    cards_of: dict[int, list[AnkiCard]] = defaultdict(list)
    for card in collection.cards:
        cards_of[card.note_id].append(card)
    reviews_of: dict[int, list[AnkiReview]] = defaultdict(list)
    for review in collection.reviews:
        reviews_of[review.card_id].append(review)
    plan = ImportPlan(media=media or PackageMedia())
    references = plan.media.references()
    total = len(collection.notes)
    for index, note in enumerate(collection.notes):
        if index % 500 == 0:
            progress(index, total)
        model = collection.models.get(note.model_id)
        if model is None:
            _skip(plan, f"note {note.id} uses a note type missing from the package")
            continue
        kind = note_kind(model)
        front, back = _texts(note, model, kind, references)
        if len(front) > MAX_FIELD_CHARS or len(back) > MAX_FIELD_CHARS:
            _skip(plan, f"note {note.id} is longer than {MAX_FIELD_CHARS:,} characters")
            continue
        try:
            rendered = render_cards(kind=kind, front=front, back=back)
        except DomainError as exc:
            _skip(plan, f"note {note.id} ({_snippet(note)}): {exc.detail}")
            continue
        anki_cards = {_lectern_ord(kind, c.ord): c for c in cards_of.get(note.id, [])}
        states, suspended = [], []
        for card in rendered:
            anki_card = anki_cards.pop(card.ord, None)
            is_suspended = anki_card is not None and anki_card.queue == -1
            history = reviews_of.get(anki_card.id, []) if anki_card else []
            moment = created + timedelta(microseconds=len(plan.notes))  # keeps Anki's new-card order
            states.append(
                replay(
                    history,
                    scheduler=scheduler,
                    scheduler_version=collection.scheduler_version,
                    created=moment,
                    suspended=is_suspended,
                )
                if history
                else ReplayedCard(state=new_state(moment))
            )
            suspended.append(is_suspended)
        plan.history_dropped += sum(len(reviews_of.get(c.id, [])) for c in anki_cards.values())
        first = min(cards_of.get(note.id, []), key=lambda c: c.ord, default=None)
        deck_key = deck_name or _deck_name(collection.deck_names.get(first.deck_id, "") if first else "")
        plan.notes.append(
            PlannedNote(deck_key, kind, front, back, lectern_tags(note.tags), rendered, states, suspended)
        )
    progress(total, total)
    return plan


def _snippet(note: AnkiNote) -> str:
    text = re.sub(r"<[^>]*>", " ", note.fields[0] if note.fields else "")
    text = " ".join(text.split())
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


def _skip(plan: ImportPlan, reason: str) -> None:
    plan.skipped += 1
    if len(plan.reasons) < MAX_REASONS:
        plan.reasons.append(reason)


def unique_deck_names(wanted: list[str], taken: list[str]) -> dict[str, str]:
    """Each wanted name, or "Name (2)", "Name (3)"… where the user already has it (case-insensitively)."""
    used = {name.casefold() for name in taken}
    out = {}
    for name in wanted:
        candidate, n = name, 1
        while candidate.casefold() in used:
            n += 1
            suffix = f" ({n})"
            candidate = name[: MAX_DECK_NAME - len(suffix)] + suffix
        used.add(candidate.casefold())
        out[name] = candidate
    return out


def _store_media(
    session: Session, *, plan: ImportPlan, owner_id: int, storage: Storage | None, quota_bytes: int, written: list[Path]
) -> None:
    """Stores the package's usable files for the owner (413 when they do not fit the quota) and points the
    planned notes and cards at their real ids."""
    if not plan.media.usable:
        return
    if storage is None:
        raise ValueError("importing media needs the storage")
    mapping = {}
    for stand_in, prepared in plan.media.usable.values():
        media, _ = library.store(
            session, storage=storage, owner_id=owner_id, prepared=prepared, quota_bytes=quota_bytes, written=written
        )
        mapping[stand_in] = media.id
    for note in plan.notes:
        note.front, note.back = rewrite_references(note.front, mapping), rewrite_references(note.back, mapping)
        note.cards = [
            RenderedCard(
                c.ord,
                c.label,
                rewrite_references(c.front_html, mapping),
                rewrite_references(c.back_html, mapping),
                c.answer,
            )
            for c in note.cards
        ]


def write_import(
    session: Session,
    *,
    plan: ImportPlan,
    owner_id: int,
    source: str,
    storage: Storage | None = None,
    quota_bytes: int = 0,
    written: list[Path] | None = None,
) -> list[dict]:
    """Writes the plan in the caller's transaction (the caller commits); returns the decks made. Media files
    are placed before the rows; `written` collects them for the caller to remove if the transaction fails."""
    _store_media(
        session,
        plan=plan,
        owner_id=owner_id,
        storage=storage,
        quota_bytes=quota_bytes,
        written=[] if written is None else written,
    )
    wanted = list(dict.fromkeys(note.deck_key for note in plan.notes))
    taken = session.exec(select(Deck.name).where(Deck.owner_id == owner_id)).all()
    names = unique_deck_names(wanted, list(taken))
    now = utcnow()
    decks = {}
    for key in wanted:
        deck = Deck(owner_id=owner_id, name=names[key], description=f"Imported from {source}"[:2000])
        session.add(deck)
        decks[key] = deck
    session.flush()
    note_rows = [
        {
            "owner_id": owner_id,
            "deck_id": decks[n.deck_key].id,
            "kind": n.kind.value,
            "front": n.front,
            "back": n.back,
            "tags": f" {' '.join(n.tags)} " if n.tags else " ",
            "created_at": now,
            "updated_at": now,
        }
        for n in plan.notes
    ]
    note_ids = _insert_returning_ids(session, Note, note_rows)
    link_notes(
        session, owner_id=owner_id, notes=[(i, n.front, n.back) for i, n in zip(note_ids, plan.notes, strict=True)]
    )
    card_rows, owners = [], []
    for note, note_id in zip(plan.notes, note_ids, strict=True):
        for index, card in enumerate(note.cards):
            card_rows.append(
                {
                    "note_id": note_id,
                    "ord": card.ord,
                    "front_html": card.front_html,
                    "back_html": card.back_html,
                    "answer": card.answer,
                }
            )
            owners.append((note, index))
    card_ids = _insert_returning_ids(session, Card, card_rows)
    state_rows, log_rows = [], []
    for (note, index), card_id in zip(owners, card_ids, strict=True):
        replayed = note.states[index]
        state_rows.append(
            replayed.state
            | {"user_id": owner_id, "card_id": card_id, "deck_id": decks[note.deck_key].id}
            | {"suspended": note.suspended[index]}
        )
        log_rows += [log | {"user_id": owner_id, "card_id": card_id} for log in replayed.logs]
    if state_rows:
        session.execute(insert(CardState), state_rows)
    if log_rows:
        session.execute(insert(ReviewLog), log_rows)
    counts: dict[str, int] = defaultdict(int)
    for note in plan.notes:
        counts[note.deck_key] += 1
    return [{"id": decks[key].id, "name": decks[key].name, "notes": counts[key]} for key in wanted]


def _insert_returning_ids(session: Session, table: type, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    result = session.execute(insert(table).returning(table.id, sort_by_parameter_order=True), rows)
    return [row[0] for row in result]
