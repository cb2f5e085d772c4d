"""DM pacing: Discord limits how fast a bot may open conversations, whatever the per-route limits say."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pacer:
    """Spaces sends `1/rate` seconds apart."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        now = self.clock()
        if self._next > now:
            await asyncio.sleep(self._next - now)
            now = self.clock()
        self._next = max(self._next, now) + self.interval
