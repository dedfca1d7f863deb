"""Where lecture files live on the data volume, and how they are written and removed.

    uploads/<lecture id>/original.<ext>     the file as uploaded
    pages/<lecture id>/<n>.webp             viewer image of page n (~150 DPI)
    pages/<lecture id>/<n>.thumb.webp       its thumbnail
    generated/<owner id>/<file id>.<ext>    documents and exports made for download
    media/<owner id>/<sha256>.<ext>         card images and audio (metadata removed)
    media/<owner id>/<sha256>.thumb.webp    an image's thumbnail
    ocr/<lecture id>/<n>.json               OCR of page n, kept only while an interrupted ingest waits to resume
    imports/…                               uploads waiting for their import job
    tmp/                                    uploads being received, page images being made

Everything is written under tmp/ first and moved into place with a rename, so a reader never
sees half a file and a crash leaves only tmp/ to sweep (done at start-up).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path


class Storage:
    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir)
        self.tmp = self.root / "tmp"
        for directory in (self.root / "uploads", self.root / "pages", self.root / "generated", self.tmp):
            directory.mkdir(parents=True, exist_ok=True)

    def upload_path(self, lecture_id: int, extension: str) -> Path:
        return self.root / "uploads" / str(lecture_id) / f"original.{extension}"

    def original(self, lecture_id: int) -> Path | None:
        directory = self.root / "uploads" / str(lecture_id)
        return next(iter(sorted(directory.glob("original.*"))), None) if directory.is_dir() else None

    def pages_dir(self, lecture_id: int) -> Path:
        return self.root / "pages" / str(lecture_id)

    def page_image(self, lecture_id: int, number: int, *, thumb: bool = False) -> Path:
        return self.pages_dir(lecture_id) / (f"{number}.thumb.webp" if thumb else f"{number}.webp")

    def ocr_checkpoint_dir(self, lecture_id: int) -> Path:
        return self.root / "ocr" / str(lecture_id)

    def generated_path(self, owner_id: int, file_id: int, extension: str) -> Path:
        return self.root / "generated" / str(owner_id) / f"{file_id}.{extension}"

    def media_path(self, owner_id: int, sha256: str, extension: str, *, thumb: bool = False) -> Path:
        """`sha256` is our own hex digest, `extension` from our own type table: never user text."""
        name = f"{sha256}.thumb.webp" if thumb else f"{sha256}.{extension}"
        return self.root / "media" / str(owner_id) / name

    def place_media(self, temp: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.replace(target)

    def delete_user_files(self, owner_id: int, lecture_ids: list[int]) -> None:
        """Everything of a deleted account: its lectures' files, its media, its generated files and the
        packages waiting for its import jobs."""
        for lecture_id in lecture_ids:
            self.delete_lecture(lecture_id)
        for top in ("media", "generated", "imports"):
            shutil.rmtree(self.root / top / str(owner_id), ignore_errors=True)
        for upload in self.root.joinpath("imports").glob(f"{owner_id}-*"):  # account imports: <owner>-<uuid>.zip
            upload.unlink(missing_ok=True)

    def temp_file(self, *, suffix: str = "") -> Path:
        handle, name = tempfile.mkstemp(dir=self.tmp, suffix=suffix)
        os.close(handle)
        return Path(name)

    def temp_dir(self, *, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(dir=self.tmp, prefix=prefix))

    def place_upload(self, temp: Path, lecture_id: int, extension: str) -> Path:
        target = self.upload_path(lecture_id, extension)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.replace(target)
        return target

    def replace_pages(self, lecture_id: int, staged: Path) -> None:
        """Swaps a finished directory of page images in for the lecture's current one."""
        target = self.pages_dir(lecture_id)
        old = None
        if target.exists():
            old = self.tmp / f"old-pages-{lecture_id}-{time.monotonic_ns()}"
            target.replace(old)
        staged.replace(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def delete_lecture(self, lecture_id: int) -> None:
        for directory in (
            self.root / "uploads" / str(lecture_id),
            self.pages_dir(lecture_id),
            self.ocr_checkpoint_dir(lecture_id),
        ):
            shutil.rmtree(directory, ignore_errors=True)

    def sweep_tmp(self) -> int:
        """At start-up (nothing is being written yet): removes what interrupted uploads and ingests
        left behind; returns how many."""
        entries = list(self.tmp.iterdir())
        for entry in entries:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        return len(entries)
