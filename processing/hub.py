"""The WebSocket hub: per-user fan-out of typed events to every open socket (tab) of that user.

`Hub.publish` is the one function every event goes through, from any thread. It is the seam
for running several replicas later: a Redis-backed hub would publish to a channel there and
deliver what a listener task receives with `_deliver`; nothing else would change.

Events are dicts with a `type`; job events are
`{"type": "job.progress" | "job.done" | "job.failed" | "job.cancelled", "job": JobPublic}`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

log = logging.getLogger("lectern.hub")

Event = dict[str, Any]
QUEUE_SIZE = 256


class Hub:
    """Subscribers are bounded asyncio queues, one per socket, owned by the event loop the hub
    was created on. Worker threads never touch them: `publish` hands the event to the loop with
    `call_soon_threadsafe`. A subscriber that falls behind loses its oldest events (progress
    is superseded by later progress; the final event of a job is always the newest)."""

    def __init__(self, *, loop: asyncio.AbstractEventLoop, queue_size: int = QUEUE_SIZE) -> None:
        self._loop = loop
        self._queue_size = queue_size
        self._subscribers: dict[int, set[asyncio.Queue[Event]]] = {}
        self.dropped = 0  # events dropped from slow subscribers' queues, for diagnostics

    def publish(self, user_id: int, event: Event) -> None:
        """Delivers `event` to every socket of `user_id`. Safe from any thread; never blocks."""
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._deliver(user_id, event)
            return
        with suppress(RuntimeError):  # the loop has closed (shutting down): nobody is listening
            self._loop.call_soon_threadsafe(self._deliver, user_id, event)

    @asynccontextmanager
    async def subscribe(self, user_id: int) -> AsyncIterator[asyncio.Queue[Event]]:
        """A queue receiving every event published for `user_id` while the block runs."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=self._queue_size)
        self._subscribers.setdefault(user_id, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._subscribers.get(user_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[user_id]

    def subscriber_count(self, user_id: int) -> int:
        return len(self._subscribers.get(user_id, ()))

    def offer(self, queue: asyncio.Queue[Event], event: Event) -> None:
        """Puts `event` on one queue (on the loop), dropping its oldest event if it is full."""
        if queue.full():
            with suppress(asyncio.QueueEmpty):
                queue.get_nowait()
                self.dropped += 1
                log.debug("slow subscriber: dropped its oldest event", extra={"dropped": self.dropped})
        queue.put_nowait(event)

    def _deliver(self, user_id: int, event: Event) -> None:
        for queue in tuple(self._subscribers.get(user_id, ())):
            self.offer(queue, event)
