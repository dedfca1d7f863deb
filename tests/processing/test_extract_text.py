"""Plain text and Markdown become pages: form feeds, then headings, then ~3000-character pieces."""

from __future__ import annotations

from pathlib import Path

import pytest

from processing.extract import UnsupportedFile
from processing.extract.text import PAGE_CHARS, split_pages, text_pages


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "notes.md"
    path.write_bytes(data)
    return path


def test_form_feeds_split_pages(tmp_path: Path) -> None:
    path = write(tmp_path, b"Page one text.\fPage two text.\r\n\f\f Page three.")
    assert text_pages(path) == ["Page one text.", "Page two text.", "Page three."]


def test_markdown_headings_level_one_and_two_split_pages() -> None:
    text = "Intro line\n\n# Cells\nCells are small.\n### Detail\nstays\n## Membranes\nLipid bilayer.\n"
    assert split_pages(text) == [
        "Intro line",
        "# Cells\nCells are small.\n### Detail\nstays",
        "## Membranes\nLipid bilayer.",
    ]


def test_headings_inside_code_fences_do_not_split() -> None:
    text = "# Python\n```\n# a comment, not a heading\nx = 1\n```\nEnd."
    assert split_pages(text) == [text]


def test_long_text_is_cut_at_paragraph_boundaries() -> None:
    paragraphs = [(f"Paragraph {index}. " + "Cells divide by mitosis. " * 20).strip() for index in range(30)]
    pages = split_pages("\n\n".join(paragraphs))
    assert len(pages) > 1
    assert all(len(page) <= PAGE_CHARS for page in pages)
    assert all(page.startswith("Paragraph ") for page in pages)
    assert "\n\n".join(pages) == "\n\n".join(paragraphs)


def test_a_paragraph_longer_than_a_page_is_cut_between_words() -> None:
    pages = split_pages("word " * 2000)
    assert all(len(page) <= PAGE_CHARS for page in pages)
    assert all(set(page.split()) == {"word"} for page in pages)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    text = "Grüße: naïve façade, niño\nzweite Zeile"
    data = {
        "utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
    }.get(encoding) or text.encode(encoding)
    assert text_pages(write(tmp_path, data)) == [text]


def test_unknown_encoding_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match="not UTF-8 or UTF-16"):
        text_pages(write(tmp_path, "Café crème".encode("latin-1")))


def test_empty_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match="empty"):
        text_pages(write(tmp_path, b"\n \f \n"))
