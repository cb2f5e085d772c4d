"""Helpers shared by test modules (test modules never import each other's helpers)."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _SkippingSelector(selectors.DefaultSelector):
    """Waits for real I/O only when nothing is scheduled; otherwise jumps the loop's clock to the next timer."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout <= 0:
            return super().select(timeout)
        ready = super().select(0)
        if not ready:
            self._loop.advance(timeout)
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop on a fake clock: `loop.time()` starts at 0 and moves only when the loop would sleep.

    Sleeps, timeouts and `call_later` take no real time, so code that paces itself on the loop can be
    tested for *when* it acts, exactly, without a timing assertion on the machine's real clock. Real I/O
    (a database thread, a socket) still works: when no timer is due the loop waits for it as usual.
    """

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(selector=_SkippingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


def run_on_virtual_clock(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion on a fresh VirtualClockLoop."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
