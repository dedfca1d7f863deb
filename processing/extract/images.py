"""Open uploaded images safely (pixel limit, EXIF orientation, TIFF pages) and encode viewer images and thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from processing.extract import UnsupportedFile

MAX_PIXELS = 80_000_000
MAX_FRAMES = 500
VIEWER_LONG_SIDE = 1600
THUMBNAIL_WIDTH = 240
WEBP_QUALITY = 80


def check_image_size(path: Path | str) -> None:
    """Reads only the header and refuses images whose pixel count makes them a decompression bomb."""
    with _open(path) as image:
        _check_pixels(image)


def frame_count(path: Path | str) -> int:
    """Pages of the image (1, or a multi-page TIFF's count), from its headers."""
    with _open(path) as image:
        _check_pixels(image)
        return getattr(image, "n_frames", 1)


def load_image(path: Path | str) -> Image.Image:
    """Returns the first page of an image file, upright (EXIF orientation applied), in RGB or L."""
    with _open(path) as image:
        _check_pixels(image)
        return _upright(image)


def load_image_pages(path: Path | str) -> list[Image.Image]:
    """Returns every frame (a multi-page TIFF's pages), each upright, in RGB or L."""
    with _open(path) as image:
        _check_pixels(image)
        frames = getattr(image, "n_frames", 1)
        if frames > MAX_FRAMES:
            raise UnsupportedFile(f"This image has too many pages ({frames}; at most {MAX_FRAMES})")
        return [_upright(frame) for frame in ImageSequence.Iterator(image)]


def load_image_bytes(data: bytes) -> Image.Image:
    """Like load_image for an image held in memory (a picture taken out of a slide)."""
    return load_image(io.BytesIO(data))


def viewer_image(image: Image.Image) -> bytes:
    """WebP for the page viewer: long side ~1600 px (about 150 DPI for a letter page), no EXIF."""
    scaled = image.copy()
    scaled.thumbnail((VIEWER_LONG_SIDE, VIEWER_LONG_SIDE), Image.Resampling.LANCZOS)
    return _webp(scaled)


def thumbnail(image: Image.Image) -> bytes:
    """WebP thumbnail 240 px wide (never enlarged), no EXIF."""
    width = min(THUMBNAIL_WIDTH, image.width)
    height = max(1, round(image.height * width / image.width))
    return _webp(image.resize((width, height), Image.Resampling.LANCZOS))


def _open(source: Path | str | io.BytesIO) -> Image.Image:
    try:
        return Image.open(source)
    except Image.DecompressionBombError as error:
        raise UnsupportedFile(_too_large_message()) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UnsupportedFile("This image is damaged or in a format we cannot read") from error


def _check_pixels(image: Image.Image) -> None:
    if image.width * image.height > MAX_PIXELS:
        raise UnsupportedFile(_too_large_message(image.width, image.height))


def _too_large_message(width: int | None = None, height: int | None = None) -> str:
    size = f" ({width}×{height} pixels)" if width and height else ""
    return f"This image is too large{size}: at most {MAX_PIXELS // 1_000_000} megapixels"


def _upright(image: Image.Image) -> Image.Image:
    try:
        upright = ImageOps.exif_transpose(image)
        upright.load()
    except Image.DecompressionBombError as error:
        raise UnsupportedFile(_too_large_message()) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise UnsupportedFile("This image is damaged and cannot be read") from error
    if upright.mode in ("RGB", "L"):
        return upright
    if "A" in upright.getbands() or upright.mode == "P":
        return _flatten_on_white(upright)
    return upright.convert("RGB")


def _flatten_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, "white")
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _webp(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=4, exif=b"")
    return buffer.getvalue()
