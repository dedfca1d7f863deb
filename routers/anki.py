"""Anki packages: a deck exported to .apkg, an .apkg imported as decks (both as jobs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from models.interchange import ApkgExportRequest
from models.job import JobPublic
from processing.interchange import anki_jobs
from routers.deps import CurrentUser, DatabaseDep, JobRunnerDep, SessionDep, SettingsDep, StorageDep
from routers.uploads import multipart_body, receive_file

router = APIRouter(tags=["anki"])


@router.post("/api/decks/{deck_id}/export/apkg", status_code=status.HTTP_202_ACCEPTED)
def export_apkg(
    deck_id: int, data: ApkgExportRequest, session: SessionDep, user: CurrentUser, runner: JobRunnerDep
) -> JobPublic:
    """Starts an "apkg_export" job; its result names the file (GET /api/files/{file_id}/download).
    404 deck (or a note_id not in it), 409 the deck has no cards."""
    job = anki_jobs.start_export(session, runner=runner, user=user, deck_id=deck_id, request=data)
    return JobPublic.of(job)


@router.post(
    "/api/decks/import/apkg",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=multipart_body(),
)
async def import_apkg(
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    database: DatabaseDep,
    storage: StorageDep,
    runner: JobRunnerDep,
    deck_name: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
) -> JobPublic:
    """Uploads an Anki package (multipart part "file") and starts an "apkg_import" job: one deck per
    Anki deck, or all notes into `deck_name`. 400 empty/missing file, 413 too large, 415 not a zip,
    422 no collection in it, newest-format package or unsafe media names."""
    received = await receive_file(request, settings=settings, storage=storage, suffix=".apkg")
    job = await run_in_threadpool(
        anki_jobs.accept_import,
        database=database,
        storage=storage,
        runner=runner,
        owner_id=user.id,
        received=received,
        deck_name=" ".join(deck_name.split()) or None if deck_name else None,
    )
    return JobPublic.of(job)
