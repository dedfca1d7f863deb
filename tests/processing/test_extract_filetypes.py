"""File kinds come from magic bytes, never names; zip and image bombs are refused with a message."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from processing.extract import UnsupportedFile
from processing.extract.filetypes import NOT_SUPPORTED, FileKind, sniff

PPTX_TYPES = (
    '<?xml version="1.0"?><Types><Override PartName="/ppt/presentation.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>'
)
DOCX_TYPES = PPTX_TYPES.replace("presentationml.presentation", "wordprocessingml.document")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def image_file(path: Path, fmt: str) -> Path:
    Image.new("RGB", (20, 10), "green").save(path, format=fmt)
    return path


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares its size but holds no pixels: enough for a header-only size check."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        png_chunk(kind, data)
        for kind, data in [
            (b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)),
            (b"IDAT", zlib.compress(bytes(width + 1))),
            (b"IEND", b""),
        ]
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_pdf_by_magic(text_pdf: Path) -> None:
    assert sniff(text_pdf) is FileKind.pdf


@pytest.mark.parametrize(("fmt", "kind"), [("PNG", FileKind.png), ("JPEG", FileKind.jpeg), ("WEBP", FileKind.webp)])
def test_images_by_magic_whatever_the_name(tmp_path: Path, fmt: str, kind: FileKind) -> None:
    assert sniff(image_file(tmp_path / "lecture.pdf", fmt)) is kind


def big_endian_tiff() -> bytes:
    """A 1×1 grey 'MM' TIFF built by hand (Pillow writes little-endian ones)."""
    entries = [(256, 3, 1), (257, 3, 1), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 8), (278, 3, 1), (279, 4, 1)]
    ifd = struct.pack(">H", len(entries))
    for tag, kind, value in entries:
        ifd += struct.pack(">HHI", tag, kind, 1) + (
            struct.pack(">HH", value, 0) if kind == 3 else struct.pack(">I", value)
        )
    return b"MM\x00*" + struct.pack(">I", 9) + b"\x80" + ifd + struct.pack(">I", 0)


def test_tiff_in_both_byte_orders(tmp_path: Path) -> None:
    assert sniff(image_file(tmp_path / "little.tif", "TIFF")) is FileKind.tiff
    big = write(tmp_path / "big.bin", big_endian_tiff())
    assert sniff(big) is FileKind.tiff
    with Image.open(big) as image:
        assert image.size == (1, 1)


def test_pptx_by_content_types(sample_pptx: Path, tmp_path: Path) -> None:
    renamed = write(tmp_path / "notes.txt", sample_pptx.read_bytes())
    assert sniff(renamed) is FileKind.pptx


def test_text_named_pptx_is_text(tmp_path: Path) -> None:
    assert sniff(write(tmp_path / "slides.pptx", "# Zellbiologie\n\nÜbung: Mitose.\n".encode())) is FileKind.text


@pytest.mark.parametrize(
    "data",
    ["plain text\n".encode("utf-8-sig"), "Grüße aus Köln\n".encode("utf-16"), b"- markdown\n- list\f page two\n"],
)
def test_text_encodings(tmp_path: Path, data: bytes) -> None:
    assert sniff(write(tmp_path / "notes.bin", data)) is FileKind.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is empty"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(200), NOT_SUPPORTED),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(100), NOT_SUPPORTED),
        ("Caf\xe9 au lait, cr\xe8me br\xfbl\xe9e".encode("latin-1"), NOT_SUPPORTED),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Old PowerPoint"),
        (b"text with many controls \x01\x02\x03\x04\x05\x06" * 3, NOT_SUPPORTED),
    ],
)
def test_refused_with_a_message(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(UnsupportedFile, match=message):
        sniff(write(tmp_path / "lecture.pdf", data))


def test_non_presentation_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "essay.pptx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(UnsupportedFile, match=NOT_SUPPORTED):
        sniff(path)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pptx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", PPTX_TYPES)
        archive.writestr("ppt/media/zeros.bin", bytes(30 * 1024 * 1024))
    assert path.stat().st_size < 100_000
    with pytest.raises(UnsupportedFile, match="zip bomb"):
        sniff(path)


def test_zip_with_too_many_members_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.pptx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", PPTX_TYPES)
        for index in range(5001):
            archive.writestr(f"ppt/x{index}", b"")
    with pytest.raises(UnsupportedFile, match="too many parts"):
        sniff(path)


def test_damaged_zip_is_refused(tmp_path: Path, sample_pptx: Path) -> None:
    path = write(tmp_path / "cut.pptx", sample_pptx.read_bytes()[:2000])
    with pytest.raises(UnsupportedFile, match="damaged"):
        sniff(path)


def test_decompression_bomb_image_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "huge.png", png_header(9000, 9000))
    with pytest.raises(UnsupportedFile, match="too large .9000×9000 pixels.: at most 80 megapixels"):
        sniff(path)


def test_image_far_beyond_pillows_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "huger.png", png_header(20000, 20000))
    with pytest.raises(UnsupportedFile, match="too large"):
        sniff(path)
