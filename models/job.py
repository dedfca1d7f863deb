"""Jobs: one persisted row per long task (ingest, card generation, documents, import).

Status transitions (enforced by conditional UPDATEs in processing/jobs.py):

    queued ──▶ running ──▶ succeeded | failed | cancelled
    queued ──▶ cancelled                     (cancelled before it started)
    running ──▶ queued                       (graceful shutdown, or found "running" at start-up:
                                              the process died under it; it is resumed)
    running ──▶ failed                       (found "running" at start-up after MAX_ATTEMPTS
                                              starts: it is given up with a message)

`attempts` counts starts (queued → running). Nothing is ever left "running" across a restart.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from models.common import UTCDateTime, utcnow


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


UNFINISHED = frozenset({JobStatus.queued, JobStatus.running})
FINISHED = frozenset({JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled})


class Job(SQLModel, table=True):
    __table_args__ = (
        Index("ix_job_owner_created", "owner_id", "created_at"),
        Index("ix_job_status", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=64, sa_type=String(64))
    # Stored as text, not a database enum, so a new status needs no ALTER TYPE on PostgreSQL.
    status: JobStatus = Field(default=JobStatus.queued, sa_type=String(16))
    step: str = Field(default="", sa_type=String())
    current: int = 0
    total: int = 0  # 0 = not known (yet)
    message: str = Field(default="", sa_type=String())
    error: str | None = Field(default=None, sa_type=String())
    params: str = Field(default="{}", sa_type=Text())  # JSON
    result: str | None = Field(default=None, sa_type=Text())  # JSON
    cancel_requested: bool = False
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobPublic(SQLModel):
    """A job as the API and the WebSocket events show it (the same shape in both)."""

    id: int
    kind: str
    status: JobStatus
    step: str
    current: int
    total: int
    message: str
    error: str | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    cancel_requested: bool
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status,
            step=job.step,
            current=job.current,
            total=job.total,
            message=job.message,
            error=job.error,
            params=json.loads(job.params or "{}"),
            result=None if job.result is None else json.loads(job.result),
            cancel_requested=job.cancel_requested,
            attempts=job.attempts,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            updated_at=job.updated_at,
        )
