"""bot/pacing/window.py: the global window counts requests from when they left, on a clock the test moves."""

from __future__ import annotations

import asyncio

from bot.pacing.window import GlobalPacer, Ticket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def take(pacer: GlobalPacer, n: int) -> list[Ticket]:
    return [await pacer.acquire() for _ in range(n)]


async def test_a_slot_frees_one_window_after_its_request_left_whatever_the_round_trip() -> None:
    clock = Clock()
    pacer = GlobalPacer(limit=3, window=1.0, min_margin=0.01, clock=clock)
    tickets = await take(pacer, 3)
    for t in tickets:
        pacer.sent(t)
    assert pacer._room(clock()) != 0
    clock.now = 0.3  # a long round trip: the responses arrive 0.3 s after the requests left
    for t in tickets:
        pacer.answered(t)
        pacer.release(t)
    clock.now = 0.99
    assert pacer._room(clock()) != 0
    clock.now = 1.0 + pacer.margin + 0.001  # one window after they LEFT, not one window after the responses
    assert pacer._room(clock()) == 0


async def test_a_request_not_yet_gone_holds_its_slot_until_it_leaves() -> None:
    clock = Clock()
    pacer = GlobalPacer(limit=2, window=1.0, clock=clock)
    first, _second = await take(pacer, 2)
    clock.now = 5.0
    assert pacer._room(clock()) is None  # neither has left: their slots have no end yet
    pacer.sent(first)  # the first leaves late, on a busy loop: its window starts now, not when let through
    wait = pacer._room(clock())
    assert wait is not None
    assert wait > 1.0
    clock.now = 6.1
    assert pacer._room(clock()) == 0


async def test_waiters_are_let_through_in_order_as_slots_free() -> None:
    clock = Clock()
    pacer = GlobalPacer(limit=1, window=1.0, min_margin=0.0, clock=clock)
    first = await pacer.acquire()
    pacer.sent(first)
    order: list[int] = []

    async def wait(i: int) -> None:
        pacer.sent(await pacer.acquire())
        order.append(i)

    tasks = [asyncio.create_task(wait(i)) for i in range(3)]
    await asyncio.sleep(0)
    assert pacer.waiting == 3
    for expected in range(3):
        clock.now += 1.01
        pacer._gate.wake()
        while len(order) <= expected:
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]


async def test_a_global_429_widens_the_margin() -> None:
    clock = Clock()
    pacer = GlobalPacer(limit=5, window=1.0, min_margin=0.005, clock=clock)
    before = pacer.margin
    t = await pacer.acquire()
    pacer.sent(t)
    pacer.answered(t, global_429=True)
    assert pacer.margin > before
    assert pacer.stats.global_429s == 1


def counted(pacer: GlobalPacer, ticket: Ticket, one_way: float) -> None:
    """The response says the server counted the request `one_way` seconds (on its clock) after it left."""
    assert ticket.slot is not None
    pacer.answered(ticket, server_time=ticket.slot.sent_wall + one_way)


async def learn(pacer: GlobalPacer, clock: Clock, one_ways: list[float]) -> None:
    """Earlier requests, one at a time, and when the server counted each; their windows are long over."""
    for one_way in one_ways:
        t = await pacer.acquire()
        pacer.sent(t)
        counted(pacer, t, one_way)
        pacer.release(t)
        clock.now += 2 * pacer.window


async def test_a_slot_ends_a_window_after_the_server_counted_its_request() -> None:
    clock = Clock()
    pacer = GlobalPacer(limit=2, window=1.0, min_margin=0.005, clock=clock)
    await learn(pacer, clock, [0.010, 0.100] * 4)  # the way there takes 10 to 100 ms
    assert pacer.margin > 0.08  # the spread (90 ms), which a slot whose arrival is unknown waits out
    start = clock.now
    early, late = await take(pacer, 2)
    pacer.sent(early)
    pacer.sent(late)
    counted(pacer, early, 0.010)  # as quick as any
    counted(pacer, late, 0.100)  # held up 90 ms on the way (or at a busy server)
    clock.now = start + 1.0 + 0.005 + 0.001
    assert pacer._room(clock()) == 0  # the early one's slot is over: no need to wait out the spread
    pacer.sent(await pacer.acquire())
    wait = pacer._room(clock())
    assert wait is not None
    assert wait > 0.08  # the late one was counted 90 ms later: its slot lasts that much longer
    clock.now = start + 1.0 + 0.090 + 0.005 + 0.001
    assert pacer._room(clock()) == 0


async def test_a_slot_whose_arrival_is_unknown_waits_out_the_spread() -> None:
    clock = Clock()
    pacer = GlobalPacer(limit=1, window=1.0, min_margin=0.005, clock=clock)
    await learn(pacer, clock, [0.010, 0.100] * 4)
    start = clock.now
    pacer.sent(await pacer.acquire())  # ... and no response yet
    clock.now = start + 1.0 + 0.005 + 0.001
    assert pacer._room(clock()) != 0
    clock.now = start + 1.0 + 0.090 + 0.001
    assert pacer._room(clock()) == 0
