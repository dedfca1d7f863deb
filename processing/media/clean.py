"""Images: checked to decode fully, metadata removed at the container level (lossless, and a second pass
changes nothing, so bytes survive Anki round trips), a sideways JPEG turned upright once, thumbnails.

JPEG keeps APP0 (JFIF), APP2 ICC profiles and APP14 (Adobe colour transform) and drops every other APPn
and COM segment (EXIF, XMP, maker notes). PNG drops eXIf/tEXt/zTXt/iTXt/tIME chunks. WebP drops its EXIF
and XMP chunks and clears their VP8X flags. GIF and audio are stored as uploaded.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from processing.errors import BadRequest
from processing.media.sniff import GIF, JPEG, PNG, WEBP, MediaType

MAX_PIXELS = 40_000_000  # a 40-megapixel photo decodes in ~160 MB; more is refused, not decoded
THUMB_SIDE = 320
ORIENTATION = 0x0112
_JPEG_KEEP_APP = {0xE0, 0xEE}  # APP0 JFIF, APP14 Adobe; APP2 is kept only when it is an ICC profile
_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_WEBP_DROP = {b"EXIF", b"XMP "}


class DamagedImage(BadRequest):
    pass


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def _damaged(name: str) -> DamagedImage:
    return DamagedImage(f"The image {name} is damaged or incomplete and cannot be shown; nothing was saved")


def strip_jpeg(data: bytes) -> bytes:
    out, i = bytearray(data[:2]), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("not a marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA or 0xD0 <= marker <= 0xD9 or marker == 0x01:
            if marker == 0xDA:  # start of scan: the rest is image data and trailer
                out += data[i:]
                return bytes(out)
            out += data[i : i + 2]
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        segment = data[i : i + 2 + length]
        if len(segment) < 2 + length:
            raise ValueError("truncated segment")
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE)
        keep = keep or marker in _JPEG_KEEP_APP or (marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\x00")
        if keep:
            out += segment
        i += 2 + length
    raise ValueError("no image data")


def strip_png(data: bytes) -> bytes:
    out, i = bytearray(data[:8]), 8
    while i + 12 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if kind not in _PNG_DROP:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            return bytes(out)
    raise ValueError("no IEND")


def strip_webp(data: bytes) -> bytes:
    chunks, i = [], 12
    (riff_size,) = struct.unpack("<I", data[4:8])
    stop = min(len(data), 8 + riff_size)
    while i + 8 <= stop:
        kind = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        end = i + 8 + size + (size & 1)
        if i + 8 + size > len(data):
            raise ValueError("truncated chunk")
        chunk = bytearray(data[i:end])
        if kind == b"VP8X":
            chunk[8] &= ~(0x08 | 0x04) & 0xFF  # no EXIF, no XMP
        if kind not in _WEBP_DROP:
            chunks.append(bytes(chunk))
        i = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def strip_metadata(data: bytes, kind: MediaType) -> bytes:
    if kind == JPEG:
        return strip_jpeg(data)
    if kind == PNG:
        return strip_png(data)
    if kind == WEBP:
        return strip_webp(data)
    return data


def _open(data: bytes, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise BadRequest(
                    f"The image {name} is {image.width}×{image.height} pixels; at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels are accepted"
                )
            image.load()
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadRequest(
            f"The image {name} has too many pixels to decode safely (at most {MAX_PIXELS // 1_000_000} megapixels)"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise _damaged(name) from exc


def _upright_jpeg(image: Image.Image) -> bytes | None:
    """A JPEG whose EXIF says it is rotated, re-encoded upright (once: the result has no EXIF)."""
    if image.getexif().get(ORIENTATION, 1) in (1, None):
        return None
    upright = ImageOps.exif_transpose(image)
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=92, icc_profile=image.info.get("icc_profile"))
    return buffer.getvalue()


def thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    small.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buffer = io.BytesIO()
    small.save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def clean_image(data: bytes, kind: MediaType, *, name: str) -> CleanImage:
    """The image as it is stored: decoded once to prove it is whole, metadata removed, a thumbnail."""
    image = _open(data, name)
    if kind == JPEG:
        rotated = _upright_jpeg(image)
        if rotated is not None:
            data, image = rotated, _open(rotated, name)
    try:
        stripped = strip_metadata(data, kind)
    except (ValueError, struct.error, IndexError) as exc:
        raise _damaged(name) from exc
    if kind != GIF:
        _open(stripped, name)  # what is stored must decode too
    return CleanImage(stripped, image.width, image.height, thumbnail(image))


def crop_png(source: bytes, *, x: float, y: float, width: float, height: float) -> bytes:
    """A rectangle (fractions of the image) of a page image, as PNG."""
    with Image.open(io.BytesIO(source)) as page:
        left, top = round(x * page.width), round(y * page.height)
        right = min(page.width, round((x + width) * page.width))
        bottom = min(page.height, round((y + height) * page.height))
        if right - left < 4 or bottom - top < 4:
            raise BadRequest("The rectangle is too small: drag over the part of the page to keep")
        region = page.convert("RGB").crop((left, top, right, bottom))
    buffer = io.BytesIO()
    region.save(buffer, "PNG")
    return buffer.getvalue()
