"""Slides in reading order with tables, notes, groups and pictures; a text rendering stands in for slide images."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from processing.extract import UnsupportedFile
from processing.extract.images import load_image_bytes
from processing.extract.pptx import TextLine, render_slide_text_image, slide_text, slides
from processing.ocr import ocr_image


def test_title_and_body_in_reading_order(sample_pptx: Path) -> None:
    first, second = slides(sample_pptx)
    assert (first.number, first.title) == (1, "Cell Biology")
    assert first.body == [
        TextLine("Cells are the unit of life", 0),
        TextLine("Prokaryotes lack a nucleus", 1),
        TextLine("Right column note", 0),
        TextLine("Grouped left", 0),  # the group was moved down to 5.5 in: it reads after the columns
        TextLine("Grouped right", 0),
        TextLine("Footer source Alberts 2022", 0),
    ]
    assert (second.number, second.title, second.body) == (2, "Summary", [])


def test_tables_and_notes(sample_pptx: Path) -> None:
    first = slides(sample_pptx)[0]
    assert first.tables == [["Organelle | Role | Size", "Nucleus | DNA storage | 6 µm"]]
    assert first.notes == "Remind students about the membrane quiz."
    assert slides(sample_pptx)[1].notes == ""


def test_slide_text_is_searchable(sample_pptx: Path) -> None:
    text = slide_text(slides(sample_pptx)[0])
    assert text.startswith("Cell Biology\n\nCells are the unit of life\nProkaryotes lack a nucleus")
    assert "Nucleus | DNA storage | 6 µm" in text
    assert text.endswith("Remind students about the membrane quiz.")


def test_pictures_are_returned_for_ocr(sample_pptx: Path) -> None:
    (picture,) = slides(sample_pptx)[0].pictures
    assert picture.content_type == "image/png"
    result = ocr_image(load_image_bytes(picture.blob), dpi=150)
    assert "golgi apparatus" in result.text.lower()
    assert "proteins" in result.text.lower()


def test_text_rendering_of_a_slide(sample_pptx: Path) -> None:
    image = render_slide_text_image(slides(sample_pptx)[0], width=1600)
    assert image.size == (1600, 900)
    assert image.mode == "RGB"
    words = ocr_image(image, dpi=150).text.lower()
    for expected in ("cell biology", "prokaryotes", "organelle"):
        assert expected in words


def test_text_rendering_stops_at_the_bottom(sample_pptx: Path) -> None:
    slide = slides(sample_pptx)[0]
    crowded = type(slide)(number=1, title="Many bullets", body=[TextLine(f"Point number {n}") for n in range(80)])
    image = render_slide_text_image(crowded, width=800)
    assert image.size == (800, 450)
    margin = image.convert("L").crop((0, 450 - 800 // 20, 800, 450))
    assert margin.getextrema() == (255, 255)  # nothing drawn over the bottom margin


def test_zip_bomb_and_damaged_pptx_are_refused(tmp_path: Path, sample_pptx: Path) -> None:
    bomb = tmp_path / "bomb.pptx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ppt/zeros.bin", bytes(20 * 1024 * 1024))
    with pytest.raises(UnsupportedFile, match="zip bomb"):
        slides(bomb)
    damaged = tmp_path / "damaged.pptx"
    with zipfile.ZipFile(sample_pptx) as source, zipfile.ZipFile(damaged, "w") as target:
        for member in source.infolist():
            if member.filename != "ppt/presentation.xml":
                target.writestr(member, source.read(member))
    with pytest.raises(UnsupportedFile, match="damaged"):
        slides(damaged)
