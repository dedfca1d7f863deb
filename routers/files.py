"""Files made for download: documents (quizzes, study guides) and exports (Anki, CSV, account)."""

from fastapi import APIRouter, Response, status
from fastapi.responses import FileResponse

from models.generated import GeneratedFilePublic, GeneratedKind
from processing import generated
from routers.deps import CurrentUser, SessionDep, StorageDep

router = APIRouter(prefix="/api/files", tags=["files"])


@router.get("")
def list_files(session: SessionDep, user: CurrentUser, kind: GeneratedKind | None = None) -> list[GeneratedFilePublic]:
    """Newest first."""
    return generated.list_files(session, owner_id=user.id, kind=kind)


@router.get("/{file_id}/download", response_class=FileResponse)
def download(file_id: int, session: SessionDep, user: CurrentUser, storage: StorageDep) -> FileResponse:
    row, path = generated.file_path(session, storage=storage, owner_id=user.id, file_id=file_id)
    return FileResponse(path, media_type=row.media_type, filename=row.filename)


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete(file_id: int, session: SessionDep, user: CurrentUser, storage: StorageDep) -> Response:
    generated.delete_file(session, storage=storage, owner_id=user.id, file_id=file_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
