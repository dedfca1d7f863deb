"""Notices: what other users did that concerns you (a shared deck deleted or made private)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import SQLModel

from models.notice import NoticeList, NoticePublic
from processing import notices
from processing.notices import Publish
from routers.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/notices", tags=["notices"])


async def get_publish(request: Request) -> Publish:
    """The hub's publish function, for domain code that announces events after committing."""
    return request.app.state.hub.publish


PublishDep = Annotated[Publish, Depends(get_publish)]


class MarkedRead(SQLModel):
    marked: int


@router.get("")
def list_notices(session: SessionDep, user: CurrentUser) -> NoticeList:
    """Unread first, then newest first; also live over /ws as {"type": "notice", "notice": …}."""
    return notices.list_notices(session, user_id=user.id)


@router.post("/read-all")
def read_all(session: SessionDep, user: CurrentUser) -> MarkedRead:
    return MarkedRead(marked=notices.mark_all_read(session, user_id=user.id))


@router.post("/{notice_id}/read")
def read_notice(notice_id: int, session: SessionDep, user: CurrentUser) -> NoticePublic:
    return notices.mark_read(session, user_id=user.id, notice_id=notice_id)
