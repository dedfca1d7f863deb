"""A user's media library: storing a file (type, limits, metadata, dedup, quota), reading it back for the
people allowed to see it, listing, usage and deletion. Files go through Storage, rows through the caller's
session; who may see a file is decided here and nowhere else."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.deck import Deck, Visibility
from models.media import Media, MediaKind, MediaPage, MediaPublic, MediaUsage, NoteMedia
from models.note import Note
from processing.errors import Conflict, NotFound, TooLarge
from processing.media.clean import clean_image
from processing.media.sniff import BY_MIME, MB, sniff
from processing.storage import Storage

NOT_FOUND = "Media not found"


@dataclass(frozen=True)
class PreparedMedia:
    """A file checked and cleaned, ready to store (no database or storage touched yet)."""

    kind: MediaKind
    mime: str
    extension: str
    sha256: str  # of the bytes as received
    data: bytes  # as stored
    width: int | None
    height: int | None
    thumbnail: bytes | None
    name: str


def prepare(data: bytes, *, name: str) -> PreparedMedia:
    """Raises 415 (not an accepted type), 413 (over the kind's limit) or 400 (a damaged image)."""
    found = sniff(data, name=name)
    sha = hashlib.sha256(data).hexdigest()
    if found.kind == MediaKind.audio:
        return PreparedMedia(found.kind, found.mime, found.extension, sha, data, None, None, None, name)
    image = clean_image(data, found, name=name)
    return PreparedMedia(
        found.kind, found.mime, found.extension, sha, image.data, image.width, image.height, image.thumbnail, name
    )


def media_file(storage: Storage, media: Media, *, thumb: bool = False) -> Path:
    return storage.media_path(media.owner_id, media.sha256, BY_MIME[media.mime].extension, thumb=thumb)


def used_bytes(session: Session, *, owner_id: int) -> int:
    return session.exec(select(func.coalesce(func.sum(Media.size_bytes), 0)).where(Media.owner_id == owner_id)).one()


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n / 1024:.0f} KB"


def check_quota(session: Session, *, owner_id: int, adding: int, quota_bytes: int) -> None:
    used = used_bytes(session, owner_id=owner_id)
    if used + adding > quota_bytes:
        raise TooLarge(
            f"Your media storage is full: {_size(used)} of {_size(quota_bytes)} used, and this needs "
            f"{_size(adding)} more. Delete media you no longer need in Settings → Storage"
        )


def _write(storage: Storage, target: Path, data: bytes, written: list[Path] | None) -> None:
    if target.is_file():
        return
    temp = storage.temp_file(suffix=".media")
    try:
        temp.write_bytes(data)
        storage.place_media(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    if written is not None:
        written.append(target)


def store(
    session: Session,
    *,
    storage: Storage,
    owner_id: int,
    prepared: PreparedMedia,
    quota_bytes: int,
    written: list[Path] | None = None,
) -> tuple[Media, bool]:
    """The user's row for these bytes: the existing one (a dedup hit costs nothing) or a new one, its
    files written first (temp file + rename). No commit. `written` collects files placed here, for the
    caller to remove if its transaction fails. Returns (media, created)."""
    existing = session.exec(select(Media).where(Media.owner_id == owner_id, Media.sha256 == prepared.sha256)).first()
    if existing is not None:
        _write(storage, media_file(storage, existing), prepared.data, written)  # heals a lost file
        return existing, False
    check_quota(session, owner_id=owner_id, adding=len(prepared.data), quota_bytes=quota_bytes)
    media = Media(
        owner_id=owner_id,
        sha256=prepared.sha256,
        kind=prepared.kind,
        mime=prepared.mime,
        size_bytes=len(prepared.data),
        width=prepared.width,
        height=prepared.height,
        original_name=prepared.name[:255],
    )
    _write(storage, media_file(storage, media), prepared.data, written)
    if prepared.thumbnail is not None:
        _write(storage, media_file(storage, media, thumb=True), prepared.thumbnail, written)
    session.add(media)
    session.flush()
    return media, True


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# --- reading ------------------------------------------------------------------------------------------


def get_owned_media(session: Session, *, owner_id: int, media_id: int) -> Media:
    media = session.get(Media, media_id)
    if media is None or media.owner_id != owner_id:
        raise NotFound(NOT_FOUND)
    return media


def in_public_deck(session: Session, *, media: Media) -> bool:
    """Whether a note of the media's owner in a public deck shows it."""
    query = (
        select(NoteMedia.media_id)
        .join(Note, col(Note.id) == NoteMedia.note_id)
        .join(Deck, col(Deck.id) == Note.deck_id)
        .where(NoteMedia.media_id == media.id, Note.owner_id == media.owner_id, Deck.visibility == Visibility.public)
        .limit(1)
    )
    return session.exec(query).first() is not None


def get_viewable_media(session: Session, *, user_id: int, media_id: int) -> Media:
    """The owner's media, or media shown by a card of a public deck; anyone else gets 404 (never 403)."""
    media = session.get(Media, media_id)
    if media is None or (media.owner_id != user_id and not in_public_deck(session, media=media)):
        raise NotFound(NOT_FOUND)
    return media


def viewable_file(
    session: Session, *, storage: Storage, user_id: int, media_id: int, thumb: bool
) -> tuple[Media, Path]:
    media = get_viewable_media(session, user_id=user_id, media_id=media_id)
    if thumb and media.kind != MediaKind.image:
        raise NotFound("Audio has no thumbnail")
    path = media_file(storage, media, thumb=thumb)
    if not path.is_file():
        raise NotFound("This media file is missing from the server's storage")
    return media, path


def usage(session: Session, *, owner_id: int, quota_bytes: int) -> MediaUsage:
    used, count = session.exec(
        select(func.coalesce(func.sum(Media.size_bytes), 0), func.count()).where(Media.owner_id == owner_id)
    ).one()
    return MediaUsage(used_bytes=used, limit_bytes=quota_bytes, media_count=count)


def _note_counts(session: Session, media_ids: list[int]) -> dict[int, int]:
    if not media_ids:
        return {}
    rows = session.exec(
        select(NoteMedia.media_id, func.count())
        .where(col(NoteMedia.media_id).in_(media_ids))
        .group_by(NoteMedia.media_id)
    ).all()
    return dict(rows)


def public(session: Session, media: Media) -> MediaPublic:
    return MediaPublic.of(media, notes=_note_counts(session, [media.id]).get(media.id, 0))


def list_media(
    session: Session, *, owner_id: int, kind: MediaKind | None, page: int, page_size: int, quota_bytes: int
) -> MediaPage:
    query = select(Media).where(Media.owner_id == owner_id)
    if kind is not None:
        query = query.where(Media.kind == kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.order_by(col(Media.id).desc()).offset((page - 1) * page_size).limit(page_size)))
    counts = _note_counts(session, [m.id for m in rows])
    return MediaPage(
        items=[MediaPublic.of(m, notes=counts.get(m.id, 0)) for m in rows],
        total=total,
        page=page,
        page_size=page_size,
        usage=usage(session, owner_id=owner_id, quota_bytes=quota_bytes),
    )


def delete_media(session: Session, *, storage: Storage, owner_id: int, media_id: int, force: bool) -> None:
    """409 while notes show it, unless `force` (those cards then show "missing media"). Commits."""
    media = get_owned_media(session, owner_id=owner_id, media_id=media_id)
    notes = _note_counts(session, [media.id]).get(media.id, 0)
    if notes and not force:
        raise Conflict(
            f"{notes} card{'s' if notes != 1 else ''} still show{'s' if notes == 1 else ''} this file; "
            "remove it from them first, or delete it anyway (they will show “missing media”)"
        )
    paths = [media_file(storage, media), media_file(storage, media, thumb=True)]
    session.delete(media)
    session.commit()
    remove_files(paths)
