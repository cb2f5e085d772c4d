"""Group commit: many callers' small writes done as one transaction, without adding a delay.

The first call starts a drain; while its batch is being written, later calls queue, and the next batch
takes all of them. Under a burst, N claims cost one round trip and one commit instead of N; when the bot is
quiet a call is written at once, as before. Each caller gets its own result, or the batch's exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")


class GroupCommit(Generic[K, R]):
    """`await submit(key)` runs `write(keys)` for a batch of distinct keys; a key asked for twice at once
    goes in the next batch, so a write never sees the same key twice."""

    def __init__(self, write: Callable[[Sequence[K]], Awaitable[Sequence[R]]], max_batch: int = 256) -> None:
        self._write = write
        self.max_batch = max_batch
        self._queue: list[tuple[K, asyncio.Future[R]]] = []
        self._drain: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def submit(self, key: K) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((key, future))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.get_running_loop().create_task(self._run(), name="group-commit")
        return await future

    def _next_batch(self) -> list[tuple[K, asyncio.Future[R]]]:
        batch: list[tuple[K, asyncio.Future[R]]] = []
        seen: set[K] = set()
        rest: list[tuple[K, asyncio.Future[R]]] = []
        for key, future in self._queue:
            if future.done():  # its caller was cancelled: nothing to write for it
                continue
            if key in seen or len(batch) >= self.max_batch:
                rest.append((key, future))
            else:
                seen.add(key)
                batch.append((key, future))
        self._queue = rest
        return batch

    async def _run(self) -> None:
        while self._queue:
            batch = self._next_batch()
            if not batch:
                continue
            try:
                results = await self._write([key for key, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
            except BaseException as exc:  # every caller of the batch hears of it, as if it had written alone
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    for _, future in self._queue:
                        future.cancel()
                    self._queue.clear()
                    raise
                continue
            self.batches += 1
            self.items += len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def close(self) -> None:
        """Wait for what is queued to be written."""
        if self._drain is not None and not self._drain.done():
            await asyncio.wait({self._drain})
