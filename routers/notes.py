"""Notes (what the user writes; each makes one or more cards) and tags."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.note import (
    BulkRequest,
    BulkResult,
    NoteCreate,
    NotePage,
    NotePreview,
    NotePublic,
    NoteUpdate,
    PreviewResult,
    TagCount,
)
from processing import notes
from routers.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api", tags=["notes"])


@router.get("/notes")
def list_notes(
    session: SessionDep,
    user: CurrentUser,
    deck_id: int | None = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=500)] = None,
    status: Annotated[str | None, Query(description="new, due, learning, review or suspended")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotePage:
    return notes.list_notes(
        session, user=user, deck_id=deck_id, tag=tag, q=q, status=status, page=page, page_size=page_size
    )


@router.post("/notes", status_code=status.HTTP_201_CREATED)
def create_note(data: NoteCreate, session: SessionDep, user: CurrentUser) -> NotePublic:
    return notes.create_note(session, user=user, note_in=data)


@router.post("/notes/preview")
def preview_note(data: NotePreview, _user: CurrentUser) -> PreviewResult:
    return notes.preview(kind=data.kind, front=data.front, back=data.back)


@router.post("/notes/bulk")
def bulk_notes(data: BulkRequest, session: SessionDep, user: CurrentUser) -> BulkResult:
    return notes.bulk(session, user=user, request=data)


@router.get("/notes/{note_id}")
def read_note(note_id: int, session: SessionDep, user: CurrentUser) -> NotePublic:
    note = notes.get_readable_note(session, user=user, note_id=note_id)
    return notes.note_public(session, user=user, notes=[note])[0]


@router.patch("/notes/{note_id}")
def update_note(note_id: int, data: NoteUpdate, session: SessionDep, user: CurrentUser) -> NotePublic:
    return notes.update_note(session, user=user, note_id=note_id, note_in=data)


@router.delete("/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: int, session: SessionDep, user: CurrentUser) -> None:
    notes.delete_note(session, user=user, note_id=note_id)


@router.get("/tags")
def list_tags(session: SessionDep, user: CurrentUser) -> list[TagCount]:
    return notes.tag_counts(session, user=user)
