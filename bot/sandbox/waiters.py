"""A tiny "wait until a predicate holds" primitive shared by the sandbox's components."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Waiters:
    def __init__(self) -> None:
        self._futures: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake every waiter so it re-checks its predicate (call from the event loop's thread)."""
        futures, self._futures = self._futures, set()
        for f in futures:
            if not f.done():
                f.set_result(None)

    async def wait_for(self, probe: Callable[[], T | None], timeout: float) -> T:
        """Return probe()'s first non-None value; raise TimeoutError after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            v = probe()
            if v is not None:
                return v
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout:.2f}s")
            fut: asyncio.Future[None] = loop.create_future()
            self._futures.add(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except TimeoutError:
                pass
            finally:
                self._futures.discard(fut)
