from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.db import Database
from bot.core.models import Outbox, utcnow
from bot.core.outbox.delivery import DeliveryFailed, OutboxItem, RetryLater
from bot.core.outbox.notices import BroadcastDm, TextPost
from bot.core.outbox.pacing import Pacer
from bot.core.outbox.rows import enqueue, outbox_row, text_post
from bot.core.outbox.wakeup import Wakeup
from bot.core.outbox.worker import MAX_ATTEMPTS, OutboxWorker
from tests.helpers import RecordingSender, outbox_rows, run_on_virtual_clock


async def queue(db: Database, *rows: dict[str, object]) -> None:
    async with db.transaction() as s:
        await enqueue(s, rows)  # type: ignore[arg-type]


def dm(cid: int, key: str) -> dict[str, object]:
    return outbox_row("dm", cid, key, BroadcastDm(content=f"to {cid}"), customer_id=cid)


async def test_posts_go_before_dms_with_the_row_id_as_nonce(db: Database) -> None:
    await queue(db, dm(7, "d1"), text_post(1, "p1", "one"), dm(8, "d2"), text_post(1, "p2", "two"))
    sender = RecordingSender()
    worker = OutboxWorker(db, sender, dm_per_second=20)
    assert await worker.deliver_due() == 4
    assert [(i.route, i.target_id) for i in sender.sent] == [("post", 1), ("post", 1), ("dm", 7), ("dm", 8)]
    assert all(i.nonce == f"ob{i.id}" for i in sender.sent)
    assert sender.sent[0].notice == TextPost(content="one")
    assert await worker.deliver_due() == 0
    rows = await outbox_rows(db)
    assert {r.status for r in rows} == {"sent"} and all(r.message_id and r.sent_at for r in rows)


async def test_retries_unreachable_and_permanent_failures(db: Database) -> None:
    await queue(db, text_post(1, "p1", "one"), text_post(1, "p2", "two"), *(dm(c, f"d{c}") for c in (1, 2, 3)))
    sender = RecordingSender()
    sender.unreachable = {2}
    sender.fail = [RetryLater(0.0, "429"), DeliveryFailed("Unknown Channel")]
    worker = OutboxWorker(db, sender, dm_per_second=20)
    for _ in range(3):
        await worker.deliver_due()
    by_status: dict[str, list[Outbox]] = {}
    for r in await outbox_rows(db):
        by_status.setdefault(r.status, []).append(r)
    # the first post is retried after a 429 and then sent; the second fails for good
    assert {k: len(v) for k, v in by_status.items()} == {"failed": 1, "sent": 3, "unreachable": 1}
    assert by_status["failed"][0].last_error == "Unknown Channel"
    [unreachable] = by_status["unreachable"]
    assert unreachable.customer_id == 2 and "50007" in (unreachable.last_error or "")


async def test_a_row_that_keeps_failing_is_given_up(db: Database) -> None:
    await queue(db, text_post(1, "p", "x"))
    sender = RecordingSender()
    sender.fail = [RetryLater(0.0, "busy") for _ in range(MAX_ATTEMPTS)]
    worker = OutboxWorker(db, sender, dm_per_second=20)
    for _ in range(MAX_ATTEMPTS):
        await worker.deliver_due()
    [row] = await outbox_rows(db)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "gave up" in (row.last_error or "")


async def test_an_unexpected_error_keeps_the_row_for_later(db: Database) -> None:
    await queue(db, text_post(1, "p", "x"))
    sender = RecordingSender()
    sender.fail = [KeyError("bug")]
    await OutboxWorker(db, sender, dm_per_second=20).deliver_due()
    [row] = await outbox_rows(db)
    assert row.status == "pending" and row.last_error == "KeyError" and row.next_attempt_at > utcnow()


async def test_a_crash_between_claim_and_commit_resends_with_the_same_nonce(db: Database) -> None:
    await queue(db, text_post(1, "p", "x"))
    worker = OutboxWorker(db, RecordingSender(), dm_per_second=20)
    [item] = await worker.due(("post",))
    assert await worker.claim(item)  # ... and the process dies here
    assert not await worker.claim(item)  # another instance cannot take it while the lease holds
    async with db.transaction() as s:  # the lease runs out
        row = await s.get(Outbox, item.id)
        assert row is not None
        row.next_attempt_at = row.next_attempt_at - timedelta(minutes=2)
    sender = RecordingSender()
    assert await OutboxWorker(db, sender, dm_per_second=20).deliver_due() == 1
    assert sender.sent[0].nonce == item.nonce
    async with db.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Outbox).where(col(Outbox.status) == "sent")) == 1


async def test_a_row_it_cannot_read_fails_alone_and_the_rest_is_delivered(db: Database) -> None:
    await queue(db, text_post(1, "p1", "before"), text_post(1, "p2", "after"))
    async with db.transaction() as s:
        bad = await s.scalar(select(Outbox).where(col(Outbox.dedupe_key) == "p1"))
        assert bad is not None
        bad.payload = '{"kind": "poem"}'
    sender = RecordingSender()
    assert await OutboxWorker(db, sender, dm_per_second=20).deliver_due() == 1
    assert [i.notice for i in sender.sent] == [TextPost(content="after")]
    rows = {r.dedupe_key: r for r in await outbox_rows(db)}
    assert rows["p1"].status == "failed" and "unreadable notice" in (rows["p1"].last_error or "")
    assert rows["p2"].status == "sent"


class Hook:
    """Drops DMs to 8 and records what was sent."""

    def __init__(self) -> None:
        self.heard: list[tuple[int, int]] = []

    async def prepare(self, session: AsyncSession, items: list[OutboxItem]) -> list[OutboxItem]:
        return [i for i in items if i.target_id != 8]

    async def sent(self, session: AsyncSession, item: OutboxItem, message_id: int) -> None:
        self.heard.append((item.id, message_id))


async def test_the_hook_decides_what_is_sent_and_hears_what_was(db: Database) -> None:
    await queue(db, dm(7, "a"), dm(8, "b"))
    hook = Hook()
    sender = RecordingSender()
    assert await OutboxWorker(db, sender, hook=hook, dm_per_second=20).deliver_due() == 1
    assert [i.target_id for i in sender.sent] == [7]
    assert hook.heard == [(sender.sent[0].id, 9001)]
    assert {r.target_id: r.status for r in await outbox_rows(db)} == {7: "sent", 8: "pending"}


async def test_the_running_worker_delivers_when_woken(db: Database) -> None:
    wakeup = Wakeup()
    sender = RecordingSender()
    worker = OutboxWorker(db, sender, wakeup=wakeup, dm_per_second=20)
    worker.start()
    try:
        await queue(db, text_post(1, "p", "x"))
        wakeup.notify()
        async with asyncio.timeout(10):
            while not sender.sent:
                await asyncio.sleep(0.01)
    finally:
        await worker.stop()
    assert worker.delivered == 1


# -- DMs leave at DM_PER_SECOND, channel posts do not wait (on a fake clock: tests/helpers.VirtualClockLoop) --

PACE_STAFF_CH = 222


class TimedSender:
    """The transport boundary: notes the loop's (fake) time at which each row is handed over."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, OutboxItem]] = []

    async def deliver(self, item: OutboxItem) -> int | None:
        self.sent.append((asyncio.get_running_loop().time(), item))
        return 9000 + item.id


def dm_rows(customers: range) -> list[dict[str, object]]:
    return [
        outbox_row("dm", c, f"notice:{c}", BroadcastDm(content=f"news for {c}"), customer_id=c)
        for c in customers
    ]


async def _queue_and_deliver(tmp_path: Path, dm_per_second: float) -> TimedSender:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/outbox.db")
    await db.upgrade()
    try:
        async with db.transaction() as session:
            posts = [text_post(PACE_STAFF_CH, f"p{i}", "x") for i in range(3)]
            await enqueue(session, [*dm_rows(range(100, 106)), *posts])
        sender = TimedSender()
        worker = OutboxWorker(db, sender, dm_per_second=dm_per_second)
        worker.pacer.clock = asyncio.get_running_loop().time  # the worker's own pacer, read on the fake clock
        assert await worker.deliver_due() == 9
        return sender
    finally:
        await db.dispose()


def test_dms_leave_at_dm_per_second_and_posts_do_not_wait(tmp_path: Path) -> None:
    sender = run_on_virtual_clock(_queue_and_deliver(tmp_path, dm_per_second=2))
    posts = [t for t, item in sender.sent if item.route == "post"]
    dms = [(t, item.target_id) for t, item in sender.sent if item.route == "dm"]
    assert posts == [0.0, 0.0, 0.0]
    assert [c for _, c in dms] == list(range(100, 106))  # in the order they were queued
    assert [t for t, _ in dms] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])


def test_the_pace_follows_the_setting(tmp_path: Path) -> None:
    sender = run_on_virtual_clock(_queue_and_deliver(tmp_path, dm_per_second=0.5))
    dms = [t for t, item in sender.sent if item.route == "dm"]
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


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def _lease_end(db: Database, row_id: int) -> object:
    async with db.sessions() as s:
        row = await s.get(Outbox, row_id)
        assert row is not None
        return row.next_attempt_at


async def test_a_long_delivery_renews_its_lease_and_a_dead_workers_row_comes_back(db: Database) -> None:
    await queue(db, text_post(1, "p", "x"))
    started, never = asyncio.Event(), asyncio.Event()

    class Stuck:  # e.g. waiting out a long 429
        async def deliver(self, item: OutboxItem) -> int | None:
            started.set()
            await never.wait()
            return None

    lease = timedelta(seconds=1)
    first = OutboxWorker(db, Stuck(), dm_per_second=20, lease=lease)
    task = asyncio.get_running_loop().create_task(first.deliver_due())
    await asyncio.wait_for(started.wait(), 10)
    [row_id] = [r.id for r in await outbox_rows(db, "post")]
    leased_until = await _lease_end(db, row_id)

    async def renewed() -> bool:
        return await _lease_end(db, row_id) > leased_until  # type: ignore[operator]

    await eventually(renewed, timeout=10)  # the heartbeat pushed the lease on while the delivery runs
    task.cancel()  # the process dies: nothing renews the lease any more
    with pytest.raises(asyncio.CancelledError):
        await task

    sender = RecordingSender()
    second = OutboxWorker(db, sender, dm_per_second=20, lease=lease)

    async def delivered() -> bool:
        await second.deliver_due()
        return len(sender.sent) == 1

    await eventually(delivered, timeout=10)  # once the short lease has run out, not after a minute
    assert [r.status for r in await outbox_rows(db, "post")] == ["sent"]
