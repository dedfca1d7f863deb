"""Exam dates on decks, with the plan that leads up to each exam."""

from fastapi import APIRouter, status

from models.exam import ExamIn, ExamPublic
from processing import exam
from routers.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api", tags=["exams"])


@router.get("/exams")
def list_exams(session: SessionDep, user: CurrentUser) -> list[ExamPublic]:
    """Upcoming exams, soonest first, each with its plan."""
    return exam.list_exams(session, user=user)


@router.get("/decks/{deck_id}/exam")
def read_exam(deck_id: int, session: SessionDep, user: CurrentUser) -> ExamPublic | None:
    """The deck's exam and its plan; null when the deck has none."""
    return exam.get_exam(session, user=user, deck_id=deck_id)


@router.put("/decks/{deck_id}/exam")
def set_exam(deck_id: int, data: ExamIn, session: SessionDep, user: CurrentUser) -> ExamPublic:
    """Sets or moves the exam; 400 if the date is not after today (in your time zone) or years away."""
    return exam.set_exam(session, user=user, deck_id=deck_id, exam_date=data.exam_date)


@router.delete("/decks/{deck_id}/exam", status_code=status.HTTP_204_NO_CONTENT)
def clear_exam(deck_id: int, session: SessionDep, user: CurrentUser) -> None:
    """Back to normal scheduling for this deck."""
    exam.clear_exam(session, user=user, deck_id=deck_id)
