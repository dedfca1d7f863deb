"""Login rate limiting (the `limits` package, moving window, in memory — one process).

Only failed attempts count. An account gets the configured rate; a client address gets ten
times as much, so one student's typos behind a school's NAT (or a reverse proxy) do not
lock out the class, while guessing across many accounts from one address is still slowed."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from processing.errors import RateLimited


class LoginLimiter:
    ADDRESS_FACTOR = 10

    def __init__(self, rate: str) -> None:
        per_account = parse(rate)
        per_address = type(per_account)(per_account.amount * self.ADDRESS_FACTOR, per_account.multiples)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limits = {"account": per_account, "address": per_address}

    def _keys(self, client: str, email: str):
        yield self._limits["address"], f"ip:{client}"
        yield self._limits["account"], f"email:{email.strip().lower()}"

    def check(self, *, client: str, email: str) -> None:
        """Raises RateLimited (429 + Retry-After) when either key has used up its failures."""
        for limit, key in self._keys(client, email):
            if not self._limiter.test(limit, "login", key):
                reset_at, _remaining = self._limiter.get_window_stats(limit, "login", key)
                retry = max(1, math.ceil(reset_at - time.time()))
                raise RateLimited(f"Too many failed logins; try again in {retry} seconds", retry_after=retry)

    def failed(self, *, client: str, email: str) -> None:
        for limit, key in self._keys(client, email):
            self._limiter.hit(limit, "login", key)
