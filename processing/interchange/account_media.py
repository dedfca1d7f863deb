"""Card media in the whole-account export: `media.json` (the library's rows) and `files/media/<id>.<ext>`
(the stored files). On import every file goes through the upload checks again (type by its bytes, size,
metadata; lossless, so the bytes come back equal), is stored for the new account and the notes' and cards'
references are pointed at the new ids. An archive without media.json (made before card media) has none.
The quota is not applied here: a moved account keeps its whole library (new uploads are refused while it
is over the quota)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models.media import Media
from processing.errors import BadRequest, DomainError
from processing.media import library
from processing.media.links import rewrite_references
from processing.media.sniff import AUDIO_LIMIT, BY_MIME
from processing.storage import Storage

MEDIA_TABLE = "media.json"
MEDIA_FILES = "files/media/"
FIELDS = ("id", "kind", "mime", "size_bytes", "width", "height", "original_name", "created_at")


def member_name(media: Media) -> str:
    return f"{MEDIA_FILES}{media.id}.{BY_MIME[media.mime].extension}"


def collect(session: Session, *, storage: Storage, owner_id: int) -> list[tuple[dict[str, Any], Path]]:
    """The owner's media rows (JSON-ready) with their files, in id order."""
    rows = session.exec(select(Media).where(Media.owner_id == owner_id).order_by(col(Media.id))).all()
    return [(m.model_dump(mode="json", include=set(FIELDS)), library.media_file(storage, m)) for m in rows]


def write(archive: zipfile.ZipFile, items: list[tuple[dict[str, Any], Path]]) -> None:
    archive.writestr(MEDIA_TABLE, json.dumps([row for row, _ in items], ensure_ascii=False))
    for row, path in items:
        if path.is_file():  # images and audio are compressed already
            archive.write(path, f"{MEDIA_FILES}{row['id']}.{BY_MIME[row['mime']].extension}", zipfile.ZIP_STORED)


class DamagedMedia(BadRequest):
    pass


def read(archive: zipfile.ZipFile) -> dict[int, library.PreparedMedia]:
    """The archive's media, checked like uploads (400 naming the file when one is not acceptable)."""
    names = set(archive.namelist())
    if MEDIA_TABLE not in names:
        return {}
    try:
        rows = json.loads(archive.read(MEDIA_TABLE))
        wanted = [(int(r["id"]), str(r["mime"]), str(r.get("original_name") or "media")) for r in rows]
    except (ValueError, TypeError, KeyError) as exc:
        raise DamagedMedia(f"The account export is damaged: {MEDIA_TABLE} cannot be read ({exc})") from None
    out = {}
    for old_id, mime, name in wanted:
        kind = BY_MIME.get(mime)
        member = f"{MEDIA_FILES}{old_id}.{kind.extension}" if kind else None
        if member not in names:
            continue  # its file was missing when the account was exported: its cards show "missing media"
        if archive.getinfo(member).file_size > AUDIO_LIMIT:
            raise DamagedMedia(f"The account export holds a media file that is too large ({name[:80]})")
        try:
            out[old_id] = library.prepare(archive.read(member), name=name)
        except DomainError as exc:
            raise DamagedMedia(f"The account export holds a media file Lectern cannot use: {exc.detail}") from None
    return out


def store(
    session: Session, *, storage: Storage, owner_id: int, media: dict[int, library.PreparedMedia], written: list[Path]
) -> dict[int, int]:
    """Stores the media for the new account (no quota); returns old id → new id."""
    mapping = {}
    for old_id, prepared in media.items():
        row, _ = library.store(
            session, storage=storage, owner_id=owner_id, prepared=prepared, quota_bytes=2**62, written=written
        )
        mapping[old_id] = row.id
    return mapping


def rewrite(text: str, mapping: dict[int, int]) -> str:
    return rewrite_references(text, mapping) if mapping else text
