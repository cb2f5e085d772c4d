"""bot/pacing/gate.py: first come, first served, and a woken waiter goes on the loop's next pass."""

from __future__ import annotations

import asyncio

from bot.pacing.gate import Gate


class Budget:
    def __init__(self, free: int) -> None:
        self.free = free
        self.taken: list[int] = []

    def room(self, now: float) -> float | None:
        return 0 if self.free > 0 else 60.0  # (some budgets free up by themselves: the waiter sets a timer)

    def take(self) -> None:
        self.free -= 1

    def spare(self, now: float) -> int:
        return self.free


async def test_a_woken_waiter_takes_its_turn_on_the_next_pass_of_the_loop() -> None:
    # on a busy loop every pass is late: the moment room frees is the moment the paced request should go
    gate, budget = Gate(), Budget(0)
    done: list[int] = []

    async def wait(i: int) -> None:
        await gate.turn(budget.room, budget.take)
        done.append(i)

    waiter = asyncio.create_task(wait(1))
    try:
        await asyncio.sleep(0)
        assert gate.waiting == 1
        budget.free = 1
        gate.wake()
        await asyncio.sleep(0)  # one pass
        assert done == [1]
    finally:
        waiter.cancel()


async def test_waiters_go_in_order_and_a_cancelled_one_does_not_block_the_line() -> None:
    gate, budget = Gate(), Budget(0)
    done: list[int] = []

    async def wait(i: int) -> None:
        await gate.turn(budget.room, budget.take)
        done.append(i)

    tasks = [asyncio.create_task(wait(i)) for i in range(4)]
    await asyncio.sleep(0)
    tasks[0].cancel()  # the first in line gives up
    budget.free = 3
    gate.wake()
    await asyncio.wait_for(asyncio.gather(*tasks[1:]), 30)  # (not a timing check: a stuck line would hang)
    assert done == [1, 2, 3]
    assert gate.waiting == 0
    assert tasks[0].cancelled()


async def waiters_after_room_frees(n: int, room: int, woken: int, passes: int) -> list[int]:
    """n waiters; room frees for `room` of them and the gate is told to wake `woken`: who went after `passes`."""
    gate, budget = Gate(), Budget(0)
    done: list[int] = []

    async def wait(i: int) -> None:
        await gate.turn(budget.room, budget.take, spare=budget.spare)
        done.append(i)

    tasks = [asyncio.create_task(wait(i)) for i in range(n)]
    try:
        await asyncio.sleep(0)
        budget.free = room
        gate.wake(woken)
        for _ in range(passes):
            await asyncio.sleep(0)
        assert gate.waiting == n - len(done)
        return done
    finally:
        for t in tasks:
            t.cancel()


async def test_when_room_for_several_frees_they_all_go_at_once_not_one_per_pass_of_the_loop() -> None:
    # one per pass would spread a window's worth of paced requests over as many passes of a busy loop
    assert await waiters_after_room_frees(6, room=5, woken=5, passes=1) == [0, 1, 2, 3, 4]
    # woken one: the first, taking its turn, wakes as many after it as there is room left for
    assert await waiters_after_room_frees(6, room=5, woken=1, passes=2) == [0, 1, 2, 3, 4]
