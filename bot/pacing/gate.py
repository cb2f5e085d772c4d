"""A first-come, first-served queue in front of a budget that frees up over time or on events."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable

#: room(now) -> 0 when there is room now; else seconds until there may be room, or None: until woken
Room = Callable[[float], float | None]
#: spare(now) -> how many more there is room for now
Spare = Callable[[float], int]


class _Waiter:
    __slots__ = ("woken",)

    def __init__(self) -> None:
        self.woken: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self.woken is not None and not self.woken.done():
            self.woken.set_result(None)


class Gate:
    """Waiters take their turn in order; only the first in line watches the budget (no thundering herd).

    The first in line sleeps on a plain future with a timer, not `asyncio.wait_for`: that wraps the wait in
    a task of its own and takes two or three more turns of the event loop to wake, and on a busy loop
    every turn is late. The moment a slot frees is the moment a paced request should leave. For the same
    reason, a waiter that takes its turn wakes as many after it as there is still room for (`spare`), not
    just the next: they all go on the loop's next turn, one after another in their order, where waking
    one by one would let one through per turn and spread a window's worth of requests over many turns.
    """

    def __init__(self) -> None:
        self._line: deque[_Waiter] = deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    async def turn(self, room: Room, take: Callable[[], None], clock: Callable[[], float] | None = None,
                   spare: Spare | None = None) -> bool:
        """Wait until `room` says there is room, then `take` it (in the same step). True if it waited."""
        loop = asyncio.get_running_loop()
        now = clock or loop.time
        if not self._line and room(now()) == 0:
            take()
            return False
        me = _Waiter()
        self._line.append(me)
        try:
            while True:
                timeout: float | None = None
                if self._line[0] is me:
                    timeout = room(now())
                    if timeout == 0:
                        self._line.popleft()
                        take()
                        self.wake(spare(now()) if spare is not None else 1)  # the next look for room in turn
                        return True
                me.woken = loop.create_future()
                timer = loop.call_later(timeout, me.wake) if timeout is not None else None
                try:
                    await me.woken
                finally:
                    if timer is not None:
                        timer.cancel()
        except BaseException:
            if me in self._line:
                first = self._line[0] is me
                self._line.remove(me)
                if first:
                    self.wake()
            raise

    def wake(self, n: int = 1) -> None:
        """The budget changed: the first in line looks again (and the `n - 1` after it, in the same turn)."""
        for waiter in itertools.islice(self._line, max(1, n)):
            waiter.wake()
