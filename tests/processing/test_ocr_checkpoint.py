"""Saved OCR pages are reused only under the same key (same file, languages and DPI)."""

from __future__ import annotations

from pathlib import Path

from processing.ocr import OcrResult
from processing.ocr_checkpoint import OcrCheckpoint


def test_pages_come_back_under_their_key_only(tmp_path: Path) -> None:
    saved = OcrCheckpoint(tmp_path / "ocr" / "3", key="abc:eng:300")
    saved.put(2, OcrResult(text="Glycolysis splits glucose", mean_confidence=91.5))

    again = OcrCheckpoint(tmp_path / "ocr" / "3", key="abc:eng:300")
    assert again.get(2) == OcrResult(text="Glycolysis splits glucose", mean_confidence=91.5)
    assert again.get(1) is None
    assert OcrCheckpoint(tmp_path / "ocr" / "3", key="def:eng:300").get(2) is None  # the file was replaced
    assert OcrCheckpoint(tmp_path / "ocr" / "3", key="abc:eng+deu:300").get(2) is None
    assert [p.name for p in (tmp_path / "ocr" / "3").iterdir()] == ["2.json"]  # no temp file left


def test_a_damaged_page_file_is_read_again(tmp_path: Path) -> None:
    checkpoint = OcrCheckpoint(tmp_path, key="k")
    (tmp_path / "4.json").write_text('{"key": "k", "text": "cut o', encoding="utf-8")
    assert checkpoint.get(4) is None
    checkpoint.clear()
    assert not tmp_path.exists()
