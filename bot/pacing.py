"""Discord's global limit (50 requests per second per bot), respected up front.

discord.py learns the global limit only from 429 responses, and a burst of waiting requests then
retries together and can exhaust its 5 tries (the message is lost) while every 429 counts towards
Discord's invalid-request ban. Pacing bot-token requests client-side avoids both
(bench/bench_e2e.py measures it). Interaction responses and webhooks are exempt, as on Discord.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import discord


class GlobalPacer:
    """At most `limit` requests in any sliding `window` seconds."""

    def __init__(self, limit: int = 50, window: float = 1.05) -> None:
        self.limit = limit
        self.window = window
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self.window - (now - self._sent[0]) + 0.001)


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
        async with lock:
            await pacer.acquire()
            return await original(route, **kwargs)

    http.request = request  # type: ignore[method-assign]
