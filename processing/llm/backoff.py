"""When to try a model request again: exponential backoff, or the server's own Retry-After, capped."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

ATTEMPTS = 3  # the first try and two retries
BACKOFF_SECONDS = 1.0  # waits of 1 s, then 2 s
MAX_WAIT_SECONDS = 30.0
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def retry_wait(attempt: int, *, backoff: float, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_WAIT_SECONDS)
    return min(backoff * 2 ** (attempt - 1), MAX_WAIT_SECONDS)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def parse_duration(value: object) -> float | None:
    """Seconds from a protobuf Duration as JSON ("2s", "0.5s"), as in Google's RetryInfo.retryDelay."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return max(float(value[:-1]), 0.0)
    except ValueError:
        return None
