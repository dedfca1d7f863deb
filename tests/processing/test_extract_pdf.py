"""PDF text layers, OCR-needed detection, rendering, and refusal of locked or damaged files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from processing.extract import UnsupportedFile
from processing.extract.pdf import (
    MAX_RENDER_PIXELS,
    image_coverage,
    page_count,
    pages_needing_ocr,
    render_page,
    text_layer,
)


def test_page_count(text_pdf: Path, mixed_pdf: Path) -> None:
    assert page_count(text_pdf) == 3
    assert page_count(mixed_pdf) == 4


def test_text_layer_numbers_pages_from_one(text_pdf: Path, text_pdf_pages: list[str]) -> None:
    pages = list(text_layer(text_pdf))
    assert [page.number for page in pages] == [1, 2, 3]
    for page, expected in zip(pages, text_pdf_pages, strict=True):
        assert " ".join(page.text.split()) == expected
        assert "\r" not in page.text


def test_scanned_and_junk_layer_pages_need_ocr(mixed_pdf: Path) -> None:
    texts = {page.number: page.text for page in text_layer(mixed_pdf)}
    assert texts[2].strip() == ""
    assert "(cid:12)" in texts[3]  # the invisible layer is there, and it is junk
    assert pages_needing_ocr(mixed_pdf) == [2, 3]


def test_text_pdf_needs_no_ocr(text_pdf: Path) -> None:
    assert pages_needing_ocr(text_pdf) == []


@pytest.mark.parametrize(("dpi", "grayscale", "mode"), [(72, False, "RGB"), (150, True, "L")])
def test_render_page(mixed_pdf: Path, page_inches: tuple[float, float], dpi: int, grayscale: bool, mode: str) -> None:
    image = render_page(mixed_pdf, 2, dpi=dpi, grayscale=grayscale)
    assert image.mode == mode
    for pixels, inches in zip(image.size, page_inches, strict=True):
        assert abs(pixels - inches * dpi) <= 1
    darkest, _lightest = image.convert("L").getextrema()
    assert darkest < 100  # the scanned text is there


def test_render_page_outside_the_document(text_pdf: Path) -> None:
    with pytest.raises(ValueError, match="outside 1..3"):
        render_page(text_pdf, 4, dpi=72)


def test_password_protected_pdf(encrypted_pdf: Path) -> None:
    for read in (page_count, pages_needing_ocr, lambda path: render_page(path, 1, dpi=72)):
        with pytest.raises(UnsupportedFile, match="This PDF is password-protected"):
            read(encrypted_pdf)


@pytest.mark.parametrize("data", [b"%PDF-1.7\nthis is not a pdf at all\n", b"%PDF-", b"%PDF-1.4\n" + bytes(5000)])
def test_damaged_pdf(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(UnsupportedFile, match="This PDF is damaged and cannot be read"):
        page_count(path)


def test_poster_sized_page_renders_within_the_pixel_limit(tmp_path: Path) -> None:
    pdf = FPDF(unit="in", format=(100, 100))
    pdf.add_page()
    path = tmp_path / "poster.pdf"
    pdf.output(str(path))
    image = render_page(path, 1, dpi=300, grayscale=True)
    assert image.width * image.height <= MAX_RENDER_PIXELS
    assert image.info["dpi"][0] < 300


def test_image_coverage_tells_scans_from_text_pages(mixed_pdf: Path) -> None:
    coverage = [image_coverage(mixed_pdf, number) for number in (1, 2, 3, 4)]
    assert coverage[0] == 0.0 and coverage[3] == 0.0
    assert coverage[1] > 0.99 and coverage[2] > 0.99
