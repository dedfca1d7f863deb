"""Plain text and Markdown into pages: form feeds, level-1/2 headings, or ~3000-character pieces."""

from __future__ import annotations

import re
from pathlib import Path

from processing.extract import UnsupportedFile
from processing.extract.filetypes import detect_text_encoding

PAGE_CHARS = 3000
HEADING = re.compile(r"^#{1,2}[ \t]+\S")
FENCE = re.compile(r"^(```|~~~)")
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def read_text(path: Path | str) -> str:
    """Decodes a text file (UTF-8, UTF-8 with BOM, UTF-16 with BOM) with newlines normalised to \\n."""
    data = Path(path).read_bytes()
    encoding = detect_text_encoding(data[:4])
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnsupportedFile(
            "This text file is not UTF-8 or UTF-16 encoded; save it as UTF-8 and try again"
        ) from error
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_pages(path: Path | str) -> list[str]:
    """Reads a text or Markdown file and splits it into pages; refuses a file with no text."""
    pages = split_pages(read_text(path))
    if not pages:
        raise UnsupportedFile("This text file is empty")
    return pages


def split_pages(text: str, *, page_chars: int = PAGE_CHARS) -> list[str]:
    """Form feeds win; otherwise Markdown level-1/2 headings; long sections are cut at paragraph boundaries."""
    sections = text.split("\f") if "\f" in text else _split_on_headings(text)
    pages = [piece for section in sections for piece in _split_long(section.strip(), page_chars)]
    return [page for page in pages if page]


def _split_on_headings(text: str) -> list[str]:
    sections: list[list[str]] = [[]]
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and HEADING.match(line) and any(part.strip() for part in sections[-1]):
            sections.append([])
        sections[-1].append(line)
    return ["\n".join(lines) for lines in sections]


def _split_long(section: str, page_chars: int) -> list[str]:
    if len(section) <= page_chars:
        return [section]
    pages: list[str] = []
    current = ""
    for paragraph in PARAGRAPH_BREAK.split(section):
        for piece in _split_paragraph(paragraph.strip(), page_chars):
            if current and len(current) + 2 + len(piece) > page_chars:
                pages.append(current)
                current = piece
            else:
                current = f"{current}\n\n{piece}" if current else piece
    if current:
        pages.append(current)
    return pages


def _split_paragraph(paragraph: str, page_chars: int) -> list[str]:
    """A paragraph longer than a page is cut at the last line break, sentence end or space before the limit."""
    pieces: list[str] = []
    while len(paragraph) > page_chars:
        cut = _cut_point(paragraph[:page_chars])
        pieces.append(paragraph[:cut].strip())
        paragraph = paragraph[cut:].strip()
    return [*pieces, paragraph] if paragraph else pieces


def _cut_point(window: str) -> int:
    for separator in ("\n", ". ", " "):
        position = window.rfind(separator)
        if position > len(window) // 2:
            return position + len(separator)
    return len(window)
