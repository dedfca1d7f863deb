"""Images come upright (EXIF orientation applied), TIFF pages come apart, viewer images are WebP without EXIF."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from processing.extract import UnsupportedFile
from processing.extract.images import load_image, load_image_bytes, load_image_pages, thumbnail, viewer_image


def colour_at(image: Image.Image, x: int, y: int) -> str:
    red, green, blue = image.convert("RGB").getpixel((x, y))[:3]
    return "red" if red > 150 and blue < 100 else "blue" if blue > 150 and red < 100 else "other"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_is_applied(exif_image: Callable[[str], Path], fmt: str) -> None:
    path = exif_image(fmt)
    with Image.open(path) as stored:
        assert stored.size == (60, 40)
        assert colour_at(stored, 10, 20) == "red"  # stored red on the left
    image = load_image(path)
    assert image.size == (40, 60)  # turned a quarter clockwise: the left half is now on top
    assert colour_at(image, 20, 10) == "red"
    assert colour_at(image, 20, 50) == "blue"
    assert image.mode == "RGB"


def test_multi_page_tiff(tmp_path: Path) -> None:
    path = tmp_path / "scan.tiff"
    first, *rest = [Image.new("L", (30, 20), shade) for shade in (0, 128, 255)]
    first.save(path, format="TIFF", save_all=True, append_images=rest)
    pages = load_image_pages(path)
    assert [page.getpixel((5, 5)) for page in pages] == [0, 128, 255]
    assert load_image(path).getpixel((5, 5)) == 0


def test_transparent_images_are_flattened_on_white() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8), (255, 0, 0, 0)).save(buffer, format="PNG")
    assert load_image_bytes(buffer.getvalue()).getpixel((1, 1)) == (255, 255, 255)


def test_damaged_image(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(UnsupportedFile, match="damaged"):
        load_image(path)


def test_viewer_image_is_webp_without_exif(exif_image: Callable[[str], Path]) -> None:
    small = load_image(exif_image("JPEG"))
    assert "exif" in small.info or small.getexif()  # the source carries EXIF (the camera make)
    data = viewer_image(small)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert b"EXIF" not in data and b"Test Camera" not in data
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.size == (40, 60)  # never enlarged
        assert not decoded.getexif()


def test_viewer_image_long_side_is_1600() -> None:
    page = Image.new("RGB", (2550, 3300), "white")  # a letter page scanned at 300 DPI
    with Image.open(io.BytesIO(viewer_image(page))) as decoded:
        assert decoded.format == "WEBP"
        assert max(decoded.size) == 1600
        assert decoded.size[0] == pytest.approx(1236, abs=1)


def test_thumbnail_is_240_wide_webp() -> None:
    with Image.open(io.BytesIO(thumbnail(Image.new("L", (1275, 1650), 200)))) as decoded:
        assert decoded.format == "WEBP"
        assert decoded.size == (240, 311)
