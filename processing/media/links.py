"""Media references in note text — `![alt](media:12)` for an image, `[audio: name](media:12)` for audio —
and the note ↔ media table kept in step with them; copying another user's visible media into a library."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from models.media import Media, NoteMedia
from models.user import User
from processing.errors import BadRequest, NotFound
from processing.media.library import PreparedMedia, get_viewable_media, media_file, remove_files, store
from processing.media.sniff import BY_MIME
from processing.storage import Storage

REFERENCE = re.compile(r"\]\(\s*media:(\d{1,15})\s*\)")
RAW_REFERENCE = re.compile(r"""(data-media\s*=\s*["']?\s*)(\d{1,15})""", re.IGNORECASE)  # raw HTML in a note


def referenced_ids(*texts: str) -> list[int]:
    """Media ids the texts refer to, in first-seen order."""
    found = [int(m[1]) for text in texts for m in REFERENCE.finditer(text or "")]
    found += [int(m[2]) for text in texts for m in RAW_REFERENCE.finditer(text or "")]
    return list(dict.fromkeys(found))


def owned_ids(session: Session, *, owner_id: int, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.exec(select(Media.id).where(Media.owner_id == owner_id, col(Media.id).in_(ids))).all())


def check_references(session: Session, *, owner_id: int, texts: list[str]) -> list[int]:
    """The ids a note refers to; 400 when one is not in the owner's library."""
    ids = referenced_ids(*texts)
    foreign = [i for i in ids if i not in owned_ids(session, owner_id=owner_id, ids=ids)]
    if foreign:
        raise BadRequest(f"This card refers to media {foreign[0]}, which is not in your library; attach the file again")
    return ids


def link_note(session: Session, *, owner_id: int, note_id: int, front: str, back: str) -> None:
    """Replaces the note's links with the media its text shows (400 for media not the owner's). No commit."""
    ids = check_references(session, owner_id=owner_id, texts=[front, back])
    session.exec(delete(NoteMedia).where(NoteMedia.note_id == note_id))
    if ids:
        session.execute(insert(NoteMedia), [{"note_id": note_id, "media_id": i} for i in ids])


def link_notes(session: Session, *, owner_id: int, notes: list[tuple[int, str, str]]) -> None:
    """Links freshly inserted notes (imports) to the owner's media their text shows; references to
    anything else stay in the text and show as "missing media". No commit."""
    wanted = {note_id: referenced_ids(front, back) for note_id, front, back in notes}
    owned = owned_ids(session, owner_id=owner_id, ids=sorted({i for ids in wanted.values() for i in ids}))
    rows = [{"note_id": n, "media_id": i} for n, ids in wanted.items() for i in ids if i in owned]
    if rows:
        session.execute(insert(NoteMedia), rows)


def rewrite_references(text: str, mapping: dict[int, int]) -> str:
    text = REFERENCE.sub(lambda m: f"](media:{mapping.get(int(m[1]), int(m[1]))})", text)
    return RAW_REFERENCE.sub(lambda m: m[1] + str(mapping.get(int(m[2]), int(m[2]))), text)


def copy_media_to(session: Session, *, storage: Storage, user: User, markdown: str, quota_bytes: int) -> str:
    """`markdown` with each media reference it makes pointing into `user`'s library: media the user may
    see (through a public deck) but does not own is copied (dedup by content, quota checked: 413 when it
    does not fit); references the user can neither own nor see are left as they are (they show as
    missing). No commit; files are written before the rows, and removed again if this raises."""
    mapping: dict[int, int] = {}
    written: list[Path] = []
    try:
        for media_id in referenced_ids(markdown):
            try:
                source = get_viewable_media(session, user_id=user.id, media_id=media_id)
            except NotFound:
                continue
            path = media_file(storage, source)
            if source.owner_id == user.id or not path.is_file():
                continue
            data = path.read_bytes()
            thumb_path = media_file(storage, source, thumb=True)
            prepared = PreparedMedia(
                kind=source.kind,
                mime=source.mime,
                extension=BY_MIME[source.mime].extension,
                sha256=source.sha256,
                data=data,
                width=source.width,
                height=source.height,
                thumbnail=thumb_path.read_bytes() if thumb_path.is_file() else None,
                name=source.original_name,
            )
            copy, _ = store(
                session, storage=storage, owner_id=user.id, prepared=prepared, quota_bytes=quota_bytes, written=written
            )
            mapping[media_id] = copy.id
    except BaseException:
        remove_files(written)
        raise
    return rewrite_references(markdown, mapping)
