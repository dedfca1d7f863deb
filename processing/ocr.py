"""Tesseract OCR: one image, or many PDF pages in parallel with one single-threaded Tesseract per worker."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import pytesseract
from PIL import Image

from processing.extract.pdf import render_page

DEFAULT_DPI = 300
LANGUAGE_SEPARATORS = re.compile(r"[+,\s]+")
LANGUAGE_NAME = re.compile(r"^[A-Za-z_]+$")
ALPHANUMERIC = re.compile(r"[^\W_]")
NOISE_CONFIDENCE = 60
SPECK = re.compile(r"[|¦~_]+")  # what a scratch or a smudge becomes, however sure Tesseract is


@dataclass(frozen=True, slots=True)
class OcrResult:
    text: str
    mean_confidence: float  # 0–100, mean over recognised words; 0.0 when nothing was recognised


class OcrError(RuntimeError):
    """Tesseract is missing or failed; the message says which and, for a page, which page."""


class MissingOcrLanguages(OcrError, ValueError):
    """The configured OCR languages are not installed (ValueError so settings validation can report it)."""


class _SingleThreadEnvironment(Mapping[str, str]):
    """The current environment plus OMP_THREAD_LIMIT=1, for Tesseract processes only.

    We parallelise by page, one process per core; Tesseract's own OpenMP threads would only fight
    them. Setting the variable in os.environ instead would also cap torch's OpenMP if torch were
    imported later in this process.
    """

    def __getitem__(self, key: str) -> str:
        return "1" if key == "OMP_THREAD_LIMIT" else os.environ[key]

    def __iter__(self) -> Iterator[str]:
        return iter({*os.environ, "OMP_THREAD_LIMIT"})

    def __len__(self) -> int:
        return len({*os.environ, "OMP_THREAD_LIMIT"})


# pytesseract hands this module-level mapping to every Tesseract process it starts.
pytesseract.pytesseract.environ = _SingleThreadEnvironment()


def available_languages() -> list[str]:
    """Languages Tesseract has data for, from `tesseract --list-langs`."""
    try:
        listing = subprocess.run(
            [pytesseract.pytesseract.tesseract_cmd, "--list-langs"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise OcrError("Tesseract is not installed or does not run (install the tesseract-ocr package)") from error
    return sorted(line.strip() for line in listing.stdout.splitlines()[1:] if LANGUAGE_NAME.match(line.strip()))


def check_languages(langs: str) -> str:
    """Normalises 'eng, deu' or 'eng+deu' to Tesseract's 'eng+deu'; raises MissingOcrLanguages naming the gaps."""
    wanted = list(dict.fromkeys(part for part in LANGUAGE_SEPARATORS.split(langs) if part))
    if not wanted:
        raise MissingOcrLanguages("No OCR language configured (for example LECTERN_OCR_LANGS=eng)")
    installed = available_languages()
    missing = [lang for lang in wanted if lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise MissingOcrLanguages(
            f"Tesseract has no data for: {', '.join(missing)} (installed: {', '.join(installed) or 'none'}). "
            f"Install {packages} or change LECTERN_OCR_LANGS."
        )
    return "+".join(wanted)


def ocr_image(image: Image.Image, *, langs: str = "eng", dpi: int | None = None) -> OcrResult:
    """Recognises the text of one image; Tesseract reads it as uncompressed PNM, not PNG."""
    dpi = dpi or _image_dpi(image)
    with tempfile.TemporaryDirectory(prefix="lectern-ocr-") as folder:
        source = Path(folder) / "page.pnm"
        _as_pnm_mode(image).save(source, format="PPM")
        config = f"--psm 3 --dpi {dpi}" if dpi else "--psm 3"
        try:
            data = pytesseract.image_to_data(
                str(source), lang=langs, config=config, output_type=pytesseract.Output.DICT
            )
        except pytesseract.TesseractNotFoundError as error:
            raise OcrError("Tesseract is not installed (install the tesseract-ocr package)") from error
        except pytesseract.TesseractError as error:
            check_languages(langs)  # names missing language data, the usual cause
            raise OcrError(f"Tesseract failed: {error.message}") from error
    return _result_from_data(data)


def ocr_pdf_pages(
    path: Path | str,
    pages: Iterable[int],
    *,
    dpi: int = DEFAULT_DPI,
    langs: str = "eng",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[tuple[int, OcrResult]]:
    """OCRs PDF pages, one page per worker; yields (page_number, result) as pages finish, each page once.

    `progress(done, total)` is called in this (the consuming) thread before each yield, so calls
    arrive in order. `should_stop()` is checked before each page starts and after each finishes;
    once it is true no further page starts and nothing more is yielded.
    """
    langs = check_languages(langs)
    pages = list(pages)
    stop = should_stop or (lambda: False)
    workers = max(1, min(workers or default_workers(), len(pages) or 1))
    queue = iter(pages)
    running: dict[Future[OcrResult], int] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lectern-ocr") as pool:
        try:
            _start_pages(pool, running, queue, workers=workers, path=path, dpi=dpi, langs=langs, stop=stop)
            done = 0
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=running.__getitem__):
                    page = running.pop(future)
                    result = _page_result(future, page)
                    if stop():
                        return
                    done += 1
                    if progress is not None:
                        progress(done, len(pages))
                    yield page, result
                _start_pages(pool, running, queue, workers=workers, path=path, dpi=dpi, langs=langs, stop=stop)
        finally:
            for future in running:
                future.cancel()


def default_workers() -> int:
    """One Tesseract per core this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ocr_pdf_page(path: Path | str, page_number: int, *, dpi: int = DEFAULT_DPI, langs: str = "eng") -> OcrResult:
    """Renders one page in grayscale (under the PDFium lock) and OCRs it (outside it)."""
    image = render_page(path, page_number, dpi=dpi, grayscale=True)
    return ocr_image(image, langs=langs)  # the image's own DPI: lower than asked for poster-sized pages


def _start_pages(
    pool: ThreadPoolExecutor,
    running: dict[Future[OcrResult], int],
    queue: Iterator[int],
    *,
    workers: int,
    path: Path | str,
    dpi: int,
    langs: str,
    stop: Callable[[], bool],
) -> None:
    while len(running) < workers and not stop():
        page = next(queue, None)
        if page is None:
            return
        running[pool.submit(ocr_pdf_page, path, page, dpi=dpi, langs=langs)] = page


def _page_result(future: Future[OcrResult], page: int) -> OcrResult:
    try:
        return future.result()
    except OcrError as error:
        raise OcrError(f"OCR failed on page {page}: {error}") from error


def _result_from_data(data: Mapping[str, list]) -> OcrResult:
    """Rebuilds lines and paragraphs from Tesseract's word table; confidence ignores its -1 non-word rows."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for index, word in enumerate(data.get("text", [])):
        word = str(word).strip()
        if not word or data["level"][index] != 5:
            continue
        confidence = float(data["conf"][index])
        if not ALPHANUMERIC.search(word) and (confidence < NOISE_CONFIDENCE or SPECK.fullmatch(word)):
            continue  # specks and smudges read as "|", "~", ":" — not words, and not counted as such
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        lines.setdefault(key, []).append(word)
        if confidence >= 0:
            confidences.append(confidence)
    text = _join_lines(lines)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrResult(text=text, mean_confidence=round(mean, 1))


def _join_lines(lines: dict[tuple[int, int, int], list[str]]) -> str:
    parts: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, paragraph, _line), words in lines.items():
        if previous is not None:
            parts.append("\n\n" if (block, paragraph) != previous else "\n")
        parts.append(" ".join(words))
        previous = (block, paragraph)
    return "".join(parts)


def _image_dpi(image: Image.Image) -> int | None:
    dpi = image.info.get("dpi")
    return round(float(dpi[0])) if dpi and float(dpi[0]) >= 70 else None


def _as_pnm_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("L", "RGB", "1"):
        return image
    if "A" in image.getbands():
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")
