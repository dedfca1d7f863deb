"""Streamed multipart uploads for every route that takes a file (lectures, Anki packages, CSV files,
account archives): the headers checked before any I/O, the body written to data/tmp as it arrives."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from config import Settings
from processing.errors import TooLarge
from processing.storage import Storage
from processing.uploads import ReceivedFile, check_upload_headers, receive_upload


def multipart_body(*fields: str, optional: tuple[str, ...] = ()) -> dict:
    """The OpenAPI request body of a multipart upload: the part "file" plus text `fields`."""
    properties = {"file": {"type": "string", "format": "binary"}}
    properties |= {name: {"type": "string"} for name in (*fields, *optional)}
    schema = {"type": "object", "required": ["file", *fields], "properties": properties}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


async def receive_file(
    request: Request,
    *,
    settings: Settings,
    storage: Storage,
    suffix: str = ".upload",
    limit: tuple[int, str] | None = None,
) -> ReceivedFile:
    """The request's part "file" in a temp file (400 missing/empty, 413 over LECTERN_MAX_UPLOAD_MB, or
    over `limit`: (bytes, the message that names that limit))."""
    max_bytes = limit[0] if limit else settings.max_upload_bytes
    length = request.headers.get("content-length")
    try:
        boundary = check_upload_headers(
            content_type=request.headers.get("content-type", ""),
            content_length=int(length) if length and length.isdigit() else None,
            max_bytes=max_bytes,
        )
        return await receive_upload(
            request.stream(),
            boundary=boundary,
            temp=await run_in_threadpool(storage.temp_file, suffix=suffix),
            max_bytes=max_bytes,
        )
    except TooLarge as exc:
        if limit is None:
            raise
        raise TooLarge(limit[1]) from exc  # the shared message names LECTERN_MAX_UPLOAD_MB, not this limit
