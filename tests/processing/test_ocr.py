"""Real Tesseract on rendered text: accuracy, confidence, parallel pages, progress, cancellation, languages."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytesseract
import pytest
from PIL import Image

from processing.ocr import (
    MissingOcrLanguages,
    OcrResult,
    available_languages,
    check_languages,
    ocr_image,
    ocr_pdf_page,
    ocr_pdf_pages,
)
from tests.documents import add_scanned_page, new_pdf, render_text

DPI = 150


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def test_ocr_reads_rendered_text(text_image: Callable[..., Image.Image]) -> None:
    result = ocr_image(text_image(["Mitochondria produce energy.", "The Krebs cycle oxidises acetyl."]), dpi=DPI)
    text = normalised(result.text)
    for word in ("mitochondria", "produce", "energy", "krebs", "cycle", "oxidises", "acetyl"):
        assert word in text
    assert 80 <= result.mean_confidence <= 100
    assert result.text.count("\n") >= 1  # lines are kept


def test_ocr_of_a_blank_page() -> None:
    assert ocr_image(Image.new("L", (600, 400), 255)) == OcrResult(text="", mean_confidence=0.0)


def test_ocr_of_noisy_skewed_scan(text_image: Callable[..., Image.Image]) -> None:
    result = ocr_image(text_image(["Chloroplasts contain chlorophyll"], noise=True, angle=1.0), dpi=DPI)
    assert "chlorophyll" in normalised(result.text)
    assert 50 <= result.mean_confidence <= 100


def test_parallel_pages_each_once_with_ordered_progress(scanned_pdf: Path, scanned_pdf_lines: list[list[str]]) -> None:
    calls: list[tuple[int, int]] = []
    results = dict(ocr_pdf_pages(scanned_pdf, [1, 2, 3, 4], dpi=DPI, workers=2, progress=lambda *c: calls.append(c)))
    assert sorted(results) == [1, 2, 3, 4]
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for page, lines in enumerate(scanned_pdf_lines, start=1):
        text = normalised(results[page].text)
        assert normalised(lines[0]).split()[0] in text, (page, text)
        assert results[page].mean_confidence > 50


def test_yield_count_matches_pages_asked(mixed_pdf: Path) -> None:
    pairs = list(ocr_pdf_pages(mixed_pdf, [3, 2], dpi=DPI, workers=2))
    assert sorted(page for page, _result in pairs) == [2, 3]
    junk_page = dict(pairs)[3]
    assert "chloroplasts" in normalised(junk_page.text)  # OCR reads the image, not the junk layer
    assert "cid" not in junk_page.text


def test_should_stop_ends_between_pages(scanned_pdf: Path) -> None:
    seen: list[int] = []
    calls: list[tuple[int, int]] = []
    for page, _result in ocr_pdf_pages(
        scanned_pdf,
        [1, 2, 3, 4],
        dpi=DPI,
        workers=2,
        progress=lambda *c: calls.append(c),
        should_stop=lambda: bool(seen),
    ):
        seen.append(page)
    assert len(seen) == 1
    assert calls == [(1, 4)]


def test_stop_before_start_yields_nothing(scanned_pdf: Path) -> None:
    assert list(ocr_pdf_pages(scanned_pdf, [1, 2], dpi=DPI, workers=2, should_stop=lambda: True)) == []


def test_languages() -> None:
    assert "eng" in available_languages()
    assert check_languages(" eng, eng ") == "eng"
    with pytest.raises(MissingOcrLanguages, match=r"no data for: zzz \(installed: .*eng"):
        check_languages("eng+zzz")


def test_missing_language_is_named_before_any_page(scanned_pdf: Path) -> None:
    with pytest.raises(MissingOcrLanguages, match="zzz"):
        next(ocr_pdf_pages(scanned_pdf, [1], langs="zzz"))
    with pytest.raises(MissingOcrLanguages, match="zzz"):
        ocr_image(Image.new("L", (100, 100), 255), langs="zzz")


def test_tesseract_runs_single_threaded() -> None:
    environment = pytesseract.pytesseract.subprocess_args()["env"]
    echoed = subprocess.run(["sh", "-c", "echo $OMP_THREAD_LIMIT"], env=environment, capture_output=True, text=True)
    assert echoed.stdout.strip() == "1"


def test_specks_are_not_read_as_words(tmp_path: Path) -> None:
    """A noisy, slightly skewed photocopy: the "|", "~", ":" Tesseract makes of its specks are dropped."""
    lines = ["Glycolysis splits glucose", "into two pyruvate molecules."]
    pdf = new_pdf()
    add_scanned_page(pdf, render_text(lines, noise=True, angle=0.5))
    pdf.output(str(tmp_path / "speckled.pdf"))
    result = ocr_pdf_page(tmp_path / "speckled.pdf", 1)
    assert result.text.split() == " ".join(lines).split()
