"""Card generation from lectures, the drafts it makes, and the language model provider."""

from typing import Annotated

from fastapi import APIRouter, Body, Query, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from models.draft import DraftBulk, DraftEdit, DraftPublic, DraftStatus, GenerateRequest, ProviderCheck, ProviderInfo
from models.job import JobPublic
from models.note import BulkResult, NotePublic
from processing import drafts, llm
from routers.deps import CurrentUser, JobRunnerDep, SessionDep, SettingsDep

router = APIRouter(tags=["cards from lectures"])


class DraftAccepted(BaseModel):
    draft: DraftPublic
    note: NotePublic


@router.post("/api/lectures/{lecture_id}/cards", status_code=status.HTTP_202_ACCEPTED)
def generate_cards(
    lecture_id: int, data: GenerateRequest, session: SessionDep, user: CurrentUser, runner: JobRunnerDep
) -> JobPublic:
    """Starts a job that writes up to `target` cited card drafts into the deck (202 with the job;
    409 while the lecture is being read, 422 for a page range outside it)."""
    job = drafts.start_generation(session, runner=runner, user=user, lecture_id=lecture_id, request=data)
    return JobPublic.of(job)


@router.get("/api/drafts")
def list_drafts(
    session: SessionDep,
    user: CurrentUser,
    deck_id: int | None = None,
    lecture_id: int | None = None,
    job_id: int | None = None,
    draft_status: Annotated[DraftStatus | None, Query(alias="status")] = DraftStatus.pending,
) -> list[DraftPublic]:
    """Best first; pending ones unless `status` says otherwise."""
    return drafts.list_drafts(
        session, user=user, deck_id=deck_id, lecture_id=lecture_id, job_id=job_id, status=draft_status
    )


@router.patch("/api/drafts/{draft_id}")
def edit_draft(draft_id: int, data: DraftEdit, session: SessionDep, user: CurrentUser) -> DraftPublic:
    return drafts.edit_draft(session, user=user, draft_id=draft_id, edit=data)


@router.post("/api/drafts/{draft_id}/accept")
def accept_draft(
    draft_id: int, session: SessionDep, user: CurrentUser, data: Annotated[DraftEdit | None, Body()] = None
) -> DraftAccepted:
    """Makes the draft a card in its deck (with any edits given), citing its lecture page."""
    draft, note = drafts.accept_draft(session, user=user, draft_id=draft_id, edit=data)
    return DraftAccepted(draft=draft, note=note)


@router.post("/api/drafts/{draft_id}/reject")
def reject_draft(draft_id: int, session: SessionDep, user: CurrentUser) -> DraftPublic:
    return drafts.reject_draft(session, user=user, draft_id=draft_id)


@router.post("/api/drafts/bulk")
def bulk_drafts(data: DraftBulk, session: SessionDep, user: CurrentUser) -> BulkResult:
    """Accepts or rejects every listed pending draft, or none (404/409 name the first problem)."""
    return BulkResult(affected=drafts.bulk(session, user=user, request=data))


@router.get("/api/llm")
def provider_info(user: CurrentUser, settings: SettingsDep) -> ProviderInfo:
    """Which provider writes cards and answers (set by LECTERN_LLM; never shows keys)."""
    return ProviderInfo(**llm.describe(settings))


@router.post("/api/llm/test")
async def test_provider(user: CurrentUser, settings: SettingsDep) -> ProviderCheck:
    """Sends the configured provider a tiny request and says, in words, whether it answered."""
    provider = llm.provider_from_settings(settings)
    if provider is None:
        return ProviderCheck(ok=True, message="The built-in generator works offline: there is nothing to connect to.")
    try:
        return ProviderCheck(ok=True, message=await run_in_threadpool(provider.test_connection))
    except llm.ProviderError as error:
        return ProviderCheck(ok=False, message=str(error))
