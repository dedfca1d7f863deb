"""Receiving an upload: the multipart body is parsed as it streams in (python-multipart) and the
file part is written to a temp file under the data dir, hashed on the way; memory holds about
one megabyte of it at a time, and the size limit is enforced while reading, not after."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import anyio.to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from processing.errors import BadRequest, TooLarge

FILE_FIELD = "file"
MAX_FIELD_BYTES = 4096  # other form fields (a title) are small
WRITE_BATCH = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


@dataclass
class ReceivedFile:
    path: Path
    filename: str
    size: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)


def too_large_message(limit_bytes: int) -> str:
    return f"This file is larger than the {limit_bytes // (1024 * 1024)} MB upload limit (LECTERN_MAX_UPLOAD_MB)"


def clean_filename(name: str) -> str:
    """The file's own name without any directory part or control characters, at most 255 chars."""
    base = PurePath(name.replace("\\", "/")).name
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    return base.strip()[:255] or "upload"


class _Receiver:
    """python-multipart callbacks: collects small fields, batches the file part's bytes for writing."""

    def __init__(self, temp: Path, max_bytes: int) -> None:
        self.temp, self.max_bytes = temp, max_bytes
        self.file = temp.open("wb")
        self.digest = hashlib.sha256()
        self.size = 0
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None  # "file", a field name, or None (ignored part)
        self._field_value = bytearray()
        self._seen_file = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add(data, start, end, "_header_name"),
            "on_header_value": lambda data, start, end: self._add(data, start, end, "_header_value"),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, data: bytes, start: int, end: int, attribute: str) -> None:
        setattr(self, attribute, getattr(self, attribute) + data[start:end])

    def _part_begin(self) -> None:
        self._headers, self._part, self._field_value = {}, None, bytearray()

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if name == FILE_FIELD and b"filename" in options and not self._seen_file:
            self._seen_file = True
            self._part = FILE_FIELD
            self.filename = clean_filename(options[b"filename"].decode("utf-8", "replace"))
        elif name and name != FILE_FIELD:
            self._part = name

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == FILE_FIELD:
            piece = data[start:end]
            self.size += len(piece)
            if self.size > self.max_bytes:
                raise TooLarge(too_large_message(self.max_bytes))
            self.digest.update(piece)
            self.pending.append(piece)
            self.pending_bytes += len(piece)
        elif self._part is not None:
            self._field_value += data[start:end]
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise BadRequest(f"The form field {self._part!r} is too long")

    def _part_end(self) -> None:
        if self._part not in (None, FILE_FIELD):
            self.fields[self._part] = self._field_value.decode("utf-8", "replace")

    def take_pending(self) -> bytes:
        data = b"".join(self.pending)
        self.pending, self.pending_bytes = [], 0
        return data


def check_upload_headers(*, content_type: str, content_length: int | None, max_bytes: int) -> bytes:
    """Refuses what the headers already show (not multipart, declared too large) before any byte
    is read or stored; returns the multipart boundary."""
    mime, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise BadRequest(f"Send the file as multipart/form-data, in a part named {FILE_FIELD!r}")
    if content_length is not None and content_length > max_bytes + MULTIPART_OVERHEAD:
        raise TooLarge(too_large_message(max_bytes))
    return boundary


async def receive_upload(chunks: AsyncIterator[bytes], *, boundary: bytes, temp: Path, max_bytes: int) -> ReceivedFile:
    """Streams the body's part named "file" into `temp`. Raises BadRequest (bad multipart, no
    file, empty file) or TooLarge; on any error `temp` is removed (synchronously: closing and
    unlinking cost microseconds and must also happen when the request is cancelled)."""
    receiver = await anyio.to_thread.run_sync(_Receiver, temp, max_bytes)
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
        async for chunk in chunks:
            parser.write(chunk)
            if receiver.pending_bytes >= WRITE_BATCH:
                await anyio.to_thread.run_sync(receiver.file.write, receiver.take_pending())
        parser.finalize()
        await anyio.to_thread.run_sync(receiver.file.write, receiver.take_pending())
        await anyio.to_thread.run_sync(receiver.file.close)
        if receiver.filename is None:
            raise BadRequest(f"No file was sent (the form needs a file in a part named {FILE_FIELD!r})")
        if receiver.size == 0:
            raise BadRequest(f"{receiver.filename} is empty (0 bytes)")
    except MultipartParseError as error:
        receiver.file.close()
        temp.unlink(missing_ok=True)
        raise BadRequest("The upload is not valid multipart/form-data") from error
    except BaseException:
        receiver.file.close()
        temp.unlink(missing_ok=True)
        raise
    return ReceivedFile(
        path=temp,
        filename=receiver.filename,
        size=receiver.size,
        sha256=receiver.digest.hexdigest(),
        fields=receiver.fields,
    )
