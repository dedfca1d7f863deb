"""The ingest job: one lecture file → pages (text layer or OCR), page images, chunks, embeddings.

Steps, each reported to the job (and so to the owner's sockets): reading → ocr → images →
chunking → embedding → saving. Nothing is written to the lecture's rows until the very end,
where pages and chunks replace the old ones in one transaction and the staged page images are
swapped in; a cancelled, failed or interrupted run leaves the lecture as it was (its staging
directory under tmp/ is removed). After a server restart the job runs again, reusing the OCR of the
pages it had already read (processing/ocr_checkpoint.py).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import insert, update
from sqlmodel import col, delete, select

from db import Database
from models.common import utcnow
from models.job import FINISHED, Job, JobStatus
from models.lecture import Lecture, LectureChunk, LecturePage, LectureStatus, PageSource
from processing import ocr
from processing.chunking import Chunk, chunk_pages
from processing.embeddings import Embedder
from processing.extract import UnsupportedFile, filetypes, images, pdf, pptx, text
from processing.extract.quality import is_real_text
from processing.jobs import JobCancelled, JobContext, JobError, JobInterrupted
from processing.ocr_checkpoint import OcrCheckpoint
from processing.storage import Storage

log = logging.getLogger("lectern.ingest")

VIEWER_DPI = 150
EMBED_BATCH = 64
MIN_PICTURE_SIDE = 64  # slide pictures smaller than this hold no readable text
LIBREOFFICE_TIMEOUT = 180
SHORT_LAYER_CHARS = 300  # a real text layer shorter than this over a page-sized image is probably a caption
SCAN_COVERAGE = 0.5
MIN_NEW_WORDS = 5
WORD = re.compile(r"\w+")


@dataclass
class PageDraft:
    number: int
    text: str
    source: PageSource
    ocr_confidence: float | None = None
    has_image: bool = False
    ocr_resumed: bool = False  # its OCR came from the checkpoint of an interrupted run


def find_libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@dataclass(frozen=True)
class IngestOptions:
    ocr_langs: str = "eng"
    workers: int = 2
    libreoffice: str | None = field(default_factory=find_libreoffice)  # None: slides get text renderings
    on_chunks_changed: Callable[[int], None] = lambda owner_id: None  # e.g. drop a search cache


class Ingest:
    """The handler for jobs of kind "ingest" (params: {"lecture_id": N})."""

    def __init__(self, *, database: Database, storage: Storage, embedder: Embedder, options: IngestOptions) -> None:
        self.db, self.storage, self.embedder, self.options = database, storage, embedder, options

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        lecture_id = int(ctx.params["lecture_id"])
        staged = self.storage.temp_dir(prefix=f"pages-{lecture_id}-")
        interrupted = False
        try:
            lecture = self._start(ctx, lecture_id)
            return self._run(ctx, lecture, staged)
        except Exception as error:
            interrupted = isinstance(error, JobInterrupted)
            settled = self._settle(ctx, lecture_id, error)
            if settled is error:
                raise
            raise settled from error
        finally:
            shutil.rmtree(staged, ignore_errors=True)
            if not interrupted:  # an interrupted run resumes with the pages it has read
                shutil.rmtree(self.storage.ocr_checkpoint_dir(lecture_id), ignore_errors=True)

    def _settle(self, ctx: JobContext, lecture_id: int, error: Exception) -> Exception:
        """Records the outcome on the lecture; returns the exception that tells the runner."""
        if isinstance(error, JobInterrupted):
            self._set_status(lecture_id, LectureStatus.queued, None)
            return error
        if isinstance(error, JobCancelled) or ctx.cancel_requested:
            # A lecture deleted mid-run can fail in any way (its file is gone): that is a cancel.
            self._set_status(lecture_id, LectureStatus.cancelled, "Processing was cancelled")
            return error if isinstance(error, JobCancelled) else JobCancelled()
        if isinstance(error, UnsupportedFile):
            message = error.detail
        elif isinstance(error, JobError | ocr.OcrError):
            message = str(error)
        else:
            self._set_status(lecture_id, LectureStatus.failed, "Something went wrong while reading this lecture")
            return error
        self._set_status(lecture_id, LectureStatus.failed, message)
        return error if isinstance(error, JobError) else JobError(message)

    # --- bookkeeping ------------------------------------------------------------------------------

    def _start(self, ctx: JobContext, lecture_id: int) -> Lecture:
        with self.db.transaction() as session:
            lecture = session.get(Lecture, lecture_id)
            if lecture is None or lecture.owner_id != ctx.owner_id:
                raise JobError("This lecture has been deleted")
            lecture.status, lecture.error, lecture.updated_at = LectureStatus.processing, None, utcnow()
        return lecture

    def _set_status(self, lecture_id: int, status: LectureStatus, error: str | None) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(Lecture)
                .where(col(Lecture.id) == lecture_id)
                .values(status=status, error=error, updated_at=utcnow())
            )

    # --- the pipeline -----------------------------------------------------------------------------

    def _run(self, ctx: JobContext, lecture: Lecture, staged: Path) -> dict[str, Any]:
        started = time.monotonic()
        original = self.storage.original(lecture.id)
        if original is None:
            raise JobError("The uploaded file is missing from the data directory; upload it again")
        kind = filetypes.FileKind(lecture.file_kind)
        checkpoint = OcrCheckpoint(
            self.storage.ocr_checkpoint_dir(lecture.id),
            key=f"{lecture.sha256}:{self.options.ocr_langs}:{ocr.DEFAULT_DPI}",
        )
        drawn_by = None  # what drew the page images
        if kind == filetypes.FileKind.pdf:
            pages, drawn_by = self._read_pdf(ctx, original, staged, checkpoint), "pdf"
        elif kind == filetypes.FileKind.pptx:
            pages, drawn_by = self._read_pptx(ctx, original, staged)
        elif kind.is_image:
            pages, drawn_by = self._read_images(ctx, original, staged, checkpoint), "image"
        else:
            pages = [PageDraft(n, t, PageSource.text) for n, t in enumerate(text.text_pages(original), start=1)]
        ctx.progress(step="chunking", current=0, total=len(pages), message="Splitting the text into passages")
        chunks = chunk_pages([(p.number, p.text) for p in pages])
        vectors = self._embed(ctx, [c.text for c in chunks])
        ctx.progress(step="saving", current=0, total=1, message="Saving")
        self._save(ctx, lecture, pages, chunks, vectors, staged)
        ocr_pages = [p for p in pages if p.source == PageSource.ocr]
        return {
            "lecture_id": lecture.id,
            "pages": len(pages),
            "ocr_pages": len(ocr_pages),
            "ocr_pages_resumed": sum(p.ocr_resumed for p in pages),
            "low_confidence_pages": [p.number for p in ocr_pages if (p.ocr_confidence or 0) < 60],
            "empty_pages": [p.number for p in pages if not p.text.strip()],
            "chunks": len(chunks),
            "embedded": vectors is not None,
            "page_images": drawn_by,
            "seconds": round(time.monotonic() - started, 2),
        }

    def _read_pdf(self, ctx: JobContext, path: Path, staged: Path, checkpoint: OcrCheckpoint) -> list[PageDraft]:
        total = pdf.page_count(path)
        pages: list[PageDraft] = []
        for layer in pdf.text_layer(path):
            pages.append(PageDraft(layer.number, layer.text, PageSource.text))
            ctx.progress(step="reading", current=layer.number, total=total, message="Reading the text layer")
        needing_ocr = [p.number for p in pages if not is_real_text(p.text) or self._scan_with_a_caption(path, p)]
        if needing_ocr:
            self._ocr_pdf(ctx, path, pages, needing_ocr, checkpoint)
        self._images(ctx, staged, pages, lambda number: pdf.render_page(path, number, dpi=VIEWER_DPI))
        return pages

    def _ocr_pdf(
        self, ctx: JobContext, path: Path, pages: list[PageDraft], numbers: list[int], checkpoint: OcrCheckpoint
    ) -> None:
        saved = {n: result for n in numbers if (result := checkpoint.get(n)) is not None}

        def progress(done: int, total: int) -> None:
            done, total = done + len(saved), total + len(saved)
            message = f"Recognising text (OCR), page {done} of {total}"
            ctx.progress(step="ocr", current=done, total=total, message=message)

        ctx.progress(step="ocr", current=len(saved), total=len(numbers), message="Recognising text (OCR)")
        todo = [n for n in numbers if n not in saved]
        read = ocr.ocr_pdf_pages(
            path, todo, langs=self.options.ocr_langs, workers=self.options.workers, progress=progress
        )
        for number in saved:
            pages[number - 1].ocr_resumed = True
        for number, result in [*saved.items(), *self._checkpointed(read, checkpoint)]:
            page = pages[number - 1]
            if is_real_text(page.text):  # a scan under a short real layer: keep both, the layer first
                extra = _new_words(result.text, page.text)
                if len(extra) >= MIN_NEW_WORDS:
                    page.text = f"{page.text.strip()}\n\n{result.text.strip()}"
                    page.source, page.ocr_confidence = PageSource.ocr, result.mean_confidence
            # otherwise OCR wins unless it found nothing where the layer had something (symbols, say)
            elif result.text.strip() or not page.text.strip():
                page.text, page.source, page.ocr_confidence = result.text, PageSource.ocr, result.mean_confidence

    @staticmethod
    def _checkpointed(
        results: Iterable[tuple[int, ocr.OcrResult]], checkpoint: OcrCheckpoint
    ) -> Iterator[tuple[int, ocr.OcrResult]]:
        for number, result in results:
            checkpoint.put(number, result)
            yield number, result

    @staticmethod
    def _scan_with_a_caption(path: Path, page: PageDraft) -> bool:
        """A page whose real text layer is short (a header, a page stamp) over an image that covers
        most of it: a scan with a caption, whose body only OCR can read."""
        return len(page.text.strip()) < SHORT_LAYER_CHARS and pdf.image_coverage(path, page.number) >= SCAN_COVERAGE

    def _read_pptx(self, ctx: JobContext, path: Path, staged: Path) -> tuple[list[PageDraft], str]:
        ctx.progress(step="reading", current=0, total=0, message="Reading the slides")
        slides = pptx.slides(path)
        pages: list[PageDraft] = []
        for slide in slides:
            ctx.progress(step="reading", current=slide.number, total=len(slides), message="Reading the slides")
            parts = [pptx.slide_text(slide), *self._picture_texts(slide)]
            pages.append(PageDraft(slide.number, "\n\n".join(p for p in parts if p.strip()), PageSource.slide))
        work = self.storage.temp_dir(prefix="slides-")  # LibreOffice's output and profile, never the pages
        try:
            rendered = self._libreoffice_pdf(ctx, path, work)
            if rendered is not None and pdf.page_count(rendered) == len(slides):
                self._images(ctx, staged, pages, lambda number: pdf.render_page(rendered, number, dpi=VIEWER_DPI))
                return pages, "libreoffice"
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self._images(ctx, staged, pages, lambda number: pptx.render_slide_text_image(slides[number - 1]))
        return pages, "slide-text"

    def _picture_texts(self, slide: pptx.SlideContent) -> Iterator[str]:
        """OCR of the slide's pictures, kept only when it reads as real text (not a photo's noise)."""
        for picture in slide.pictures:
            try:
                image = images.load_image_bytes(picture.blob)
            except UnsupportedFile:
                continue
            if min(image.size) < MIN_PICTURE_SIDE:
                continue
            result = ocr.ocr_image(image, langs=self.options.ocr_langs)
            if result.mean_confidence >= 50 and is_real_text(result.text):
                yield result.text

    def _libreoffice_pdf(self, ctx: JobContext, path: Path, work: Path) -> Path | None:
        """The slides as LibreOffice draws them (converted to PDF in `work`), or None without LibreOffice."""
        soffice = self.options.libreoffice
        if soffice is None:
            return None
        ctx.progress(step="images", current=0, total=0, message="Drawing the slides (LibreOffice)")
        out = work / "pdf"
        command = [soffice, f"-env:UserInstallation=file://{work / 'profile'}", "--headless", "--convert-to", "pdf"]
        try:
            subprocess.run(
                [*command, "--outdir", str(out), str(path)],
                check=True,
                capture_output=True,
                timeout=LIBREOFFICE_TIMEOUT,
            )
        except (subprocess.SubprocessError, OSError) as error:
            log.warning("LibreOffice could not convert the slides; using text renderings", extra={"error": str(error)})
            return None
        return next(iter(out.glob("*.pdf")), None)

    def _read_images(self, ctx: JobContext, path: Path, staged: Path, checkpoint: OcrCheckpoint) -> list[PageDraft]:
        ctx.progress(step="reading", current=0, total=0, message="Opening the image")
        frames = images.load_image_pages(path)
        pages = [PageDraft(n, "", PageSource.ocr) for n in range(1, len(frames) + 1)]
        ctx.progress(step="ocr", current=0, total=len(frames), message="Recognising text (OCR)")

        def read(page: PageDraft) -> ocr.OcrResult:
            result = checkpoint.get(page.number)
            page.ocr_resumed = result is not None
            if result is None:
                result = ocr.ocr_image(frames[page.number - 1], langs=self.options.ocr_langs)
                checkpoint.put(page.number, result)
            return result

        for done, (page, result) in enumerate(zip(pages, self._parallel(read, pages), strict=True), start=1):
            page.text, page.ocr_confidence = result.text, result.mean_confidence
            ctx.progress(step="ocr", current=done, total=len(frames), message=f"Recognising text (OCR), page {done}")
        self._images(ctx, staged, pages, lambda number: frames[number - 1])
        return pages

    def _images(
        self, ctx: JobContext, staged: Path, pages: list[PageDraft], image_of: Callable[[int], Image.Image]
    ) -> None:
        """Viewer image and thumbnail of every page, two pages at a time (Pillow encodes without the GIL)."""

        def make(page: PageDraft) -> None:
            image = image_of(page.number)
            (staged / f"{page.number}.webp").write_bytes(images.viewer_image(image))
            (staged / f"{page.number}.thumb.webp").write_bytes(images.thumbnail(image))
            page.has_image = True

        total = len(pages)
        ctx.progress(step="images", current=0, total=total, message="Drawing page images")
        for done, _ in enumerate(self._parallel(make, pages), start=1):
            ctx.progress(step="images", current=done, total=total, message="Drawing page images")

    def _parallel(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """fn over items on a small pool of its own (never the job executor), results in order."""
        with ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="lectern-ingest") as pool:
            futures = [pool.submit(fn, item) for item in items]
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()

    def _embed(self, ctx: JobContext, texts: list[str]) -> np.ndarray | None:
        """Unit vectors for the chunks; None (keyword search only) if the model cannot be loaded."""
        total = len(texts)
        message = "Preparing meaning search"
        if not self.embedder.ready:
            message = "Loading the search model (prepared once on a new install: about a minute)"
        ctx.progress(step="embedding", current=0, total=total, message=message)
        try:
            self.embedder.load()
        except Exception:
            log.exception("the embedding model could not be loaded; this lecture gets keyword search only")
            return None
        vectors = np.zeros((total, 384), dtype=np.float32)
        for start in range(0, total, EMBED_BATCH):
            vectors[start : start + EMBED_BATCH] = self.embedder.encode(texts[start : start + EMBED_BATCH])
            done = min(total, start + EMBED_BATCH)
            ctx.progress(step="embedding", current=done, total=total, message="Preparing meaning search")
        return vectors

    def _save(
        self,
        ctx: JobContext,
        lecture: Lecture,
        pages: list[PageDraft],
        chunks: list[Chunk],
        vectors: np.ndarray | None,
        staged: Path,
    ) -> None:
        page_rows = [
            dict(
                lecture_id=lecture.id,
                number=p.number,
                text=p.text,
                source=p.source.value,
                ocr_confidence=p.ocr_confidence,
                has_image=p.has_image,
            )
            for p in pages
        ]
        chunk_rows = [
            dict(
                owner_id=lecture.owner_id,
                lecture_id=lecture.id,
                page=c.page,
                position=c.index,
                text=c.text,
                char_start=c.char_start,
                char_end=c.char_end,
                embedding=None if vectors is None else vectors[i].astype("<f4").tobytes(),
            )
            for i, c in enumerate(chunks)
        ]
        with self.db.transaction() as session:
            current = session.get(Lecture, lecture.id)
            job = session.get(Job, ctx.job_id)
            if current is None:
                raise JobError("This lecture has been deleted")
            if job is None or job.cancel_requested or job.status in FINISHED:
                raise JobCancelled()
            ctx.check_cancelled()
            session.exec(delete(LectureChunk).where(col(LectureChunk.lecture_id) == lecture.id))
            session.exec(delete(LecturePage).where(col(LecturePage.lecture_id) == lecture.id))
            if page_rows:
                session.execute(insert(LecturePage), page_rows)
            if chunk_rows:
                session.execute(insert(LectureChunk), chunk_rows)
            current.status, current.error, current.updated_at = LectureStatus.ready, None, utcnow()
            current.page_count = len(pages)
            current.ocr_page_count = sum(p.source == PageSource.ocr for p in pages)
            self.storage.replace_pages(lecture.id, staged)
            staged.mkdir()  # the caller removes its (now empty) staging directory
        self.options.on_chunks_changed(lecture.owner_id)


def _new_words(text: str, known: str) -> list[str]:
    seen = {w.lower() for w in WORD.findall(known)}
    return [w for w in WORD.findall(text) if w.lower() not in seen]


def reconcile_lectures(database: Database) -> int:
    """At start-up, after the job runner has requeued or given up interrupted jobs: a lecture still
    marked queued/processing whose job has finished (or is gone) takes that job's outcome."""
    fixed = 0
    with database.transaction() as session:
        rows = session.exec(
            select(Lecture, Job)
            .join(Job, col(Lecture.job_id) == col(Job.id), isouter=True)
            .where(col(Lecture.status).in_([LectureStatus.queued, LectureStatus.processing]))
        ).all()
        for lecture, job in rows:
            if job is not None and job.status not in FINISHED:
                continue
            if job is not None and job.status == JobStatus.cancelled:
                lecture.status, lecture.error = LectureStatus.cancelled, "Processing was cancelled"
            else:
                lecture.status = LectureStatus.failed
                lecture.error = (job.error if job is not None else None) or "Processing stopped; re-process the lecture"
            lecture.updated_at = utcnow()
            fixed += 1
    return fixed
