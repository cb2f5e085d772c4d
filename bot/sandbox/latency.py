"""Simulated network distance: every REST request and response travels half a round trip, with jitter.

Discord is tens of milliseconds away, not on loopback. A request reaches the server (and counts against the
rate limits) half a round trip after it was sent, and its response comes back half a round trip later; each
leg varies by up to ``jitter / 2`` either way, independently, so the whole round trip is
``round_trip +- jitter``. Only the REST API is delayed (the gateway's dispatches are not).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Latency:
    round_trip: float = 0.0  # seconds
    jitter: float = 0.0  # seconds, the most a round trip differs from `round_trip` either way
    rng: random.Random = field(default_factory=random.Random)
    prefix: str = "/api/"  # what is delayed: the REST API, not the gateway's websocket or the CDN

    def __post_init__(self) -> None:
        if self.round_trip < 0 or self.jitter < 0 or self.jitter > self.round_trip:
            raise ValueError("latency needs 0 <= jitter <= round_trip")

    @property
    def enabled(self) -> bool:
        return self.round_trip > 0

    def leg(self) -> float:
        """Seconds for one direction of one request."""
        half = self.jitter / 2
        return self.round_trip / 2 + (self.rng.uniform(-half, half) if half else 0.0)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.enabled or not request.path.startswith(self.prefix):
            return await handler(request)
        await asyncio.sleep(self.leg())  # the request on its way: rate limits count it on arrival
        response = await handler(request)
        await asyncio.sleep(self.leg())  # the response on its way back
        return response
