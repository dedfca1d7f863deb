"""Files made for a user to download (documents, exports): stored all-or-nothing, listed, served, deleted.

A job writes its file under tmp/ and hands it to `save_generated`, which inserts the row and moves the file
into generated/<owner id>/ by rename in one step: a crash leaves either both or a temp file swept at
start-up. Ownership is checked here (`get_owned_file`) and nowhere else.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import Session, col, select

from models.generated import GeneratedFile, GeneratedFilePublic, GeneratedKind
from processing.errors import NotFound
from processing.storage import Storage


def save_generated(
    session: Session,
    *,
    storage: Storage,
    owner_id: int,
    kind: GeneratedKind,
    title: str,
    filename: str,
    media_type: str,
    source: Path,
    job_id: int | None = None,
) -> GeneratedFile:
    """Moves `source` (a finished file under tmp/) into place and records it; commits."""
    row = GeneratedFile(
        owner_id=owner_id,
        kind=kind,
        title=title[:200],
        filename=filename[:255],
        media_type=media_type,
        size_bytes=source.stat().st_size,
        job_id=job_id,
    )
    session.add(row)
    session.flush()
    target = storage.generated_path(owner_id, row.id, _extension(filename))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source.replace(target)
        session.commit()
    except BaseException:
        session.rollback()
        target.unlink(missing_ok=True)
        raise
    session.refresh(row)
    return row


def download_name(title: str, extension: str, *, fallback: str = "file") -> str:
    """A title as the name a file downloads as: letters (any script), digits, spaces, - and _ kept."""
    cleaned = re.sub(r"[^\w\s-]+", " ", title, flags=re.UNICODE)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" -_")[:100].strip()
    return f"{cleaned or fallback}.{extension}"


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"


def public(row: GeneratedFile) -> GeneratedFilePublic:
    return GeneratedFilePublic(
        id=row.id,
        kind=GeneratedKind(row.kind),
        title=row.title,
        filename=row.filename,
        media_type=row.media_type,
        size_bytes=row.size_bytes,
        job_id=row.job_id,
        created_at=row.created_at,
        download_url=f"/api/files/{row.id}/download",
    )


def list_files(session: Session, *, owner_id: int, kind: GeneratedKind | None = None) -> list[GeneratedFilePublic]:
    query = select(GeneratedFile).where(GeneratedFile.owner_id == owner_id)
    if kind is not None:
        query = query.where(GeneratedFile.kind == kind)
    rows = session.exec(query.order_by(col(GeneratedFile.created_at).desc(), col(GeneratedFile.id).desc())).all()
    return [public(row) for row in rows]


def get_owned_file(session: Session, *, owner_id: int, file_id: int) -> GeneratedFile:
    row = session.get(GeneratedFile, file_id)
    if row is None or row.owner_id != owner_id:
        raise NotFound("File not found")
    return row


def file_path(session: Session, *, storage: Storage, owner_id: int, file_id: int) -> tuple[GeneratedFile, Path]:
    row = get_owned_file(session, owner_id=owner_id, file_id=file_id)
    path = storage.generated_path(owner_id, row.id, _extension(row.filename))
    if not path.is_file():
        raise NotFound("This file is missing from the data volume; make it again")
    return row, path


def delete_file(session: Session, *, storage: Storage, owner_id: int, file_id: int) -> None:
    row = get_owned_file(session, owner_id=owner_id, file_id=file_id)
    path = storage.generated_path(owner_id, row.id, _extension(row.filename))
    session.delete(row)
    session.commit()
    path.unlink(missing_ok=True)
