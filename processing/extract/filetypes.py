"""Decide what an uploaded file is from its bytes (never its name), refusing zip and image bombs."""

from __future__ import annotations

import codecs
import re
import zipfile
from enum import StrEnum
from pathlib import Path

from processing.extract import UnsupportedFile
from processing.extract.images import check_image_size

NOT_SUPPORTED = "This file is not a PDF, PowerPoint, image or text file"
MAX_ZIP_MEMBERS = 5000
MAX_ZIP_RATIO = 20
MAX_ZIP_BYTES = 500 * 1024 * 1024
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
PRESENTATION_TYPES = (
    b"presentationml.presentation.main+xml",
    b"presentationml.slideshow.main+xml",
    b"presentationml.template.main+xml",
    b"ms-powerpoint.presentation.macroEnabled.main+xml",
)
TEXT_CHUNK = 1024 * 1024
MAX_CONTROL_SHARE = 0.01
CONTROL_CHARACTERS = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")


class FileKind(StrEnum):
    pdf = "pdf"
    pptx = "pptx"
    png = "png"
    jpeg = "jpeg"
    tiff = "tiff"
    webp = "webp"
    text = "text"

    @property
    def is_image(self) -> bool:
        return self in IMAGE_KINDS


IMAGE_KINDS = frozenset({FileKind.png, FileKind.jpeg, FileKind.tiff, FileKind.webp})


def sniff(path: Path | str) -> FileKind:
    """Returns the kind of the file at `path` or raises UnsupportedFile with a message for the user."""
    path = Path(path)
    with path.open("rb") as handle:
        head = handle.read(16)
    if not head:
        raise UnsupportedFile("This file is empty")
    kind = _kind_from_magic(head)
    if kind is None and head.startswith(b"PK\x03\x04"):
        check_zip_safety(path)
        kind = FileKind.pptx if _is_presentation_zip(path) else None
    if kind is None and head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFile("Old PowerPoint/Office files (.ppt) are not supported: save the file as .pptx")
    if kind is None and _is_text(path):
        kind = FileKind.text
    if kind is None:
        raise UnsupportedFile(NOT_SUPPORTED)
    if kind.is_image:
        check_image_size(path)
    return kind


def _kind_from_magic(head: bytes) -> FileKind | None:
    if head.startswith(b"%PDF-"):
        return FileKind.pdf
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.png
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.jpeg
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return FileKind.tiff
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return FileKind.webp
    return None


def check_zip_safety(path: Path | str) -> None:
    """Refuses damaged zips and zip bombs by the sizes the archive declares (zipfile enforces them on read)."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise UnsupportedFile("This file looks like a PowerPoint (zip) file but is damaged") from error
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnsupportedFile(f"This archive has too many parts ({len(members)}; at most {MAX_ZIP_MEMBERS})")
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_ZIP_BYTES or unpacked > MAX_ZIP_RATIO * max(path.stat().st_size, 1):
        raise UnsupportedFile("This archive unpacks to far more data than its size suggests (a zip bomb); refused")


def _is_presentation_zip(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        try:
            info = archive.getinfo("[Content_Types].xml")
        except KeyError:
            return False
        if info.file_size > MAX_CONTENT_TYPES_BYTES:
            return False
        try:
            content_types = archive.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
            raise UnsupportedFile("This file looks like a PowerPoint (zip) file but is damaged") from error
    return any(marker in content_types for marker in PRESENTATION_TYPES)


def detect_text_encoding(head: bytes) -> str:
    """Returns the codec for a text file's first bytes: a BOM decides, otherwise UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _is_text(path: Path) -> bool:
    """Streams the file through a strict decoder: valid text has no NULs and almost no control characters."""
    with path.open("rb") as handle:
        encoding = detect_text_encoding(handle.read(4))
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        characters = controls = 0
        try:
            while chunk := handle.read(TEXT_CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text:
                    return False
                characters += len(text)
                controls += len(CONTROL_CHARACTERS.findall(text))
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return characters > 0 and controls <= MAX_CONTROL_SHARE * characters
