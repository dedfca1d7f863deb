"""Search across the caller's lectures (keywords and meaning)."""

from typing import Annotated

from fastapi import APIRouter, Query

from models.lecture import SearchResults
from processing import search as search_service
from routers.deps import CurrentUser, EmbedderDep, SessionDep, VectorIndexDep

router = APIRouter(prefix="/api/search", tags=["search"])


@router.get("")
def search(
    session: SessionDep,
    user: CurrentUser,
    embedder: EmbedderDep,
    index: VectorIndexDep,
    q: Annotated[str, Query(max_length=search_service.MAX_QUERY_CHARS)],
    course_id: int | None = None,
    lecture_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResults:
    """Best pages first, one result per page; `semantic` is false while the model is loading."""
    return search_service.search(
        session,
        index=index,
        embedder=embedder,
        owner_id=user.id,
        query=q,
        course_id=course_id,
        lecture_id=lecture_id,
        limit=limit,
    )
