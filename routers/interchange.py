"""CSV/TSV import and export of decks, the whole-account export and import, the admin's backup."""

from __future__ import annotations

import json
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from models.interchange_csv import CsvImported, CsvMapping, CsvPreview
from models.job import JobPublic
from processing.errors import BadRequest, Invalid
from processing.interchange import csv_io
from processing.interchange import jobs as interchange_jobs
from processing.uploads import ReceivedFile
from routers.deps import (
    AdminUser,
    CurrentUser,
    DatabaseDep,
    JobRunnerDep,
    SessionDep,
    SettingsDep,
    StorageDep,
)
from routers.uploads import multipart_body, receive_file

router = APIRouter(tags=["interchange"])


def _read_and_remove(received: ReceivedFile) -> bytes:
    try:
        return received.path.read_bytes()
    finally:
        received.path.unlink(missing_ok=True)


# --- CSV / TSV ---------------------------------------------------------------------------------------


@router.post("/api/import/csv/preview", openapi_extra=multipart_body())
async def preview_csv(request: Request, user: CurrentUser, settings: SettingsDep, storage: StorageDep) -> CsvPreview:
    """The detected delimiter and header, the columns and the first 10 rows of an uploaded CSV/TSV
    (nothing is stored). 400: not UTF-8 (names the byte and line), empty, unreadable."""
    received = await receive_file(request, settings=settings, storage=storage)
    data = await run_in_threadpool(_read_and_remove, received)
    return await run_in_threadpool(csv_io.preview, data, name=received.filename)


@router.post("/api/import/csv", openapi_extra=multipart_body("deck_id", "mapping", "has_header"))
async def import_csv(
    request: Request, user: CurrentUser, settings: SettingsDep, storage: StorageDep, database: DatabaseDep
) -> CsvImported:
    """Every row becomes a note in the deck, all or nothing. Form fields: deck_id, mapping (JSON
    `{front, back?, tags?, kind?, kind_column?}`, 0-based column numbers), has_header (true/false).
    400 ragged rows / encoding, 404 deck, 422 a bad mapping or rows that make no card (line numbers)."""
    received = await receive_file(request, settings=settings, storage=storage)
    data = await run_in_threadpool(_read_and_remove, received)
    deck_id, mapping, has_header = _import_fields(received.fields)
    return await run_in_threadpool(
        csv_io.import_csv,
        database=database,
        user=user,
        deck_id=deck_id,
        data=data,
        mapping=mapping,
        has_header=has_header,
        name=received.filename,
    )


def _import_fields(fields: dict[str, str]) -> tuple[int, CsvMapping, bool]:
    raw_deck = fields.get("deck_id", "").strip()
    if not raw_deck.isdigit():
        raise Invalid("deck_id: choose the deck to import into")
    try:
        mapping = CsvMapping.model_validate(json.loads(fields.get("mapping") or "null"))
    except json.JSONDecodeError:
        raise Invalid("mapping: not valid JSON") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise Invalid(f"mapping{'.' + where if where else ''}: {err['msg'].removeprefix('Value error, ')}") from None
    header = fields.get("has_header", "false").strip().lower()
    if header not in ("true", "false", "1", "0", "yes", "no", "on", "off", ""):
        raise BadRequest("has_header: say true or false")
    return int(raw_deck), mapping, header in ("true", "1", "yes", "on")


@router.get("/api/decks/{deck_id}/export.csv")
def export_csv(
    deck_id: int,
    session: SessionDep,
    user: CurrentUser,
    delimiter: Annotated[Literal["comma", "tab"], Query()] = "comma",
) -> Response:
    """The deck's notes as CSV (or TSV with delimiter=tab), UTF-8, with a header row: front, back,
    kind, tags, source. 404 deck, 409 an empty deck."""
    filename, text = csv_io.export_deck(
        session, user=user, deck_id=deck_id, delimiter="\t" if delimiter == "tab" else ","
    )
    media = "text/tab-separated-values" if delimiter == "tab" else "text/csv"
    return Response(
        text.encode("utf-8"),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": _attachment(filename)},
    )


def _attachment(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# --- whole account -----------------------------------------------------------------------------------


@router.post("/api/account/export", status_code=status.HTTP_202_ACCEPTED)
def export_account(session: SessionDep, user: CurrentUser, runner: JobRunnerDep) -> JobPublic:
    """Starts an account_export job; its result names the zip (GET /api/files/{file_id}/download).
    409 while one is being made."""
    return JobPublic.of(interchange_jobs.start_account_export(session, runner=runner, user=user))


@router.post("/api/account/import", status_code=status.HTTP_202_ACCEPTED, openapi_extra=multipart_body())
async def import_account(
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    storage: StorageDep,
    database: DatabaseDep,
    runner: JobRunnerDep,
) -> JobPublic:
    """Starts an account_import job for an export zip (multipart part "file"). 400 not a zip, not an
    account export, unknown format version, unsafe names; 409 this account has decks or lectures."""
    received = await receive_file(request, settings=settings, storage=storage)
    job = await run_in_threadpool(
        interchange_jobs.start_account_import,
        database=database,
        storage=storage,
        runner=runner,
        user=user,
        received=received,
    )
    return JobPublic.of(job)


# --- the instance --------------------------------------------------------------------------------------


@router.post("/api/admin/backup", status_code=status.HTTP_202_ACCEPTED)
def backup(session: SessionDep, admin: AdminUser, runner: JobRunnerDep) -> JobPublic:
    """Starts a backup job (admin only, else 403); its result names the .tar.gz and the restore
    command. 409 while one is being made."""
    return JobPublic.of(interchange_jobs.start_backup(session, runner=runner, admin=admin))
