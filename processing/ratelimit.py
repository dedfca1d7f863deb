"""Login rate limiting (the `limits` package, moving window, in memory — one process).

Only failed attempts count, per client address and per account, so a class behind one
NAT address can still log in while guessing a password is slowed to the configured rate."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from processing.errors import RateLimited


class LoginLimiter:
    def __init__(self, rate: str) -> None:
        self._limit = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @staticmethod
    def _keys(client: str, email: str) -> tuple[str, str]:
        return f"ip:{client}", f"email:{email.strip().lower()}"

    def check(self, *, client: str, email: str) -> None:
        """Raises RateLimited (429 + Retry-After) when either key has used up its failures."""
        for key in self._keys(client, email):
            if not self._limiter.test(self._limit, "login", key):
                reset_at, _remaining = self._limiter.get_window_stats(self._limit, "login", key)
                retry = max(1, math.ceil(reset_at - time.time()))
                raise RateLimited(f"Too many failed logins; try again in {retry} seconds", retry_after=retry)

    def failed(self, *, client: str, email: str) -> None:
        for key in self._keys(client, email):
            self._limiter.hit(self._limit, "login", key)
