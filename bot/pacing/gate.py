"""A first-come, first-served queue in front of a budget that frees up over time or on events."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

#: room(now) -> 0 when there is room now; else seconds until there may be room, or None: until woken
Room = Callable[[float], float | None]


class Gate:
    """Waiters take their turn in order; only the first in line watches the budget (no thundering herd)."""

    def __init__(self) -> None:
        self._line: deque[asyncio.Event] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    async def turn(self, room: Room, take: Callable[[], None], clock: Callable[[], float] | None = None) -> bool:
        """Wait until `room` says there is room, then `take` it (in the same step). True if it waited."""
        now = clock or asyncio.get_running_loop().time
        if not self._line and room(now()) == 0:
            take()
            return False
        me = asyncio.Event()
        self._line.append(me)
        try:
            while True:
                timeout: float | None = None
                if self._line[0] is me:
                    timeout = room(now())
                    if timeout == 0:
                        self._line.popleft()
                        take()
                        self.wake()  # the next in line looks for room in its turn
                        return True
                me.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(me.wait(), timeout)
        except BaseException:
            if me in self._line:
                first = self._line[0] is me
                self._line.remove(me)
                if first:
                    self.wake()
            raise

    def wake(self) -> None:
        """The budget changed: the first in line looks again."""
        if self._line:
            self._line[0].set()
