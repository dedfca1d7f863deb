"""Anki export and import as jobs: starting them (ownership and input checked here) and their handlers.

    apkg_export  params: deck_id, note_ids (or null: all), include_source_images
                 steps:  writing → saving; result: deck_id, file_id, notes, cards, media (files packaged:
                         card media and page images), images_missing
    apkg_import  params: upload (the stored package), filename, deck_name (or null: Anki's deck names)
                 steps:  reading → converting (every 500 notes) → saving (one transaction);
                 result: decks [{id, name, notes}], notes, cards, reviews, suspended, skipped,
                         skipped_reasons, media_imported, media_missing, media_refused,
                         media_reasons, history_dropped

An uploaded package waits under data/imports/<owner id>/ (not tmp/, which start-up sweeps) until its
job has run, so a job resumed after a restart still finds it.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from db import Database
from models.common import utcnow
from models.deck import Deck
from models.generated import GeneratedKind
from models.interchange import ApkgExportRequest
from models.job import Job
from models.lecture import Lecture
from models.media import Media
from models.note import Note
from models.user import User
from processing.decks import get_owned_deck
from processing.errors import Conflict, DomainError, NotFound, TooLarge
from processing.generated import download_name, save_generated
from processing.interchange.anki_export import (
    CardMedia,
    ExportedNote,
    SourcePage,
    card_media_name,
    note_guid,
    stable_id,
    write_package,
)
from processing.interchange.anki_import import package_media, plan_import, write_import
from processing.interchange.anki_package import check_package, read_collection
from processing.jobs import JobContext, JobError, JobInterrupted, JobRunner
from processing.media.library import media_file, remove_files
from processing.media.links import referenced_ids
from processing.media.sniff import BY_MIME
from processing.srs import scheduler_for
from processing.storage import Storage
from processing.uploads import ReceivedFile

APKG_EXPORT = "apkg_export"
APKG_IMPORT = "apkg_import"
APKG_MEDIA_TYPE = "application/apkg"
EMPTY_DECK = "This deck has no cards to export"


# --- starting ---------------------------------------------------------------------------------------


def start_export(session: Session, *, runner: JobRunner, user: User, deck_id: int, request: ApkgExportRequest) -> Job:
    deck = get_owned_deck(session, user=user, deck_id=deck_id)
    in_deck = select(func.count()).select_from(Note).where(Note.deck_id == deck.id, Note.owner_id == user.id)
    note_ids = sorted(set(request.note_ids)) if request.note_ids else None
    if note_ids is not None:
        found = session.exec(in_deck.where(col(Note.id).in_(note_ids))).one()
        if found != len(note_ids):
            raise NotFound("Some of these cards do not exist or are not in this deck")
    elif session.exec(in_deck).one() == 0:
        raise Conflict(EMPTY_DECK)
    params = {"deck_id": deck.id, "note_ids": note_ids, "include_source_images": request.include_source_images}
    job = runner.enqueue(session, owner_id=user.id, kind=APKG_EXPORT, params=params)
    session.commit()
    runner.dispatch(job)
    return job


def imports_dir(storage: Storage, owner_id: int) -> Path:
    return storage.root / "imports" / str(owner_id)


def accept_import(
    *,
    database: Database,
    storage: Storage,
    runner: JobRunner,
    owner_id: int,
    received: ReceivedFile,
    deck_name: str | None,
) -> Job:
    """Checks the received file is an Anki package and queues its import; the file is removed on refusal."""
    upload = f"{secrets.token_hex(12)}.apkg"
    target = imports_dir(storage, owner_id) / upload
    try:
        check_package(received.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        received.path.replace(target)
        params = {"upload": upload, "filename": received.filename, "deck_name": deck_name}
        with database.transaction() as session:
            job = runner.enqueue(session, owner_id=owner_id, kind=APKG_IMPORT, params=params)
    except BaseException:
        received.path.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    runner.dispatch(job)
    return job


# --- handlers ---------------------------------------------------------------------------------------


class AnkiExport:
    """Handler for "apkg_export" jobs."""

    def __init__(self, *, database: Database, storage: Storage) -> None:
        self.db, self.storage = database, storage

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        params = ctx.params
        deck, owner, notes, titles = self._load(ctx.owner_id, int(params["deck_id"]), params.get("note_ids"))
        card_media = self._card_media(ctx.owner_id, notes)
        exported, missing = self._sources(notes, titles, images=bool(params.get("include_source_images", True)))
        target = self.storage.temp_file(suffix=".apkg")
        try:
            counts = write_package(
                target=target,
                deck_name=deck.name,
                deck_id=stable_id("lectern-deck", owner.id, owner.created_at.isoformat(), deck.id),
                notes=exported,
                guid=lambda n: note_guid(owner_id=owner.id, owner_created=owner.created_at, note_id=n.id),
                timestamp=time.time(),
                progress=lambda done, total: ctx.progress(
                    step="writing", current=done, total=total, message=f"Writing notes ({done:,} of {total:,})"
                ),
                card_media=card_media,
            )
            ctx.progress(step="saving", current=0, total=1, message="Saving the package")
            with self.db.session(write=True) as session:
                row = save_generated(
                    session,
                    storage=self.storage,
                    owner_id=ctx.owner_id,
                    kind=GeneratedKind.apkg,
                    title=f"{deck.name} (Anki package)",
                    filename=download_name(deck.name, "apkg", fallback="deck"),
                    media_type=APKG_MEDIA_TYPE,
                    source=target,
                    job_id=ctx.job_id,
                )
        finally:
            target.unlink(missing_ok=True)
        return {"deck_id": deck.id, "file_id": row.id, **counts, "images_missing": missing}

    def _load(
        self, owner_id: int, deck_id: int, note_ids: list[int] | None
    ) -> tuple[Deck, User, list[Note], dict[int, str]]:
        """The deck, its owner, the notes to export and the titles of the lectures they cite."""
        with self.db.session() as session:
            deck = session.get(Deck, deck_id)
            if deck is None or deck.owner_id != owner_id:
                raise JobError("This deck has been deleted")
            query = select(Note).where(Note.deck_id == deck.id, Note.owner_id == owner_id)
            if note_ids:
                query = query.where(col(Note.id).in_(note_ids))
            notes = list(session.exec(query.order_by(col(Note.id))))
            owner = session.get(User, owner_id)
            lecture_ids = {n.source_lecture_id for n in notes if n.source_lecture_id is not None}
            titles = dict(
                session.exec(
                    select(Lecture.id, Lecture.title).where(
                        col(Lecture.id).in_(lecture_ids), Lecture.owner_id == owner_id
                    )
                ).all()
            )
        if not notes:
            raise JobError(EMPTY_DECK if not note_ids else "The chosen cards are no longer in this deck")
        return deck, owner, notes, titles

    def _card_media(self, owner_id: int, notes: list[Note]) -> dict[int, CardMedia]:
        """The owner's media files the notes show (ids from their text; others are not packaged)."""
        ids = referenced_ids(*(text for n in notes for text in (n.front, n.back)))
        if not ids:
            return {}
        with self.db.session() as session:
            rows = session.exec(select(Media).where(Media.owner_id == owner_id, col(Media.id).in_(ids))).all()
        out = {}
        for media in rows:
            path = media_file(self.storage, media)
            if path.is_file():
                out[media.id] = CardMedia(card_media_name(media.sha256, BY_MIME[media.mime].extension), path)
        return out

    def _sources(self, notes: list[Note], titles: dict[int, str], *, images: bool) -> tuple[list[ExportedNote], int]:
        out, missing = [], 0
        for note in notes:
            source = None
            title = titles.get(note.source_lecture_id)
            if title is not None and note.source_page is not None:
                image = self.storage.page_image(note.source_lecture_id, note.source_page) if images else None
                if image is not None and not image.is_file():
                    image, missing = None, missing + 1
                source = SourcePage(note.source_lecture_id, title, note.source_page, image)
            out.append(ExportedNote(note, source))
        return out, missing


class AnkiImport:
    """Handler for "apkg_import" jobs. `quota_bytes` reads the per-user media quota when a job runs."""

    def __init__(
        self, *, database: Database, storage: Storage, quota_bytes: Callable[[], int] = lambda: 1024**3
    ) -> None:
        self.db, self.storage, self.quota_bytes = database, storage, quota_bytes

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        params = ctx.params
        path = imports_dir(self.storage, ctx.owner_id) / Path(str(params["upload"])).name
        if not path.is_file():
            raise JobError("The uploaded package is no longer on the server; upload it again")
        work = self.storage.temp_dir(prefix="apkg-")
        keep_upload = False
        try:
            return self._import(ctx, path, work, params)
        except JobInterrupted:
            keep_upload = True  # the job resumes at the next start and reads it again
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if not keep_upload:
                path.unlink(missing_ok=True)

    def _import(self, ctx: JobContext, path: Path, work: Path, params: dict) -> dict[str, Any]:
        ctx.progress(step="reading", current=0, total=0, message="Opening the package")
        try:
            collection = read_collection(path, work_dir=work)
        except DomainError as exc:
            raise JobError(exc.detail) from exc
        with self.db.session() as session:
            owner = session.get(User, ctx.owner_id)
            if owner is None:
                raise JobError("This account has been deleted")
            scheduler = scheduler_for(owner, fuzz=False)  # a replayed history comes out the same every time
        ctx.progress(step="reading", current=0, total=0, message="Checking the package's media files")
        media = package_media(path, collection)
        created = utcnow()
        plan = plan_import(
            collection,
            scheduler=scheduler,
            deck_name=params.get("deck_name") or None,
            created=created,
            progress=lambda done, total: ctx.progress(
                step="converting", current=done, total=total, message=f"Converting notes ({done:,} of {total:,})"
            ),
            media=media,
        )
        if not plan.notes:
            why = f" ({'; '.join(plan.reasons)})" if plan.reasons else ""
            raise JobError(f"This package has no notes Lectern can import{why}")
        ctx.progress(step="saving", current=0, total=1, message=f"Saving {len(plan.notes):,} notes")
        source = f"the Anki package {params.get('filename') or 'upload'}"
        # One transaction: a failure leaves no deck. No progress is reported inside it (a progress
        # write would wait for this transaction's write lock).
        written: list[Path] = []
        try:
            with self.db.transaction() as session:
                decks = write_import(
                    session,
                    plan=plan,
                    owner_id=ctx.owner_id,
                    source=source,
                    storage=self.storage,
                    quota_bytes=self.quota_bytes(),
                    written=written,
                )
        except TooLarge as exc:  # the media does not fit the quota: nothing was imported
            remove_files(written)
            raise JobError(f"{exc.detail}; nothing was imported") from exc
        except BaseException:
            remove_files(written)
            raise
        return {
            "decks": decks,
            "notes": len(plan.notes),
            "cards": sum(len(n.cards) for n in plan.notes),
            "reviews": sum(len(s.logs) for n in plan.notes for s in n.states),
            "suspended": sum(sum(n.suspended) for n in plan.notes),
            "skipped": plan.skipped,
            "skipped_reasons": plan.reasons,
            "media_imported": len(plan.media.usable),
            "media_missing": len(plan.media.missing),
            "media_refused": len(plan.media.refused),
            "media_reasons": (plan.media.refused + [f"{name}: not in the package" for name in plan.media.missing])[:5],
            "history_dropped": plan.history_dropped,
        }
