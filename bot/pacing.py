"""Discord's global limit (50 requests per second per bot), respected up front.

discord.py learns the global limit only from 429 responses, and a burst of waiting requests then
retries together and can exhaust its 5 tries (the message is lost) while every 429 counts towards
Discord's invalid-request ban. Pacing bot-token requests client-side avoids both
(bench/bench_e2e.py measures it). Interaction responses and webhooks are exempt, as on Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import discord


class GlobalPacer:
    """At most `limit` requests reach the server in any `window` seconds.

    A request holds its slot from the moment it is let through until `window` after its response:
    whenever it actually left the event loop, it reached the server before its response came back,
    so two requests that can meet in one server-side window are always counted together. (Counting
    from the moment a request is let through was not enough: on a busy loop requests leave late and
    bunch up with the next window's, which measured as 20-35 429s per 300-DM burst.)
    """

    def __init__(self, limit: int = 50, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._in_flight = 0
        self._finished: deque[float] = deque()  # response times of the last `window` seconds
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._changed:
            while True:
                now = loop.time()
                while self._finished and now - self._finished[0] >= self.window:
                    self._finished.popleft()
                if self._in_flight + len(self._finished) < self.limit:
                    self._in_flight += 1
                    break
                wait = self.window - (now - self._finished[0]) if self._finished else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._finished.append(loop.time())
                self._changed.notify_all()


def pace(http: discord.http.HTTPClient, pacer: GlobalPacer) -> None:
    """Make every bot-token REST request of this client wait for a slot of the pacer.

    Requests to the same route (say, messages in one channel) also go one at a time. discord.py
    updates a bucket's remaining budget from each response, so requests sent in parallel to one
    bucket overrun it (429s, measured in tests/e2e); Discord's per-route limits (about 5 per 5 s)
    are far below what sequential requests can do, so this costs nothing.
    """
    original = http.request
    routes: dict[str, asyncio.Lock] = {}

    async def request(route: discord.http.Route, **kwargs: Any) -> Any:
        if route.path.startswith(("/interactions/", "/webhooks/")):
            return await original(route, **kwargs)
        key = f"{route.key}:{route.major_parameters}"
        lock = routes.get(key)
        if lock is None:
            if len(routes) > 10_000:  # forget idle routes
                for k in [k for k, v in routes.items() if not v.locked()]:
                    del routes[k]
            lock = routes[key] = asyncio.Lock()
        async with lock, pacer.slot():
            return await original(route, **kwargs)

    http.request = request  # type: ignore[method-assign]
