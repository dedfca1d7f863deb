"""Notices to one user (a shared deck they studied was deleted or made private): stored, listed unread
first, marked read, and announced live as `{"type": "notice", "notice": NoticePublic}` events.

Domain code never sees the WebSocket hub: callers pass `publish(user_id, event)` (the hub's, in the
app) and publish only after the notices are committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select

from models.common import utcnow
from models.notice import Notice, NoticeKind, NoticeList, NoticePublic
from processing.errors import NotFound

Publish = Callable[[int, dict[str, Any]], None]
LIST_LIMIT = 100


def add_notices(session: Session, *, user_ids: list[int], kind: NoticeKind, message: str) -> list[Notice]:
    """One notice per user, flushed (ids known), not committed."""
    notices = [Notice(user_id=u, kind=kind, message=message[:500]) for u in user_ids]
    session.add_all(notices)
    session.flush()
    return notices


def notice_public(notice: Notice) -> NoticePublic:
    return NoticePublic.model_validate(notice, from_attributes=True)


def notice_event(notice: Notice) -> dict[str, Any]:
    return {"type": "notice", "notice": notice_public(notice).model_dump(mode="json")}


def publish_notices(publish: Publish, notices: list[Notice]) -> None:
    for notice in notices:
        publish(notice.user_id, notice_event(notice))


def list_notices(session: Session, *, user_id: int) -> NoticeList:
    """Unread first, newest first within each group; the newest LIST_LIMIT."""
    unread_first = Notice.read_at.is_not(None)  # False (unread) sorts before True
    rows = session.exec(
        select(Notice)
        .where(Notice.user_id == user_id)
        .order_by(unread_first, Notice.created_at.desc(), Notice.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    unread = session.exec(
        select(func.count()).select_from(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    ).one()
    return NoticeList(items=[notice_public(n) for n in rows], unread=unread)


def mark_read(session: Session, *, user_id: int, notice_id: int) -> NoticePublic:
    notice = session.get(Notice, notice_id)
    if notice is None or notice.user_id != user_id:
        raise NotFound("Notice not found")
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.add(notice)
        session.commit()
    return notice_public(notice)


def mark_all_read(session: Session, *, user_id: int) -> int:
    result = session.exec(
        update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    session.commit()
    return result.rowcount
