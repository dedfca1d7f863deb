"""The admin's backup of the whole instance, and `python main.py restore <archive> --data-dir <dir>`.

A backup is a .tar.gz (layout in models/account_archive.py): the database copied with SQLite's
online backup API in one step — one read transaction, so it is an exact snapshot even while
reviews are being written (WAL: writers are not blocked) — then uploads/, pages/, generated/ and
secret.key. Files are copied just after the snapshot: a lecture uploaded meanwhile may have its
file in the archive but no row (harmless); one deleted meanwhile may miss its file.

Left out: earlier backups (their files and their rows in the copy: a backup never contains
backups, so each stays the size of the data), tmp/, pending account imports and the embedding
model (models/, rebuilt by `make setup`). In the copy, the backup's own job is marked done, so a
restored instance does not start another backup.

Restore refuses a data dir that is not empty and any member that is not a plain file or folder
under `lectern-backup/` (absolute paths, `..`, links, devices), writes the files itself (never
`extractall` on names from the archive), then checks the database with PRAGMA integrity_check;
on any failure it removes what it wrote.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sqlite3
import sys
import tarfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from models.account_archive import BACKUP_FORMAT, BACKUP_FORMAT_VERSION, BACKUP_ROOT, BackupManifest
from models.common import utcnow
from processing.errors import BadRequest
from processing.interchange.account_import import check_member_name
from processing.storage import Storage

FILE_DIRS = ("uploads", "pages", "generated", "media")
SECRET = "secret.key"
Progress = Callable[[str, int, int, str], None]  # (step, current, total, message)


class RestoreError(Exception):
    """The archive cannot be restored; the message says why (nothing was left behind)."""


# --- taking a backup -------------------------------------------------------------------------------


def snapshot_database(source: Path, target: Path, *, job_id: int | None) -> set[str]:
    """Copies the live database into `target` (online backup, one step); returns the data-dir
    relative paths of the backups it lists, whose rows are dropped from the copy."""
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)  # pages=-1: the whole database in one read transaction
        backups = dst.execute("SELECT owner_id, id, filename FROM generated_file WHERE kind = 'backup'").fetchall()
        dst.execute("DELETE FROM generated_file WHERE kind = 'backup'")
        if job_id is not None:
            dst.execute(
                "UPDATE job SET status = 'succeeded', message = 'Done', step = 'saving', finished_at = :now,"
                " updated_at = :now WHERE id = :id",
                {"now": utcnow().strftime("%Y-%m-%d %H:%M:%S.%f"), "id": job_id},
            )
        dst.commit()
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (status,) = dst.execute("PRAGMA integrity_check").fetchone()
        if status != "ok":
            raise RuntimeError(f"the database copy failed its integrity check: {status}")
    return {
        f"generated/{owner}/{file_id}.{name.rsplit('.', 1)[-1].lower() if '.' in name else 'bin'}"
        for owner, file_id, name in backups
    }


def _data_files(data_dir: Path, skip: set[str]) -> list[tuple[Path, str]]:
    files = []
    for top in FILE_DIRS:
        root = data_dir / top
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(data_dir).as_posix()
            if path.is_file() and not path.is_symlink() and relative not in skip:
                files.append((path, relative))
    return files


def make_backup(
    *, database_path: Path, storage: Storage, job_id: int | None, app_version: str, progress: Progress
) -> tuple[Path, BackupManifest]:
    """Writes the backup archive under tmp/ and returns its path (the caller moves it into place)."""
    data_dir = storage.root
    db_copy = storage.temp_file(suffix=".db")
    archive = storage.temp_file(suffix=".tar.gz")
    try:
        progress("database", 0, 1, "Copying the database")
        skip = snapshot_database(database_path, db_copy, job_id=job_id)
        files = _data_files(data_dir, skip)
        manifest = BackupManifest(
            format=BACKUP_FORMAT,
            format_version=BACKUP_FORMAT_VERSION,
            created_at=utcnow(),
            app_version=app_version,
            files=len(files),
        )
        with tarfile.open(archive, "w:gz", compresslevel=3) as tar:
            _add_bytes(tar, f"{BACKUP_ROOT}/manifest.json", manifest.model_dump_json(indent=2).encode())
            tar.add(db_copy, f"{BACKUP_ROOT}/app.db", recursive=False)
            if (data_dir / SECRET).is_file():
                tar.add(data_dir / SECRET, f"{BACKUP_ROOT}/{SECRET}", recursive=False)
            for done, (path, relative) in enumerate(files, start=1):
                with contextlib.suppress(FileNotFoundError):  # deleted since listed (a lecture was deleted)
                    tar.add(path, f"{BACKUP_ROOT}/{relative}", recursive=False)
                progress("files", done, len(files), f"Copying files ({done} of {len(files)})")
    except BaseException:
        archive.unlink(missing_ok=True)
        raise
    finally:
        db_copy.unlink(missing_ok=True)
    return archive, manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o644
    tar.addfile(info, io.BytesIO(data))


# --- restoring -------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    data_dir: Path
    manifest: BackupManifest
    files: int
    bytes: int
    counts: dict[str, int]


def _checked_members(tar: tarfile.TarFile) -> tuple[list[tarfile.TarInfo], BackupManifest]:
    members, seen, manifest = [], set(), None
    for member in tar.getmembers():
        try:
            check_member_name(member.name)
        except BadRequest as exc:
            raise RestoreError(exc.detail) from None
        if member.name.rstrip("/") == BACKUP_ROOT:
            continue
        if not member.name.startswith(BACKUP_ROOT + "/"):
            raise RestoreError(f"{member.name[:80]!r} is outside {BACKUP_ROOT}/: this is not a Lectern backup")
        if not (member.isfile() or member.isdir()):
            raise RestoreError(f"{member.name[:80]!r} is a link or a device, which a Lectern backup never holds")
        if member.name in seen:
            raise RestoreError(f"{member.name[:80]!r} appears twice in the archive")
        seen.add(member.name)
        members.append(member)
        if member.name == f"{BACKUP_ROOT}/manifest.json":
            try:
                manifest = BackupManifest.model_validate(json.loads(tar.extractfile(member).read()))
            except ValueError as exc:
                raise RestoreError(f"manifest.json cannot be read: {exc}") from None
    if manifest is None:
        raise RestoreError("This archive is not a Lectern backup: it has no lectern-backup/manifest.json")
    if manifest.format_version != BACKUP_FORMAT_VERSION:
        raise RestoreError(
            f"This backup has format version {manifest.format_version}; this Lectern restores version "
            f"{BACKUP_FORMAT_VERSION}"
        )
    if f"{BACKUP_ROOT}/app.db" not in seen:
        raise RestoreError("This backup has no database (lectern-backup/app.db)")
    return members, manifest


def _count(db_path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(db_path)) as conn:
        try:
            (status,) = conn.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise RestoreError(f"The database in this backup cannot be opened ({exc})") from None
        if status != "ok":
            raise RestoreError(f"The database in this backup is damaged (integrity check: {status})")
        tables = {"user": "accounts", "deck": "decks", "card": "cards", "review_log": "reviews", "lecture": "lectures"}
        try:
            return {label: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t, label in tables.items()}
        except sqlite3.Error as exc:
            raise RestoreError(f"The database in this backup is not a Lectern database ({exc})") from None


def restore(archive: Path, data_dir: Path) -> RestoreReport:
    """Unpacks `archive` into the empty (or missing) `data_dir` and checks it; all or nothing."""
    data_dir = data_dir.expanduser().resolve()
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise RestoreError(f"{data_dir} is not an empty folder; restore into a new, empty one (nothing was changed)")
    if not archive.is_file():
        raise RestoreError(f"{archive} does not exist")
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 (closed by the `with tar` below)
    except (tarfile.TarError, OSError) as exc:
        raise RestoreError(f"{archive.name} is not a Lectern backup (.tar.gz): {exc}") from None
    created = not data_dir.exists()
    try:
        with tar:
            members, manifest = _checked_members(tar)
            data_dir.mkdir(parents=True, exist_ok=True)
            files = size = 0
            for member in members:
                relative = member.name[len(BACKUP_ROOT) + 1 :].rstrip("/")
                if not relative or relative == "manifest.json":
                    continue
                target = data_dir / relative
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out, 1024 * 1024)
                files, size = files + 1, size + member.size
        if (data_dir / SECRET).exists():
            os.chmod(data_dir / SECRET, 0o600)
        counts = _count(data_dir / "app.db")
    except BaseException as exc:
        _empty(data_dir, remove=created)
        if isinstance(exc, tarfile.TarError | EOFError | OSError):
            raise RestoreError(f"{archive.name} is damaged or cut off: {exc}") from None
        raise
    return RestoreReport(data_dir=data_dir, manifest=manifest, files=files, bytes=size, counts=counts)


def _empty(data_dir: Path, *, remove: bool) -> None:
    if not data_dir.exists():
        return
    if remove:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for entry in data_dir.iterdir():
        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)


def restore_cli(argv: list[str]) -> int:
    """`python main.py restore <archive> --data-dir <empty dir>`; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python main.py restore", description="Restore a Lectern backup into an empty data dir"
    )
    parser.add_argument("archive", type=Path, help="the .tar.gz made by “Back up the instance”")
    parser.add_argument("--data-dir", type=Path, required=True, help="an empty (or new) folder to restore into")
    args = parser.parse_args(argv)
    try:
        report = restore(args.archive, args.data_dir)
    except RestoreError as exc:
        print(f"Cannot restore: {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{n:,} {label}" for label, n in report.counts.items())
    secret = "secret.key restored (sessions stay valid)" if (report.data_dir / SECRET).exists() else (
        "no secret.key in the backup: set LECTERN_SECRET_KEY as before"
    )  # fmt: skip
    print(
        f"Restored the backup of {report.manifest.created_at:%Y-%m-%d %H:%M} UTC"
        f" (Lectern {report.manifest.app_version}) into {report.data_dir}\n"
        f"  {counts}; {report.files:,} files ({report.bytes / 1e6:,.1f} MB)\n"
        f"  database integrity check: ok; {secret}\n"
        f"Start Lectern on it with:\n"
        f"  LECTERN_DATA_DIR={report.data_dir} python main.py"
    )
    return 0
