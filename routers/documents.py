"""Printable documents: a quiz PDF from a deck, a tag or a lecture's cards, and a lecture's study guide.
Both answer 202 with the job; the PDF then appears in GET /api/files."""

from fastapi import APIRouter, status

from models.document import GuideRequest, QuizRequest
from models.job import JobPublic
from processing.documents import job as documents
from routers.deps import CurrentUser, JobRunnerDep, SessionDep

router = APIRouter(prefix="/api/documents", tags=["documents"])


@router.post("/quiz", status_code=status.HTTP_202_ACCEPTED)
def make_quiz(data: QuizRequest, session: SessionDep, user: CurrentUser, runner: JobRunnerDep) -> JobPublic:
    """Starts a quiz job (422 without exactly one source or with an empty one; 404 for a deck or
    lecture that is not yours)."""
    return JobPublic.of(documents.start_quiz(session, runner=runner, user=user, request=data))


@router.post("/guide", status_code=status.HTTP_202_ACCEPTED)
def make_guide(data: GuideRequest, session: SessionDep, user: CurrentUser, runner: JobRunnerDep) -> JobPublic:
    """Starts a study-guide job for a ready lecture (409 while it is being read or if it failed)."""
    return JobPublic.of(documents.start_guide(session, runner=runner, user=user, request=data))
