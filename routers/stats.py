"""Study statistics: one endpoint, every figure (heatmap, retention, forecast, streaks, time, decks, states)."""

from fastapi import APIRouter

from models.common import utcnow
from models.stats import Stats
from processing import stats as stats_service
from routers.deps import CurrentUser, SessionDep

router = APIRouter(prefix="/api/stats", tags=["stats"])


@router.get("")
def get_stats(session: SessionDep, user: CurrentUser, deck_id: int | None = None) -> Stats:
    """In the user's time zone and day start hour; `deck_id` narrows every figure to one deck."""
    return stats_service.stats(session, user=user, now=utcnow(), deck_id=deck_id)
