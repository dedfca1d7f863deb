"""Jobs that move whole accounts and the instance: account_export, account_import and backup — their
handlers (registered in main.py's lifespan through `register`) and the functions that start them.

An uploaded account export waits for its job under <data dir>/imports/ (not tmp/, which is swept at
start-up, because a job outlives a restart); it is removed once the job has finished either way, and
`sweep_imports` removes at start-up what no unfinished job still needs (a job cancelled while queued).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from db import Database
from models.common import utcnow
from models.generated import GeneratedKind
from models.job import UNFINISHED, Job
from models.user import User
from processing.errors import Conflict, DomainError
from processing.generated import download_name, save_generated
from processing.interchange.account_export import write_account_zip
from processing.interchange.account_import import check_empty_account, import_account, open_account_archive
from processing.interchange.backup import make_backup
from processing.jobs import JobContext, JobError, JobInterrupted, JobRunner
from processing.storage import Storage
from processing.uploads import ReceivedFile

ACCOUNT_EXPORT = "account_export"
ACCOUNT_IMPORT = "account_import"
BACKUP = "backup"
RESTORE_COMMAND = "python main.py restore {filename} --data-dir <an empty folder>"


def imports_dir(storage: Storage) -> Path:
    path = storage.root / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _refuse_second(session: Session, *, owner_id: int | None, kind: str, message: str) -> None:
    query = select(Job.id).where(Job.kind == kind, col(Job.status).in_(UNFINISHED))
    if owner_id is not None:
        query = query.where(Job.owner_id == owner_id)
    if session.exec(query.limit(1)).first() is not None:
        raise Conflict(message)


def sweep_imports(database: Database, storage: Storage) -> int:
    """Deletes uploads under imports/ that no queued or running import job refers to; returns how many."""
    with database.session() as session:
        waiting = session.exec(select(Job.params).where(col(Job.status).in_(UNFINISHED))).all()
    needed = {str(json.loads(params or "{}").get("upload")) for params in waiting}
    removed = 0
    for path in storage.root.joinpath("imports").rglob("*"):
        if path.is_file() and path.name not in needed:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- starting ----------------------------------------------------------------------------------------


def start_account_export(session: Session, *, runner: JobRunner, user: User) -> Job:
    _refuse_second(session, owner_id=user.id, kind=ACCOUNT_EXPORT, message="Your account export is being made")
    job = runner.enqueue(session, owner_id=user.id, kind=ACCOUNT_EXPORT)
    session.commit()
    runner.dispatch(job)
    return job


def start_account_import(
    *, database: Database, storage: Storage, runner: JobRunner, user: User, received: ReceivedFile
) -> Job:
    """Checks what can be checked at once (a zip, an account export of a known version, an empty
    account), then keeps the upload for the job. The temp file is always consumed."""
    try:
        open_account_archive(received.path).zip.close()
        with database.transaction() as session:
            check_empty_account(session, owner_id=user.id)
            _refuse_second(session, owner_id=user.id, kind=ACCOUNT_IMPORT, message="An import is already running")
            name = f"{user.id}-{uuid.uuid4().hex}.zip"
            job = runner.enqueue(
                session, owner_id=user.id, kind=ACCOUNT_IMPORT, params={"upload": name, "filename": received.filename}
            )
            received.path.replace(imports_dir(storage) / name)
    except BaseException:
        received.path.unlink(missing_ok=True)
        raise
    runner.dispatch(job)
    return job


def start_backup(session: Session, *, runner: JobRunner, admin: User) -> Job:
    _refuse_second(session, owner_id=None, kind=BACKUP, message="A backup is being made already")
    job = runner.enqueue(session, owner_id=admin.id, kind=BACKUP)
    session.commit()
    runner.dispatch(job)
    return job


# --- handlers ----------------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d-%H%M")


class AccountExportJob:
    """account_export: the user's account as a zip, saved as a generated file of kind account."""

    def __init__(self, *, database: Database, storage: Storage, app_version: str) -> None:
        self.db, self.storage, self.app_version = database, storage, app_version

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        ctx.progress(step="reading", message="Reading your account")
        target = self.storage.temp_file(suffix=".zip")
        try:
            with self.db.session() as session:
                user = session.get(User, ctx.owner_id)
                email = user.email if user else "account"
                counts = write_account_zip(
                    session=session,
                    storage=self.storage,
                    owner_id=ctx.owner_id,
                    target=target,
                    app_version=self.app_version,
                    progress=lambda what, done, total: ctx.progress(
                        step="writing", current=done, total=total, message=f"Writing {what.replace('_', ' ')}"
                    ),
                )
            ctx.progress(step="saving", message="Saving the export")
            with self.db.transaction() as session:
                row = save_generated(
                    session,
                    storage=self.storage,
                    owner_id=ctx.owner_id,
                    kind=GeneratedKind.account,
                    title=f"Account export of {email}",
                    filename=download_name(f"lectern-account-{email.split('@')[0]}-{_stamp(utcnow())}", "zip"),
                    media_type="application/zip",
                    source=target,
                    job_id=ctx.job_id,
                )
        finally:
            target.unlink(missing_ok=True)
        return {"file_id": row.id, "filename": row.filename, "download_url": f"/api/files/{row.id}/download", **counts}


class AccountImportJob:
    """account_import (params: upload — the file's name under imports/, filename — as uploaded)."""

    def __init__(self, *, database: Database, storage: Storage, runner: JobRunner) -> None:
        self.db, self.storage, self.runner = database, storage, runner

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        path = imports_dir(self.storage) / Path(str(ctx.params.get("upload", ""))).name
        if not path.is_file():
            raise JobError("The uploaded export is no longer on the server; upload it again")
        try:
            result = import_account(
                database=self.db,
                storage=self.storage,
                runner=self.runner,
                owner_id=ctx.owner_id,
                path=path,
                progress=lambda step, message: ctx.progress(step=step, message=message),
            )
        except JobInterrupted:
            raise  # resumed at the next start: keep the upload
        except DomainError as exc:
            path.unlink(missing_ok=True)
            raise JobError(exc.detail) from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        path.unlink(missing_ok=True)
        return result.model_dump()


class BackupJob:
    """backup: the whole instance as a .tar.gz, saved for the admin as a generated file of kind backup."""

    def __init__(self, *, database: Database, storage: Storage, app_version: str) -> None:
        self.db, self.storage, self.app_version = database, storage, app_version

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        url = self.db.engine.url
        if url.get_backend_name() != "sqlite" or not url.database:
            raise JobError("Backups cover a SQLite database only; back up PostgreSQL with pg_dump and the data dir")
        archive, manifest = make_backup(
            database_path=Path(url.database),
            storage=self.storage,
            job_id=ctx.job_id,
            app_version=self.app_version,
            progress=lambda step, done, total, message: ctx.progress(
                step=step, current=done, total=total, message=message
            ),
        )
        ctx.progress(step="saving", message="Saving the backup")
        try:
            filename = f"lectern-backup-{_stamp(manifest.created_at)}.tar.gz"
            with self.db.transaction() as session:
                row = save_generated(
                    session,
                    storage=self.storage,
                    owner_id=ctx.owner_id,
                    kind=GeneratedKind.backup,
                    title=f"Instance backup {manifest.created_at:%Y-%m-%d %H:%M} UTC",
                    filename=filename,
                    media_type="application/gzip",
                    source=archive,
                    job_id=ctx.job_id,
                )
        finally:
            archive.unlink(missing_ok=True)
        return {
            "file_id": row.id,
            "filename": row.filename,
            "download_url": f"/api/files/{row.id}/download",
            "files": manifest.files,
            "size_bytes": row.size_bytes,
            "restore_command": RESTORE_COMMAND.format(filename=row.filename),
        }


def register(runner: JobRunner, *, database: Database, storage: Storage, app_version: str) -> None:
    """Registers the three handlers (called once in main.py's lifespan)."""
    runner.register(
        ACCOUNT_EXPORT,
        AccountExportJob(database=database, storage=storage, app_version=app_version),
        doing="exporting your account",
    )
    runner.register(
        ACCOUNT_IMPORT,
        AccountImportJob(database=database, storage=storage, runner=runner),
        doing="importing the account export",
    )
    runner.register(BACKUP, BackupJob(database=database, storage=storage, app_version=app_version), doing="backing up")
