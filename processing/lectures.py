"""Courses and lectures: ownership, accepting an upload (type, page limit, duplicates), listing,
renaming, re-processing and deleting (rows and files together)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db import Database
from models.common import utcnow
from models.job import UNFINISHED, Job
from models.lecture import (
    Course,
    CourseCreate,
    CoursePublic,
    Lecture,
    LecturePage,
    LecturePublic,
    LectureStatus,
    LectureUpdate,
    PagePublic,
    PageSummary,
)
from processing.errors import Conflict, NotFound, TooLarge
from processing.extract import UnsupportedFile, filetypes, images, pdf, pptx, text
from processing.jobs import JobRunner
from processing.storage import Storage
from processing.uploads import ReceivedFile

log = logging.getLogger("lectern.lectures")

INGEST = "ingest"
EXTENSIONS = {"pdf": "pdf", "pptx": "pptx", "png": "png", "jpeg": "jpg", "tiff": "tif", "webp": "webp", "text": "txt"}
PROCESSING = (LectureStatus.queued, LectureStatus.processing)


# --- courses ----------------------------------------------------------------------------------------


def get_owned_course(session: Session, *, owner_id: int, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None or course.owner_id != owner_id:
        raise NotFound("Course not found")
    return course


def check_course(database: Database, *, owner_id: int, course_id: int) -> None:
    """404 unless the course is the owner's, in a read-only session (before an upload is received)."""
    with database.session() as session:
        get_owned_course(session, owner_id=owner_id, course_id=course_id)


def list_courses(session: Session, *, owner_id: int) -> list[CoursePublic]:
    counts = dict(
        session.exec(
            select(Lecture.course_id, func.count()).where(Lecture.owner_id == owner_id).group_by(Lecture.course_id)
        ).all()
    )
    courses = session.exec(select(Course).where(Course.owner_id == owner_id).order_by(col(Course.name))).all()
    return [CoursePublic.model_validate(c, update={"lecture_count": counts.get(c.id, 0)}) for c in courses]


def create_course(session: Session, *, owner_id: int, course_in: CourseCreate) -> CoursePublic:
    course = Course(owner_id=owner_id, name=course_in.name)
    session.add(course)
    _flush_unique_name(session, course_in.name)
    return CoursePublic.model_validate(course)


def rename_course(session: Session, *, owner_id: int, course_id: int, course_in: CourseCreate) -> CoursePublic:
    course = get_owned_course(session, owner_id=owner_id, course_id=course_id)
    count = session.exec(select(func.count()).where(Lecture.course_id == course.id)).one()
    course.name = course_in.name
    _flush_unique_name(session, course_in.name)
    return CoursePublic.model_validate(course, update={"lecture_count": count})


def _flush_unique_name(session: Session, name: str) -> None:
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(f"You already have a course named {name!r}") from error


def delete_course(session: Session, *, storage: Storage, runner: JobRunner, owner_id: int, course_id: int) -> None:
    """Deletes the course with its lectures (rows now, files once the transaction commits)."""
    course = get_owned_course(session, owner_id=owner_id, course_id=course_id)
    lectures = session.exec(select(Lecture).where(Lecture.course_id == course.id)).all()
    for lecture in lectures:
        _cancel_ingest(session, runner=runner, lecture=lecture)
    session.delete(course)
    session.commit()
    for lecture in lectures:
        storage.delete_lecture(lecture.id)


# --- lectures ---------------------------------------------------------------------------------------


def get_owned_lecture(session: Session, *, owner_id: int, lecture_id: int) -> Lecture:
    """The one place that decides whether a lecture is the user's: anyone else gets 404."""
    lecture = session.get(Lecture, lecture_id)
    if lecture is None or lecture.owner_id != owner_id:
        raise NotFound("Lecture not found")
    return lecture


def list_lectures(session: Session, *, owner_id: int, course_id: int | None = None) -> list[Lecture]:
    query = select(Lecture).where(Lecture.owner_id == owner_id)
    if course_id is not None:
        get_owned_course(session, owner_id=owner_id, course_id=course_id)
        query = query.where(Lecture.course_id == course_id)
    return list(session.exec(query.order_by(col(Lecture.created_at).desc(), col(Lecture.id).desc())))


def count_pages(path: Path, kind: filetypes.FileKind) -> int:
    """Pages (slides, image frames) in the file; raises UnsupportedFile for damaged or encrypted ones."""
    if kind == filetypes.FileKind.pdf:
        return pdf.page_count(path)
    if kind == filetypes.FileKind.pptx:
        return pptx.slide_count(path)
    if kind.is_image:
        return images.frame_count(path)
    return len(text.text_pages(path))


def accept_upload(
    *,
    database: Database,
    storage: Storage,
    runner: JobRunner,
    owner_id: int,
    course_id: int,
    received: ReceivedFile,
    max_pages: int,
) -> tuple[Lecture, Job]:
    """Checks the received file (type by content, page limit, not uploaded before), files it under
    a new lecture and queues its ingest job, all or nothing. The temp file is always consumed."""
    try:
        kind = filetypes.sniff(received.path)
        pages = count_pages(received.path, kind)
        if pages == 0:
            raise UnsupportedFile(f"{received.filename} has no pages")
        if pages > max_pages:
            raise TooLarge(f"{received.filename} has {pages} pages; the limit is {max_pages} (LECTERN_MAX_PAGES)")
        with database.transaction() as session:
            get_owned_course(session, owner_id=owner_id, course_id=course_id)
            _refuse_duplicate(session, owner_id=owner_id, sha256=received.sha256)
            title = (received.fields.get("title") or "").strip()[:200] or _title_from(received.filename)
            lecture = Lecture(
                owner_id=owner_id,
                course_id=course_id,
                title=title,
                filename=received.filename,
                file_kind=kind.value,
                size_bytes=received.size,
                sha256=received.sha256,
                page_count=pages,
            )
            session.add(lecture)
            session.flush()
            job = runner.enqueue(session, owner_id=owner_id, kind=INGEST, params={"lecture_id": lecture.id})
            lecture.job_id = job.id
            storage.place_upload(received.path, lecture.id, EXTENSIONS[kind.value])
    except BaseException:
        received.path.unlink(missing_ok=True)
        raise
    runner.dispatch(job)
    return lecture, job


def _refuse_duplicate(session: Session, *, owner_id: int, sha256: str) -> None:
    existing = session.exec(select(Lecture).where(Lecture.owner_id == owner_id, Lecture.sha256 == sha256)).first()
    if existing is not None:
        course = session.get(Course, existing.course_id)
        raise Conflict(f"You already uploaded this file: “{existing.title}” in {course.name if course else 'a course'}")


def _title_from(filename: str) -> str:
    stem = Path(filename).stem if "." in filename else filename
    return stem.replace("_", " ").strip()[:200] or "Untitled lecture"


def update_lecture(session: Session, *, owner_id: int, lecture_id: int, lecture_in: LectureUpdate) -> Lecture:
    lecture = get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
    if lecture_in.course_id is not None:
        lecture.course_id = get_owned_course(session, owner_id=owner_id, course_id=lecture_in.course_id).id
    if lecture_in.title is not None:
        lecture.title = lecture_in.title
    lecture.updated_at = utcnow()
    session.commit()
    return lecture


def reprocess(*, database: Database, runner: JobRunner, owner_id: int, lecture_id: int) -> tuple[Lecture, Job]:
    with database.transaction() as session:
        lecture = get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
        if lecture.status in PROCESSING:
            raise Conflict("This lecture is being processed already")
        job = runner.enqueue(session, owner_id=owner_id, kind=INGEST, params={"lecture_id": lecture.id})
        lecture.job_id, lecture.status, lecture.error, lecture.updated_at = job.id, LectureStatus.queued, None, utcnow()
    runner.dispatch(job)
    return lecture, job


def delete_lecture(session: Session, *, storage: Storage, runner: JobRunner, owner_id: int, lecture_id: int) -> None:
    """Stops its ingest, deletes its rows (pages and chunks cascade) and then its files."""
    lecture = get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
    _cancel_ingest(session, runner=runner, lecture=lecture)
    session.delete(lecture)
    session.commit()
    storage.delete_lecture(lecture_id)


def _cancel_ingest(session: Session, *, runner: JobRunner, lecture: Lecture) -> None:
    """Asks a running ingest to stop; the handler finds its lecture gone and writes nothing."""
    if lecture.job_id is None:
        return
    job = session.get(Job, lecture.job_id)
    if job is not None and job.status in UNFINISHED:
        runner.request_cancel(session, job)


def lecture_public(lecture: Lecture) -> LecturePublic:
    return LecturePublic.model_validate(lecture)


# --- pages ------------------------------------------------------------------------------------------


def list_pages(session: Session, *, owner_id: int, lecture_id: int) -> list[PageSummary]:
    get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
    rows = session.exec(
        select(
            LecturePage.number,
            LecturePage.source,
            LecturePage.ocr_confidence,
            func.length(LecturePage.text),
            LecturePage.has_image,
        )
        .where(LecturePage.lecture_id == lecture_id)
        .order_by(col(LecturePage.number))
    ).all()
    return [
        PageSummary(number=n, source=s, ocr_confidence=c, char_count=length or 0, has_image=i)
        for n, s, c, length, i in rows
    ]


def get_page(session: Session, *, owner_id: int, lecture_id: int, number: int) -> PagePublic:
    get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
    page = session.exec(
        select(LecturePage).where(LecturePage.lecture_id == lecture_id, LecturePage.number == number)
    ).first()
    if page is None:
        raise NotFound(f"Page {number} not found")
    return PagePublic.model_validate(page)


def page_image_path(
    session: Session, *, storage: Storage, owner_id: int, lecture_id: int, number: int, thumb: bool
) -> Path:
    get_owned_lecture(session, owner_id=owner_id, lecture_id=lecture_id)
    path = storage.page_image(lecture_id, number, thumb=thumb)
    if not path.is_file():
        raise NotFound(f"Page {number} has no image")
    return path
