"""Group commit: one write per batch, each caller its own result, the batch's error to each caller."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.core.batching import GroupCommit


class Recorder:
    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_on = fail_on
        self.gate = asyncio.Event()
        self.gate.set()

    async def write(self, keys: Sequence[str]) -> list[str]:
        self.batches.append(list(keys))
        await self.gate.wait()
        await asyncio.sleep(0)
        if self.fail_on in keys:
            raise ConnectionError("database went away")
        return [k.upper() for k in keys]


async def test_a_lone_call_is_written_at_once() -> None:
    rec = Recorder()
    assert await GroupCommit(rec.write).submit("a") == "A"
    assert rec.batches == [["a"]]


async def test_calls_arriving_during_a_write_share_the_next_batch() -> None:
    rec = Recorder()
    rec.gate.clear()
    group = GroupCommit(rec.write)
    first = asyncio.create_task(group.submit("a"))
    await asyncio.sleep(0.01)  # the first write is in flight
    rest = [asyncio.create_task(group.submit(k)) for k in "bcdef"]
    await asyncio.sleep(0.01)
    rec.gate.set()
    assert await first == "A"
    assert [await t for t in rest] == list("BCDEF")
    assert rec.batches == [["a"], list("bcdef")]
    assert (group.batches, group.items) == (2, 6)


async def test_the_same_key_twice_at_once_goes_in_separate_batches() -> None:
    rec = Recorder()
    group = GroupCommit(rec.write)
    results = await asyncio.gather(*(group.submit(k) for k in ["a", "b", "a", "a"]))
    assert results == ["A", "B", "A", "A"]
    assert all(len(batch) == len(set(batch)) for batch in rec.batches)
    assert sum(len(b) for b in rec.batches) == 4


async def test_batches_are_bounded() -> None:
    rec = Recorder()
    group = GroupCommit(rec.write, max_batch=3)
    await asyncio.gather(*(group.submit(str(i)) for i in range(10)))
    assert max(len(b) for b in rec.batches) <= 3
    assert sorted(k for b in rec.batches for k in b) == sorted(str(i) for i in range(10))


async def test_a_failed_write_fails_each_of_its_callers_and_not_the_next_batch() -> None:
    rec = Recorder(fail_on="b")
    rec.gate.clear()
    group = GroupCommit(rec.write)
    first = asyncio.create_task(group.submit("z"))
    await asyncio.sleep(0.01)
    batch = [asyncio.create_task(group.submit(k)) for k in "abc"]
    await asyncio.sleep(0.01)
    rec.gate.set()
    assert await first == "Z"
    for task in batch:
        with pytest.raises(ConnectionError):
            await task
    assert await group.submit("d") == "D"  # the group still works


async def test_a_cancelled_caller_is_not_written() -> None:
    rec = Recorder()
    rec.gate.clear()
    group = GroupCommit(rec.write)
    first = asyncio.create_task(group.submit("a"))
    await asyncio.sleep(0.01)
    gone = asyncio.create_task(group.submit("b"))
    kept = asyncio.create_task(group.submit("c"))
    await asyncio.sleep(0.01)
    gone.cancel()
    rec.gate.set()
    assert await first == "A" and await kept == "C"
    assert rec.batches == [["a"], ["c"]]
