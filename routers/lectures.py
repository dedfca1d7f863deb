"""Courses, lectures (upload, re-process, delete) and their pages and page images."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel

from models.job import JobPublic
from models.lecture import CourseCreate, CoursePublic, LecturePublic, LectureUpdate, PagePublic, PageSummary
from processing import lectures
from routers.deps import CurrentUser, DatabaseDep, JobRunnerDep, SessionDep, SettingsDep, StorageDep, VectorIndexDep
from routers.uploads import multipart_body, receive_file

router = APIRouter(tags=["lectures"])


class LectureAccepted(BaseModel):
    lecture: LecturePublic
    job: JobPublic


# --- courses ----------------------------------------------------------------------------------------


@router.get("/api/courses")
def list_courses(session: SessionDep, user: CurrentUser) -> list[CoursePublic]:
    return lectures.list_courses(session, owner_id=user.id)


@router.post("/api/courses", status_code=status.HTTP_201_CREATED)
def create_course(data: CourseCreate, session: SessionDep, user: CurrentUser) -> CoursePublic:
    return lectures.create_course(session, owner_id=user.id, course_in=data)


@router.patch("/api/courses/{course_id}")
def rename_course(course_id: int, data: CourseCreate, session: SessionDep, user: CurrentUser) -> CoursePublic:
    return lectures.rename_course(session, owner_id=user.id, course_id=course_id, course_in=data)


@router.delete("/api/courses/{course_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_course(
    course_id: int,
    session: SessionDep,
    user: CurrentUser,
    storage: StorageDep,
    runner: JobRunnerDep,
    index: VectorIndexDep,
) -> None:
    """Deletes the course with all its lectures, their pages, images and files."""
    lectures.delete_course(session, storage=storage, runner=runner, owner_id=user.id, course_id=course_id)
    index.invalidate(user.id)


# --- lectures ---------------------------------------------------------------------------------------


@router.post(
    "/api/courses/{course_id}/lectures",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=multipart_body(optional=("title",)),
)
async def upload_lecture(
    course_id: int,
    request: Request,
    user: CurrentUser,
    settings: SettingsDep,
    database: DatabaseDep,
    storage: StorageDep,
    runner: JobRunnerDep,
) -> LectureAccepted:
    """Uploads one file (multipart part "file", optional "title") into the course. The answer is
    202 with the lecture and its ingest job; progress comes over /ws and from /api/jobs/{id}.
    400 empty/missing file, 404 course, 409 already uploaded, 413 too large or too many pages,
    415 not a PDF, PPTX, image or text file (or damaged/encrypted)."""
    await run_in_threadpool(lectures.check_course, database, owner_id=user.id, course_id=course_id)
    received = await receive_file(request, settings=settings, storage=storage)
    lecture, job = await run_in_threadpool(
        lectures.accept_upload,
        database=database,
        storage=storage,
        runner=runner,
        owner_id=user.id,
        course_id=course_id,
        received=received,
        max_pages=settings.max_pages,
    )
    return LectureAccepted(lecture=lectures.lecture_public(lecture), job=JobPublic.of(job))


@router.get("/api/lectures")
def list_lectures(
    session: SessionDep, user: CurrentUser, course_id: Annotated[int | None, Query()] = None
) -> list[LecturePublic]:
    """The caller's lectures, newest first; `course_id` narrows to one course."""
    found = lectures.list_lectures(session, owner_id=user.id, course_id=course_id)
    return [lectures.lecture_public(lecture) for lecture in found]


@router.get("/api/lectures/{lecture_id}")
def read_lecture(lecture_id: int, session: SessionDep, user: CurrentUser) -> LecturePublic:
    return lectures.lecture_public(lectures.get_owned_lecture(session, owner_id=user.id, lecture_id=lecture_id))


@router.patch("/api/lectures/{lecture_id}")
def update_lecture(lecture_id: int, data: LectureUpdate, session: SessionDep, user: CurrentUser) -> LecturePublic:
    lecture = lectures.update_lecture(session, owner_id=user.id, lecture_id=lecture_id, lecture_in=data)
    return lectures.lecture_public(lecture)


@router.delete("/api/lectures/{lecture_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_lecture(
    lecture_id: int,
    session: SessionDep,
    user: CurrentUser,
    storage: StorageDep,
    runner: JobRunnerDep,
    index: VectorIndexDep,
) -> None:
    """Deletes the lecture, its pages, chunks, images and file; stops its ingest if running."""
    lectures.delete_lecture(session, storage=storage, runner=runner, owner_id=user.id, lecture_id=lecture_id)
    index.invalidate(user.id)


@router.post("/api/lectures/{lecture_id}/reprocess", status_code=status.HTTP_202_ACCEPTED)
def reprocess_lecture(
    lecture_id: int, user: CurrentUser, database: DatabaseDep, runner: JobRunnerDep
) -> LectureAccepted:
    """Reads the lecture's file again (409 while it is being processed)."""
    lecture, job = lectures.reprocess(database=database, runner=runner, owner_id=user.id, lecture_id=lecture_id)
    return LectureAccepted(lecture=lectures.lecture_public(lecture), job=JobPublic.of(job))


# --- pages ------------------------------------------------------------------------------------------


@router.get("/api/lectures/{lecture_id}/pages")
def list_pages(lecture_id: int, session: SessionDep, user: CurrentUser) -> list[PageSummary]:
    return lectures.list_pages(session, owner_id=user.id, lecture_id=lecture_id)


@router.get("/api/lectures/{lecture_id}/pages/{number}")
def read_page(lecture_id: int, number: int, session: SessionDep, user: CurrentUser) -> PagePublic:
    return lectures.get_page(session, owner_id=user.id, lecture_id=lecture_id, number=number)


@router.get("/api/lectures/{lecture_id}/pages/{number}/image", response_class=FileResponse)
def page_image(lecture_id: int, number: int, session: SessionDep, user: CurrentUser, storage: StorageDep):
    """The page as an image (WebP, ~150 DPI)."""
    return _image(session, storage, user.id, lecture_id, number, thumb=False)


@router.get("/api/lectures/{lecture_id}/pages/{number}/thumb", response_class=FileResponse)
def page_thumb(lecture_id: int, number: int, session: SessionDep, user: CurrentUser, storage: StorageDep):
    """The page's thumbnail (WebP, 240 px wide)."""
    return _image(session, storage, user.id, lecture_id, number, thumb=True)


def _image(session, storage, owner_id: int, lecture_id: int, number: int, *, thumb: bool) -> FileResponse:
    path = lectures.page_image_path(
        session, storage=storage, owner_id=owner_id, lecture_id=lecture_id, number=number, thumb=thumb
    )
    return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "private, no-cache"})
