"""bot/core/notifications.py: DMs leave at DM_PER_SECOND, channel posts do not wait for them.

Run on a fake clock (tests/helpers.VirtualClockLoop): the pacer's sleeps take no real time, and the
moment each DM is handed to the Sender is exact, so the pace is asserted without a timing assertion.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core.db import Database
from bot.core.notifications import OutboxItem, OutboxWorker, Pacer, enqueue, outbox_row, text_post
from tests.helpers import run_on_virtual_clock

STAFF_CH = 222


class TimedSender:
    """The transport boundary: notes the loop's (fake) time at which each row is handed over."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, OutboxItem]] = []

    async def deliver(self, item: OutboxItem) -> int | None:
        self.sent.append((asyncio.get_running_loop().time(), item))
        return 9000 + item.id


def dm_rows(customers: range) -> list[dict[str, object]]:
    return [
        outbox_row("dm", c, f"notice:{c}", {"kind": "text", "content": f"news for {c}"}, customer_id=c)
        for c in customers
    ]


async def _queue_and_deliver(tmp_path: Path, dm_per_second: float) -> TimedSender:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/outbox.db")
    await db.upgrade()
    try:
        async with db.transaction() as session:
            await enqueue(session, [*dm_rows(range(100, 106)), *(text_post(STAFF_CH, f"p{i}", "x") for i in range(3))])
        sender = TimedSender()
        worker = OutboxWorker(db, sender, dm_per_second=dm_per_second)
        worker.pacer.clock = asyncio.get_running_loop().time  # the worker's own pacer, read on the fake clock
        assert await worker.deliver_due() == 9
        return sender
    finally:
        await db.dispose()


def test_dms_leave_at_dm_per_second_and_posts_do_not_wait(tmp_path: Path) -> None:
    sender = run_on_virtual_clock(_queue_and_deliver(tmp_path, dm_per_second=2))
    posts = [t for t, item in sender.sent if item.kind == "post"]
    dms = [(t, item.target_id) for t, item in sender.sent if item.kind == "dm"]
    assert posts == [0.0, 0.0, 0.0]
    assert [c for _, c in dms] == list(range(100, 106))  # in the order they were queued
    assert [t for t, _ in dms] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])


def test_the_pace_follows_the_setting(tmp_path: Path) -> None:
    sender = run_on_virtual_clock(_queue_and_deliver(tmp_path, dm_per_second=0.5))
    dms = [t for t, item in sender.sent if item.kind == "dm"]
    assert dms == pytest.approx([0.0, 2.0, 4.0, 6.0, 8.0, 10.0])


def test_a_quiet_spell_earns_no_burst() -> None:
    async def scenario() -> list[float]:
        loop = asyncio.get_running_loop()
        pacer = Pacer(2, clock=loop.time)
        times = []
        for _ in range(2):
            await pacer.wait()
            times.append(loop.time())
        await asyncio.sleep(10)  # nothing to send for a while
        for _ in range(3):
            await pacer.wait()
            times.append(loop.time())
        return times

    assert run_on_virtual_clock(scenario()) == pytest.approx([0.0, 0.5, 10.5, 11.0, 11.5])
