"""Background jobs: persisted rows (models/job.py), run by handlers in the thread-pool executor,
reporting progress to the row (throttled) and to the owner's sockets (through the hub).

A handler is `def handler(ctx: JobContext) -> dict | None`, registered per kind on the runner
created in the lifespan. It reports with `ctx.progress(step=, current=, total=, message=)`, which
raises `JobCancelled` once the user asked to cancel (and `JobInterrupted` when the server is
stopping), so work stops at its next progress call; long loops without progress call
`ctx.check_cancelled()`. A handler fails a job with a human message by raising `JobError`;
any other exception fails it with a generic message and is logged with its traceback.

Transitions (see models/job.py): submit → queued; a worker takes it → running (attempts + 1);
the handler returns → succeeded, raises → failed, is cancelled → cancelled. Cancelling a queued
job cancels it at once. A graceful shutdown puts running jobs back to queued (the start is not
counted); at start-up a job still "running" (the process died) is requeued, or failed once it
has been started MAX_ATTEMPTS times. Queued jobs run when their kind is registered.

Handlers must not wait on futures of the same executor (a full pool would deadlock).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from db import Database
from models.common import utcnow
from models.job import FINISHED, UNFINISHED, Job, JobPublic, JobStatus
from processing.errors import Conflict, NotFound

log = logging.getLogger("lectern.jobs")

MAX_ATTEMPTS = 3
PERSIST_INTERVAL = 0.2  # at most ~5 progress writes per second per job, plus every step change
PUBLISH_INTERVAL = 0.05  # at most ~20 progress events per second per job, plus every step change
RECENT_FINISHED = 20  # finished jobs included in a snapshot

EVENT_TYPES = {
    JobStatus.queued: "job.progress",
    JobStatus.running: "job.progress",
    JobStatus.succeeded: "job.done",
    JobStatus.failed: "job.failed",
    JobStatus.cancelled: "job.cancelled",
}

Publish = Callable[[int, dict[str, Any]], None]


class JobError(Exception):
    """Raised by a handler: the job fails with this message, shown to the user as it is."""


class JobCancelled(Exception):
    """Raised inside a handler (by progress/check_cancelled) once the user asked to cancel."""


class JobInterrupted(JobCancelled):
    """The server is stopping: the job goes back to the queue and resumes at the next start."""


BACKGROUND_NICENESS = 10


def lower_thread_priority() -> None:
    """Executor initializer: this thread, the threads it starts and the processes it spawns (each
    Tesseract) run at nice +10, so the CPU goes to requests first — a review stays quick while a
    scan is OCRed on every core. Linux keeps a nice value per thread; elsewhere this does nothing."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)


def job_event(job: Job) -> dict[str, Any]:
    """The typed WebSocket event for the job's current state."""
    return {"type": EVENT_TYPES[JobStatus(job.status)], "job": JobPublic.of(job).model_dump(mode="json")}


# --- reading jobs (ownership is checked here and nowhere else) ------------------------------------


def get_owned_job(session: Session, *, owner_id: int, job_id: int, for_update: bool = False) -> Job:
    query = select(Job).where(Job.id == job_id)
    job = session.exec(query.with_for_update() if for_update else query).first()
    if job is None or job.owner_id != owner_id:
        raise NotFound("Job not found")
    return job


def list_jobs(session: Session, *, owner_id: int, status: JobStatus | None = None, limit: int = 50) -> list[Job]:
    query = select(Job).where(Job.owner_id == owner_id)
    if status is not None:
        query = query.where(Job.status == status)
    return list(session.exec(query.order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(limit)))


def snapshot(session: Session, *, owner_id: int) -> list[Job]:
    """Every unfinished job of the user and the most recent finished ones, newest first."""
    newest_first = (col(Job.created_at).desc(), col(Job.id).desc())
    mine = select(Job).where(Job.owner_id == owner_id)
    unfinished = session.exec(mine.where(col(Job.status).in_(UNFINISHED)).order_by(*newest_first)).all()
    finished = session.exec(
        mine.where(col(Job.status).in_(FINISHED)).order_by(*newest_first).limit(RECENT_FINISHED)
    ).all()
    return sorted([*unfinished, *finished], key=lambda j: (j.created_at, j.id), reverse=True)


# --- running jobs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    handler: Callable[[JobContext], dict[str, Any] | None]
    doing: str  # "reading the lecture": completes "Something went wrong while …"


class JobContext:
    """What a handler gets: its parameters and a progress callback."""

    def __init__(self, *, runner: JobRunner, job: Job, cancel_event: threading.Event) -> None:
        self._runner = runner
        self._job = job  # this run's view of the row; written through on (throttled) progress
        self._cancel_event = cancel_event
        self._persisted_at = self._published_at = time.monotonic()
        self.job_id: int = job.id
        self.owner_id = job.owner_id
        self.kind = job.kind
        self.attempt = job.attempts
        self.params: dict[str, Any] = json.loads(job.params or "{}")

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_event.is_set()

    def check_cancelled(self) -> None:
        if self._runner.stopping:
            raise JobInterrupted()
        if self._cancel_event.is_set():
            raise JobCancelled()

    def progress(
        self,
        *,
        step: str | None = None,
        current: int | None = None,
        total: int | None = None,
        message: str | None = None,
    ) -> None:
        """Records progress; raises JobCancelled (before recording anything) if the job should stop."""
        self.check_cancelled()
        job = self._job
        given = {"step": step, "current": current, "total": total, "message": message}
        changes = {name: value for name, value in given.items() if value is not None}
        new_total, new_current = changes.get("total", job.total), changes.get("current", job.current)
        force = changes.get("step", job.step) != job.step or (0 < new_total <= new_current and job.current < new_total)
        now = time.monotonic()
        if force or now - self._persisted_at >= self._runner.persist_interval:
            self._runner._persist_progress(job, changes)
            self._persisted_at = now
        else:
            for name, value in changes.items():
                setattr(job, name, value)
        if force or now - self._published_at >= self._runner.publish_interval:
            self._published_at = now
            self._runner._publish(job)


class JobRunner:
    """Owns job execution for the process: created in the lifespan with the database, the hub's
    publish function and the executor; `shutdown` at the end."""

    def __init__(
        self,
        *,
        database: Database,
        publish: Publish,
        executor: Executor,
        max_attempts: int = MAX_ATTEMPTS,
        persist_interval: float = PERSIST_INTERVAL,
        publish_interval: float = PUBLISH_INTERVAL,
    ) -> None:
        self._db = database
        self._publish_event = publish
        self._executor = executor
        self.max_attempts = max_attempts
        self.persist_interval = persist_interval
        self.publish_interval = publish_interval
        self._kinds: dict[str, _Kind] = {}
        self._lock = threading.Lock()
        self._scheduled: set[int] = set()  # job ids queued in the executor or running here
        self._futures: set[Future] = set()
        self._cancel_events: dict[int, threading.Event] = {}
        self._stopping = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def register(self, kind: str, handler: Callable[[JobContext], dict[str, Any] | None], *, doing: str = "") -> None:
        """Adds (or replaces) the handler of a kind and schedules that kind's waiting jobs."""
        self._kinds[kind] = _Kind(handler, doing or f"running the {kind} job")
        self._schedule_waiting(kinds=[kind])

    def submit(self, *, owner_id: int, kind: str, params: dict[str, Any] | None = None) -> Job:
        """Persists a queued job and schedules it; returns the row."""
        with self._db.transaction() as session:
            job = self.enqueue(session, owner_id=owner_id, kind=kind, params=params)
        self.dispatch(job)
        return job

    def enqueue(self, session: Session, *, owner_id: int, kind: str, params: dict[str, Any] | None = None) -> Job:
        """Adds a queued job to the caller's transaction (so it commits, or not, with the rows it is
        about); call `dispatch(job)` once that transaction has committed."""
        if kind not in self._kinds:
            raise ValueError(f"no handler is registered for jobs of kind {kind!r}")
        job = Job(owner_id=owner_id, kind=kind, params=json.dumps(params or {}), message="Waiting to start")
        session.add(job)
        session.flush()
        return job

    def dispatch(self, job: Job) -> None:
        """Announces a committed queued job and hands it to the executor."""
        self._publish(job)
        self._schedule(job.id)

    def cancel(self, *, owner_id: int, job_id: int) -> Job:
        """Queued: cancelled at once. Running: asked to stop at its next progress call."""
        with self._db.transaction() as session:
            job = get_owned_job(session, owner_id=owner_id, job_id=job_id, for_update=True)
            if job.status in FINISHED:
                raise Conflict(f"This job has already finished ({job.status})")
            self.request_cancel(session, job, signal=False)
        self._signal_cancel(job_id)
        return job

    def request_cancel(self, session: Session, job: Job, *, signal: bool = True) -> None:
        """Cancels an unfinished job inside the caller's transaction (queued: at once; running: at
        its next progress call)."""
        now = utcnow()
        if job.status == JobStatus.queued:
            job.status, job.message, job.finished_at = JobStatus.cancelled, "Cancelled", now
        else:
            job.cancel_requested = True
        job.updated_at = now
        session.add(job)
        # Published before the commit: the worker sees the cancellation (and publishes its final
        # event) only after the commit, so the browser gets the two events in order.
        self._publish(job)
        if signal:
            self._signal_cancel(job.id)

    def _signal_cancel(self, job_id: int) -> None:
        with self._lock:
            cancel_event = self._cancel_events.get(job_id)
        if cancel_event is not None:
            cancel_event.set()

    def resume_interrupted(self) -> tuple[int, int]:
        """At start-up: jobs left "running" by a dead process are requeued, or failed after
        MAX_ATTEMPTS starts; then every waiting job of a registered kind is scheduled.
        Returns (requeued, failed)."""
        requeued = failed = 0
        with self._db.transaction() as session:
            now = utcnow()
            for job in session.exec(select(Job).where(Job.status == JobStatus.running)).all():
                job.updated_at, job.cancel_requested = now, False
                if job.attempts >= self.max_attempts:
                    job.status, job.finished_at, job.message = JobStatus.failed, now, "Failed"
                    job.error = (
                        f"The server stopped while this job was running, {job.attempts} times; it was given up. "
                        "Start it again; if it keeps failing, the logs say why."
                    )
                    failed += 1
                else:
                    job.status, job.message = JobStatus.queued, "Resuming after a server restart"
                    requeued += 1
        if requeued or failed:
            log.warning("jobs interrupted by a restart", extra={"requeued": requeued, "failed": failed})
        self._schedule_waiting(kinds=list(self._kinds))
        return requeued, failed

    def shutdown(self, *, timeout: float = 10.0) -> None:
        """Stops taking work; running handlers stop at their next progress call and go back to the
        queue. Waits up to `timeout` seconds for them."""
        self._stopping.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            futures = list(self._futures)
        _, still_running = wait(futures, timeout=timeout)
        if still_running:
            log.warning(
                "jobs still running at shutdown; requeued at the next start", extra={"count": len(still_running)}
            )

    # --- internals ---------------------------------------------------------------------------------

    def _publish(self, job: Job) -> None:
        self._publish_event(job.owner_id, job_event(job))

    def _schedule(self, job_id: int) -> None:
        with self._lock:
            if job_id in self._scheduled or self.stopping:
                return
            self._scheduled.add(job_id)
            try:
                future = self._executor.submit(self._run, job_id)
            except RuntimeError:  # the executor has shut down: the job stays queued for the next start
                self._scheduled.discard(job_id)
                return
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)

    def _schedule_waiting(self, *, kinds: list[str]) -> None:
        if not kinds:
            return
        with self._db.session() as session:
            waiting = session.exec(
                select(Job.id)
                .where(Job.status == JobStatus.queued, col(Job.kind).in_(kinds))
                .order_by(col(Job.created_at), col(Job.id))
            ).all()
        for job_id in waiting:
            self._schedule(job_id)

    def _run(self, job_id: int) -> None:
        cancel_event = threading.Event()
        with self._lock:
            self._cancel_events[job_id] = cancel_event
        try:
            job = self._start(job_id)
            if job is not None:
                self._execute(JobContext(runner=self, job=job, cancel_event=cancel_event))
        except Exception:  # bookkeeping failed (e.g. the database): never lose it silently
            log.exception("job bookkeeping failed", extra={"job_id": job_id})
        finally:
            with self._lock:
                self._cancel_events.pop(job_id, None)
                self._scheduled.discard(job_id)

    def _start(self, job_id: int) -> Job | None:
        """queued → running, unless it was cancelled (or taken) meanwhile."""
        if self.stopping:
            return None
        with self._db.transaction() as session:
            job = session.exec(select(Job).where(Job.id == job_id).with_for_update()).first()
            if job is None or job.status != JobStatus.queued or job.kind not in self._kinds:
                return None
            now = utcnow()
            job.status, job.message, job.started_at, job.updated_at = JobStatus.running, "Started", now, now
            job.attempts += 1
        self._publish(job)
        return job

    def _execute(self, ctx: JobContext) -> None:
        job, kind = ctx._job, self._kinds[ctx.kind]
        try:
            result = kind.handler(ctx)
            if result is not None and not isinstance(result, dict):
                raise TypeError(f"a job handler returns a dict or None, not {type(result).__name__}")
            result_json = None if result is None else json.dumps(result)
        except JobInterrupted:
            self._requeue(job)
        except JobCancelled:
            self._finish(job, JobStatus.cancelled, message="Cancelled")
        except JobError as exc:
            self._finish(job, JobStatus.failed, message="Failed", error=str(exc) or f"Failed while {kind.doing}")
        except Exception:
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            error = f"Something went wrong while {kind.doing}; the error has been logged"
            self._finish(job, JobStatus.failed, message="Failed", error=error)
        else:
            self._finish(job, JobStatus.succeeded, message="Done", result=result_json)

    def _persist_progress(self, job: Job, changes: dict[str, Any]) -> None:
        """Writes the progress and applies it to `job`; raises JobCancelled instead (writing nothing)
        if the row was cancelled, possibly by another process, or is gone with its account."""
        now = utcnow()
        with self._db.transaction() as session:
            row = session.exec(
                select(Job.status, Job.cancel_requested).where(Job.id == job.id).with_for_update()
            ).first()
            if row is None or row[0] != JobStatus.running or row[1]:
                raise JobCancelled()
            values = {name: changes.get(name, getattr(job, name)) for name in ("step", "current", "total", "message")}
            session.execute(update(Job).where(col(Job.id) == job.id).values(**values, updated_at=now))
        for name, value in values.items():
            setattr(job, name, value)
        job.updated_at = now

    def _finish(
        self, job: Job, status: JobStatus, *, message: str, error: str | None = None, result: str | None = None
    ) -> None:
        now = utcnow()
        if status == JobStatus.succeeded and job.total:
            job.current = job.total  # done is 100%, whatever the last throttled report said
        values = dict(status=status, message=message, error=error, result=result, finished_at=now, updated_at=now)
        with self._db.transaction() as session:
            session.execute(
                update(Job)
                .where(col(Job.id) == job.id, col(Job.status) == JobStatus.running)
                .values(step=job.step, current=job.current, total=job.total, **values)
            )
        for name, value in values.items():
            setattr(job, name, value)
        self._publish(job)

    def _requeue(self, job: Job) -> None:
        """A clean stop at shutdown: back to the queue, and the start is not counted."""
        now = utcnow()
        with self._db.transaction() as session:
            session.execute(
                update(Job)
                .where(col(Job.id) == job.id, col(Job.status) == JobStatus.running)
                .values(
                    status=JobStatus.queued,
                    attempts=Job.attempts - 1,
                    step=job.step,
                    current=job.current,
                    total=job.total,
                    message="Interrupted by a server restart; it will resume",
                    updated_at=now,
                )
            )
        job.status, job.attempts, job.updated_at = JobStatus.queued, job.attempts - 1, now
        self._publish(job)
