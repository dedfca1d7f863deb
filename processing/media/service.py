"""The two ways a file enters the library from the web: an upload and a crop of a lecture page. Both do
their slow part (decoding, stripping, thumbnails) before the write transaction."""

from __future__ import annotations

from pathlib import Path

from db import Database
from models.media import CropRequest, MediaPublic
from processing import lectures
from processing.errors import BadRequest
from processing.media import library
from processing.media.clean import crop_png
from processing.storage import Storage
from processing.uploads import ReceivedFile


def _store(
    *, database: Database, storage: Storage, owner_id: int, prepared: library.PreparedMedia, quota_bytes: int
) -> tuple[MediaPublic, bool]:
    written: list[Path] = []
    try:
        with database.transaction() as session:
            media, created = library.store(
                session, storage=storage, owner_id=owner_id, prepared=prepared, quota_bytes=quota_bytes, written=written
            )
            return library.public(session, media), created
    except BaseException:
        library.remove_files(written)
        raise


def upload_media(
    *, database: Database, storage: Storage, owner_id: int, received: ReceivedFile, quota_bytes: int
) -> tuple[MediaPublic, bool]:
    """Stores an uploaded file (the temp file is removed whatever happens). Returns (media, created)."""
    try:
        data = received.path.read_bytes()
    finally:
        received.path.unlink(missing_ok=True)
    prepared = library.prepare(data, name=received.filename)
    return _store(database=database, storage=storage, owner_id=owner_id, prepared=prepared, quota_bytes=quota_bytes)


def crop_page(
    *,
    database: Database,
    storage: Storage,
    owner_id: int,
    lecture_id: int,
    number: int,
    rect: CropRequest,
    quota_bytes: int,
) -> tuple[MediaPublic, bool]:
    if rect.x + rect.width > 1.0001 or rect.y + rect.height > 1.0001:
        raise BadRequest("The rectangle reaches outside the page")
    with database.session() as session:
        lecture = lectures.get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
        path = lectures.page_image_path(
            session, storage=storage, owner_id=owner_id, lecture_id=lecture_id, number=number, thumb=False
        )
        title = lecture.title
    png = crop_png(path.read_bytes(), x=rect.x, y=rect.y, width=rect.width, height=rect.height)
    prepared = library.prepare(png, name=f"{title[:80]} p{number}.png")
    return _store(database=database, storage=storage, owner_id=owner_id, prepared=prepared, quota_bytes=quota_bytes)
