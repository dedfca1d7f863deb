"""Documents as jobs: starting a quiz or a study guide (checked before any job exists), and the handlers
that write the PDF and save it as a generated file (kinds "quiz" and "guide").

A quiz's random choices come from a seed stored in the job's params, so a job that is run again (after
a restart) writes the same quiz from the same cards.
"""

from __future__ import annotations

import random
import secrets
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from db import Database
from models.common import utcnow
from models.deck import Deck
from models.document import GuideRequest, QuizRequest
from models.generated import GeneratedKind
from models.job import Job
from models.lecture import Course, Lecture, LecturePage, LectureStatus
from models.note import Note
from models.user import User
from processing.cardgen import PageInput
from processing.documents import guide, quiz
from processing.documents.mathtext import cloze_text, markdown_to_text
from processing.documents.pdf import DocumentPDF, FontsMissing, save
from processing.errors import Conflict
from processing.generated import download_name, save_generated
from processing.jobs import JobContext, JobError, JobRunner
from processing.lectures import get_owned_lecture
from processing.storage import Storage

QUIZ = "quiz"
GUIDE = "guide"
PDF = "application/pdf"


def start_quiz(session: Session, *, runner: JobRunner, user: User, request: QuizRequest) -> Job:
    source = quiz.resolve_source(session, user=user, request=request)
    prefix = "Weakest cards" if request.weakest else "Quiz"
    params = source.as_params() | {
        "weakest": request.weakest,
        "count": request.count,
        "multiple_choice_share": request.multiple_choice_share,
        "title": request.title or f"{prefix}: {source.label}",
        "seed": secrets.randbelow(2**31),
    }
    job = runner.enqueue(session, owner_id=user.id, kind=QUIZ, params=params)
    session.commit()
    runner.dispatch(job)
    return job


def start_guide(session: Session, *, runner: JobRunner, user: User, request: GuideRequest) -> Job:
    lecture = get_owned_lecture(session, owner_id=user.id, lecture_id=request.lecture_id)
    if lecture.status in (LectureStatus.queued, LectureStatus.processing):
        raise Conflict("This lecture is still being read; make its study guide once it is ready")
    if lecture.status != LectureStatus.ready:
        raise Conflict("This lecture could not be read; re-process it before making a study guide")
    params = {"lecture_id": lecture.id, "title": request.title or f"Study guide: {lecture.title}"}
    job = runner.enqueue(session, owner_id=user.id, kind=GUIDE, params=params)
    session.commit()
    runner.dispatch(job)
    return job


def _made_on(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


class _PdfJob:
    def __init__(self, *, database: Database, storage: Storage) -> None:
        self.db, self.storage = database, storage

    def _new_pdf(self, title: str) -> DocumentPDF:
        try:
            return DocumentPDF(title=title)
        except FontsMissing as error:
            raise JobError(f"{error}; ask the administrator to install them") from error

    def _save(self, ctx: JobContext, pdf: DocumentPDF, *, kind: GeneratedKind, title: str) -> tuple[int, int]:
        """Writes the PDF and records it; (file id, pages)."""
        ctx.progress(step="saving", current=0, total=1, message="Saving the PDF")
        temp = self.storage.temp_file(suffix=".pdf")
        try:
            pages = save(pdf, temp)
            with self.db.transaction() as session:
                row = save_generated(
                    session,
                    storage=self.storage,
                    owner_id=ctx.owner_id,
                    kind=kind,
                    title=title,
                    filename=download_name(title, "pdf", fallback="document"),
                    media_type=PDF,
                    source=temp,
                    job_id=ctx.job_id,
                )
        finally:
            temp.unlink(missing_ok=True)
        return row.id, pages


class QuizDocuments(_PdfJob):
    """Handler for "quiz" jobs (params: deck_id | tag | lecture_id, source_label, weakest, count,
    multiple_choice_share, title, seed)."""

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        params = ctx.params
        source = quiz.QuizSource(
            params["source_label"],
            deck_id=params.get("deck_id"),
            tag=params.get("tag"),
            lecture_id=params.get("lecture_id"),
        )
        rng = random.Random(int(params["seed"]))
        ctx.progress(step="choosing", current=0, total=1, message="Choosing the cards")
        now = utcnow()
        with self.db.session() as session:
            self._check_source(session, owner_id=ctx.owner_id, source=source)
            cards = quiz.load_cards(session, owner_id=ctx.owner_id, source=source, now=now)
        if not cards:
            raise JobError("There are no cards to quiz on any more")
        chosen = quiz.choose_cards(cards, count=int(params["count"]), weakest=bool(params["weakest"]), rng=rng)
        questions = quiz.build_questions(
            chosen, quiz.answer_pool(cards), multiple_choice_share=float(params["multiple_choice_share"]), rng=rng
        )
        choices = sum(1 for q in questions if q.options)
        total = len(questions)
        ctx.progress(step="writing", current=0, total=total, message=f"Writing {total} questions")
        title = str(params["title"])
        pdf = self._new_pdf(title)
        subtitle = f"{total} questions ({choices} multiple choice) · {source.label} · {_made_on(now)}"
        quiz.write_quiz(
            pdf,
            title=title,
            subtitle=subtitle,
            questions=questions,
            on_question=lambda n: ctx.progress(
                step="writing", current=n, total=total, message=f"Writing question {n} of {total}"
            ),
        )
        file_id, pages = self._save(ctx, pdf, kind=GeneratedKind.quiz, title=title)
        return {
            "file_id": file_id,
            "pages": pages,
            "questions": total,
            "multiple_choice": choices,
            "short_answer": total - choices,
            "card_ids": [q.card.card_id for q in questions],
            "download_url": f"/api/files/{file_id}/download",
        }

    def _check_source(self, session: Session, *, owner_id: int, source: quiz.QuizSource) -> None:
        if source.deck_id is not None:
            deck = session.get(Deck, source.deck_id)
            if deck is None or deck.owner_id != owner_id:
                raise JobError("This deck has been deleted")
        if source.lecture_id is not None:
            lecture = session.get(Lecture, source.lecture_id)
            if lecture is None or lecture.owner_id != owner_id:
                raise JobError("This lecture has been deleted")


class StudyGuides(_PdfJob):
    """Handler for "guide" jobs (params: lecture_id, title)."""

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        lecture_id, title = int(ctx.params["lecture_id"]), str(ctx.params["title"])
        ctx.progress(step="reading", current=0, total=1, message="Reading the lecture")
        with self.db.session() as session:
            lecture = session.get(Lecture, lecture_id)
            if lecture is None or lecture.owner_id != ctx.owner_id:
                raise JobError("This lecture has been deleted")
            if lecture.status != LectureStatus.ready:
                raise JobError("This lecture is being read again; make its study guide once it is ready")
            course = session.get(Course, lecture.course_id)
            rows = session.exec(
                select(LecturePage).where(LecturePage.lecture_id == lecture_id).order_by(col(LecturePage.number))
            ).all()
            notes = session.exec(
                select(Note)
                .where(Note.owner_id == ctx.owner_id, Note.source_lecture_id == lecture_id)
                .order_by(col(Note.source_page), col(Note.id))
            ).all()
            cards = [_guide_card(note) for note in notes]
        inputs = [PageInput(r.number, r.text, r.source, r.ocr_confidence) for r in rows]
        pages = guide.read_pages(inputs)
        ctx.progress(step="reading", current=1, total=1, message=f"Read {len(inputs)} pages")
        ctx.progress(step="writing", current=0, total=3, message="Finding the outline and key terms")
        term_pages = {page.number for page in guide.usable(inputs)}
        terms = guide.defined_terms([page for page in pages if page.number in term_pages])
        entries = guide.outline(pages, terms)
        others = guide.other_terms([page for page in pages if page.number in term_pages], terms)
        ctx.progress(step="writing", current=1, total=3, message="Writing the guide")
        pdf = self._new_pdf(title)
        course_name = course.name if course else ""
        subtitle = " · ".join(part for part in (course_name, f"{len(inputs)} pages", _made_on(utcnow())) if part)
        guide.write_guide(pdf, title=title, subtitle=subtitle, entries=entries, terms=terms, others=others, cards=cards)
        file_id, page_count = self._save(ctx, pdf, kind=GeneratedKind.guide, title=title)
        return {
            "file_id": file_id,
            "pages": page_count,
            "lecture_id": lecture_id,
            "outline": len(entries),
            "terms": len(terms),
            "cards": len(cards),
            "download_url": f"/api/files/{file_id}/download",
        }


def _guide_card(note: Note) -> guide.GuideCard:
    if note.kind == "cloze":
        return guide.GuideCard(cloze_text(note.front), markdown_to_text(note.back), note.source_page)
    return guide.GuideCard(markdown_to_text(note.front), markdown_to_text(note.back), note.source_page)
