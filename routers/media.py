"""Card media: upload (images, audio), the user's library and usage, the files themselves for whoever may
see them, deletion, and cropping a lecture page into a new image."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from models.media import CropRequest, MediaKind, MediaPage, MediaPublic, MediaUsage
from processing.media import library
from processing.media.service import crop_page, upload_media
from processing.media.sniff import AUDIO_LIMIT
from routers.deps import CurrentUser, DatabaseDep, SessionDep, SettingsDep, StorageDep
from routers.uploads import multipart_body, receive_file

router = APIRouter(prefix="/api", tags=["media"])
FILE_HEADERS = {"Cache-Control": "private, max-age=3600"}  # nosniff comes from routers/middleware.py


@router.post("/media", status_code=status.HTTP_201_CREATED, openapi_extra=multipart_body())
async def upload(
    request: Request,
    response: Response,
    user: CurrentUser,
    settings: SettingsDep,
    database: DatabaseDep,
    storage: StorageDep,
) -> MediaPublic:
    """One image (JPEG, PNG, WebP, GIF; ≤ 10 MB) or audio file (MP3, OGG, WAV, M4A; ≤ 25 MB) in the part
    "file". 201 with the new media, 200 with the existing one when the same bytes are already in the
    library. 400 damaged image, 413 too large or over the storage quota, 415 not an accepted type."""
    message = f"This file is larger than {AUDIO_LIMIT // (1024 * 1024)} MB, the most a card's media file may be"
    received = await receive_file(
        request, settings=settings, storage=storage, suffix=".media", limit=(AUDIO_LIMIT, message)
    )
    media, created = await run_in_threadpool(
        upload_media,
        database=database,
        storage=storage,
        owner_id=user.id,
        received=received,
        quota_bytes=settings.user_quota_bytes,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return media


@router.get("/media")
def list_media(
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    kind: MediaKind | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MediaPage:
    """The user's media, newest first, with how many notes show each, and the storage usage."""
    return library.list_media(
        session, owner_id=user.id, kind=kind, page=page, page_size=page_size, quota_bytes=settings.user_quota_bytes
    )


@router.get("/media/usage")
def media_usage(session: SessionDep, user: CurrentUser, settings: SettingsDep) -> MediaUsage:
    return library.usage(session, owner_id=user.id, quota_bytes=settings.user_quota_bytes)


@router.get("/media/{media_id}", response_class=FileResponse)
def media_file(media_id: int, session: SessionDep, user: CurrentUser, storage: StorageDep) -> FileResponse:
    """The file, to its owner or to anyone when a card of a public deck shows it; else 404."""
    media, path = library.viewable_file(session, storage=storage, user_id=user.id, media_id=media_id, thumb=False)
    return FileResponse(path, media_type=media.mime, headers=FILE_HEADERS)


@router.get("/media/{media_id}/thumbnail", response_class=FileResponse)
def media_thumbnail(media_id: int, session: SessionDep, user: CurrentUser, storage: StorageDep) -> FileResponse:
    """An image's thumbnail (WebP, longest side 320 px); 404 for audio."""
    _, path = library.viewable_file(session, storage=storage, user_id=user.id, media_id=media_id, thumb=True)
    return FileResponse(path, media_type="image/webp", headers=FILE_HEADERS)


@router.delete("/media/{media_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_media(
    media_id: int, session: SessionDep, user: CurrentUser, storage: StorageDep, force: bool = False
) -> Response:
    """409 while cards show it, unless force=true (those cards then show "missing media")."""
    library.delete_media(session, storage=storage, owner_id=user.id, media_id=media_id, force=force)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/lectures/{lecture_id}/pages/{number}/crop", status_code=status.HTTP_201_CREATED)
def crop(
    lecture_id: int,
    number: int,
    data: CropRequest,
    response: Response,
    user: CurrentUser,
    settings: SettingsDep,
    database: DatabaseDep,
    storage: StorageDep,
) -> MediaPublic:
    """A rectangle of the page image (fractions 0–1 of its width and height) as a new image in the
    library (PNG). 400 empty or out-of-range rectangle, 404 lecture/page or no page image, 413 quota."""
    media, created = crop_page(
        database=database,
        storage=storage,
        owner_id=user.id,
        lecture_id=lecture_id,
        number=number,
        rect=data,
        quota_bytes=settings.user_quota_bytes,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return media
