"""Jobs: the caller's long tasks, their progress and cancellation (live updates come over /ws)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.job import JobPublic, JobStatus
from processing import jobs
from routers.deps import CurrentUser, JobRunnerDep, SessionDep

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("")
def list_jobs(
    session: SessionDep,
    user: CurrentUser,
    job_status: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobPublic]:
    """The caller's jobs, newest first."""
    return [JobPublic.of(job) for job in jobs.list_jobs(session, owner_id=user.id, status=job_status, limit=limit)]


@router.get("/{job_id}")
def read_job(job_id: int, session: SessionDep, user: CurrentUser) -> JobPublic:
    return JobPublic.of(jobs.get_owned_job(session, owner_id=user.id, job_id=job_id))


@router.post("/{job_id}/cancel", status_code=status.HTTP_202_ACCEPTED)
def cancel_job(job_id: int, runner: JobRunnerDep, user: CurrentUser) -> JobPublic:
    """A queued job is cancelled at once; a running one stops at its next progress report."""
    return JobPublic.of(runner.cancel(owner_id=user.id, job_id=job_id))
