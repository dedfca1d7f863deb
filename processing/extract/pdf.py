"""PDF pages through pypdfium2: page count, text layer, rendering, and which pages need OCR."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar

import pypdfium2 as pdfium
from PIL import Image

from processing.extract import UnsupportedFile
from processing.extract.quality import is_real_text

# PDFium keeps global state and is not thread-safe, for any document: every call into it, from
# any thread, runs under this one lock. It must be process-wide because PDFium itself is.
PDFIUM_LOCK = threading.RLock()
POINTS_PER_INCH = 72
MAX_RENDER_PIXELS = 40_000_000  # a poster-sized page renders at a lower DPI instead of taking gigabytes
Params = ParamSpec("Params")
Result = TypeVar("Result")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class PageText:
    number: int
    text: str


def page_count(path: Path | str) -> int:
    """Number of pages; raises UnsupportedFile for encrypted or damaged PDFs."""
    with open_pdf(path) as document:
        return len(document)


def text_layer(path: Path | str) -> Iterator[PageText]:
    """Yields every page's text layer (page numbers from 1), newlines normalised to \\n."""
    with PDFIUM_LOCK:
        document = _open(path)
    try:
        for index in range(_locked(len, document)):
            yield PageText(number=index + 1, text=_locked(_page_text, document, index))
    finally:
        _locked(document.close)


def pages_needing_ocr(path: Path | str) -> list[int]:
    """Page numbers whose text layer is missing or junk (quality.is_real_text says no)."""
    return [page.number for page in text_layer(path) if not is_real_text(page.text)]


def image_coverage(path: Path | str, page_number: int) -> float:
    """Share (0–1) of the page covered by its largest image: near 1 for a scanned page."""
    with open_pdf(path) as document:
        page = document[page_number - 1]
        try:
            width, height = page.get_size()
            largest = 0.0
            for image in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
                left, bottom, right, top = image.get_bounds()
                visible = (min(right, width) - max(left, 0)) * (min(top, height) - max(bottom, 0))
                largest = max(largest, visible)
        finally:
            page.close()
    return largest / (width * height) if width and height else 0.0


def render_page(path: Path | str, page_number: int, *, dpi: int, grayscale: bool = False) -> Image.Image:
    """Renders one page (numbered from 1) at `dpi` to an RGB image, or L when grayscale; info["dpi"] says
    the resolution used, lower than asked only for pages too large to render at `dpi` in 40 MP."""
    with open_pdf(path) as document:
        if not 1 <= page_number <= len(document):
            raise ValueError(f"page {page_number} is outside 1..{len(document)}")
        page = document[page_number - 1]
        try:
            dpi = _affordable_dpi(page, dpi)
            bitmap = page.render(scale=dpi / POINTS_PER_INCH, grayscale=grayscale)
            # to_pil() may share PDFium's buffer, which close() frees: convert (always a copy) first
            image = bitmap.to_pil().convert("L" if grayscale else "RGB")
            bitmap.close()
        finally:
            page.close()
    image.info["dpi"] = (dpi, dpi)
    return image


def _affordable_dpi(page: pdfium.PdfPage, dpi: int) -> int:
    width, height = page.get_size()
    pixels = (width * dpi / POINTS_PER_INCH) * (height * dpi / POINTS_PER_INCH)
    if pixels <= MAX_RENDER_PIXELS:
        return dpi
    return max(1, int(dpi * (MAX_RENDER_PIXELS / pixels) ** 0.5))


@contextmanager
def open_pdf(path: Path | str) -> Iterator[pdfium.PdfDocument]:
    """Holds the PDFium lock for the whole block: use only for short work, never across a yield to a caller."""
    with PDFIUM_LOCK:
        document = _open(path)
        try:
            yield document
        finally:
            document.close()


def _open(path: Path | str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise UnsupportedFile("This PDF is password-protected") from error
        raise UnsupportedFile("This PDF is damaged and cannot be read") from error


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        textpage.close()
    except pdfium.PdfiumError as error:
        raise UnsupportedFile(f"Page {index + 1} of this PDF is damaged and cannot be read") from error
    finally:
        page.close()
    return CONTROL_CHARACTERS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _locked(function: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs) -> Result:
    with PDFIUM_LOCK:
        return function(*args, **kwargs)
