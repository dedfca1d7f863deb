"""OCR results of a lecture's pages, saved as each page finishes, so an ingest cut off by a server
stop resumes with the pages it has not read yet instead of starting over (OCR is ~2 s a page).

Kept under data/ocr/<lecture id>/ as one small JSON file per page, each stamped with a key made of
the file's sha256, the OCR languages and the DPI: a replaced file or changed settings never reuse
old text. The ingest removes the directory when it ends in any way but an interruption; deleting
the lecture removes it too (Storage.delete_lecture).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from processing.ocr import OcrResult


class OcrCheckpoint:
    def __init__(self, directory: Path, *, key: str) -> None:
        self.directory, self.key = directory, key

    def get(self, page: int) -> OcrResult | None:
        try:
            saved = json.loads((self.directory / f"{page}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # not saved, or cut off while written (never: see put) — read the page again
        if not isinstance(saved, dict) or saved.get("key") != self.key:
            return None
        return OcrResult(text=str(saved["text"]), mean_confidence=float(saved["mean_confidence"]))

    def put(self, page: int, result: OcrResult) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{page}.json"
        temp = target.with_suffix(".part")
        record = {"key": self.key, "text": result.text, "mean_confidence": result.mean_confidence}
        temp.write_text(json.dumps(record), encoding="utf-8")
        temp.replace(target)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
