"""A database outage, part by part, against a real PostgreSQL server that is stopped and started again.

The two-process story is tests/e2e/test_db_outage_e2e.py; here each part that rides an outage out is held
to it on its own: it is told once, waits, and carries on by itself when the server is back.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from bot.core.answering import Answerer, Question
from bot.core.claims import Claim, Claims
from bot.core.conversations import ConversationStore
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from bot.core.feeds import parse_feed
from bot.core.knowledge import KnowledgeBase
from bot.core.models import KeyValue
from bot.core.outage import is_unavailable
from bot.core.outbox.rows import enqueue, text_post
from bot.core.outbox.wakeup import Wakeup
from bot.core.outbox.worker import OutboxWorker
from bot.core.prompts import load_prompts
from bot.core.registry import DeviceRegistry
from bot.core.status.service import StatusService
from tests.conftest import TEST_KEY
from tests.e2e.pg_cluster import PgCluster, pg_cluster  # noqa: F401  (the fixture)
from tests.helpers import Clock, RecordingSender, recovery_feed, upd

PROMPTS = Path(__file__).resolve().parents[2] / "prompts"
HOLDING = "holding work until it answers again"


@pytest.fixture
async def pg(pg_cluster: PgCluster) -> AsyncIterator[Database]:  # noqa: F811
    db = Database(pg_cluster.url)
    await db.upgrade()
    yield db
    await db.dispose()


async def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_outage_is_told_once_waited_for_and_over_when_the_server_answers(
    pg: Database, pg_cluster: PgCluster, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    caplog.set_level(logging.INFO)
    pg_cluster.stop("immediate")
    for _ in range(3):
        with pytest.raises((OSError, DBAPIError)) as info:  # which one depends on where the cut lands
            async with pg.sessions() as s:
                await s.execute(text("SELECT 1"))
        assert is_unavailable(info.value), repr(info.value)
        pg.outage.failed("reading", info.value)
    assert pg.outage.active and await pg.outage.wait(0.5) is False
    pg_cluster.start()
    assert await pg.outage.wait(15) is True
    assert not pg.outage.active
    assert [m for m in warnings_of(caplog) if HOLDING in m] == [m for m in warnings_of(caplog)]
    assert len(warnings_of(caplog)) == 1
    assert any("the database answers again after" in r.getMessage() for r in caplog.records)
    async with pg.sessions() as s:  # and the pool works again by itself
        assert (await s.execute(text("SELECT 1"))).scalar() == 1


async def test_an_outage_is_told_apart_from_a_mistake(pg: Database, tmp_path: Path) -> None:
    with pytest.raises(ProgrammingError) as missing:
        async with pg.sessions() as s:
            await s.execute(text("SELECT * FROM no_such_table"))
    assert not is_unavailable(missing.value)
    with pytest.raises(IntegrityError) as twice:
        async with pg.transaction() as s:
            s.add(KeyValue(key="k", value="1"))
            await s.flush()
            s.add(KeyValue(key="k", value="2"))
    assert not is_unavailable(twice.value)

    lite = Database(f"sqlite+aiosqlite:///{tmp_path}/l.db", sqlite_busy_ms=50)
    await lite.upgrade()
    blocker = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(OperationalError) as locked:
            async with lite.transaction() as s:
                s.add(KeyValue(key="k", value="1"))
        assert is_unavailable(locked.value)  # another program holds the file: worth waiting for
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with pytest.raises(OperationalError) as no_table:
        async with lite.sessions() as s:
            await s.execute(text("SELECT * FROM no_such_table"))
    assert not is_unavailable(no_table.value)
    await lite.dispose()


async def test_the_delivery_worker_lives_through_an_outage(
    pg: Database, pg_cluster: PgCluster, caplog: pytest.LogCaptureFixture  # noqa: F811
) -> None:
    wakeup = Wakeup()
    sender = RecordingSender()
    worker = OutboxWorker(pg, sender, wakeup=wakeup, dm_per_second=20)
    worker.start()
    try:
        pg_cluster.stop("immediate")
        wakeup.notify()  # a round runs while the server is away
        await until(lambda: pg.outage.active)
        pg_cluster.start()
        await until(lambda: not pg.outage.active)
        async with pg.transaction() as s:
            await enqueue(s, [text_post(1, "after", "after the restart")])
        wakeup.notify()
        await until(lambda: len(sender.sent) == 1)
    finally:
        await worker.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(warnings_of(caplog)) == 1


async def test_answer_records_wait_for_the_database(pg: Database, pg_cluster: PgCluster) -> None:  # noqa: F811
    store = ConversationStore(pg)
    status = StatusService(pg, DeviceCipher(TEST_KEY), fetcher=None)
    await status.snapshot()  # read once, as the bot does when it starts
    answerer = _answerer(pg, status)
    pg_cluster.stop("immediate")
    # small talk needs no database to answer; its record does
    answer = await answerer.answer(Question(customer_id=5, text="hello!", channel_id=9, kind="dm"))
    await until(lambda: pg.outage.active)
    await asyncio.wait_for(answerer.conversations.flush(), 1)  # a flush does not wait for the server
    pg_cluster.start()
    await until(lambda: not pg.outage.active)
    await asyncio.wait_for(answerer.conversations.flush(), 15)
    assert (await store.answer_record(answer.answer_id or 0)) is not None


async def test_an_event_handled_while_the_database_was_away_is_marked_done_after(
    pg: Database, pg_cluster: PgCluster  # noqa: F811
) -> None:
    claims = Claims(pg)
    assert (await claims.take("m:answers:1")).won
    pg_cluster.stop("immediate")
    claims.finish_soon("m:answers:1")  # the handler ended while the server was away
    await until(lambda: pg.outage.active)
    pg_cluster.start()

    async def done() -> bool:
        async with pg.sessions() as s:
            return bool(await s.scalar(select(Claim.done).where(Claim.key == "m:answers:1")))

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while not await done():
        assert loop.time() < deadline
        await asyncio.sleep(0.05)
    await claims.close()


async def test_a_question_is_answered_from_the_status_last_read_while_the_database_is_away(
    pg: Database, pg_cluster: PgCluster  # noqa: F811
) -> None:
    clock = Clock(datetime(2026, 11, 28, 12, 30, tzinfo=UTC))
    status = StatusService(pg, DeviceCipher(TEST_KEY), fetcher=None, clock=clock)
    feed = recovery_feed([upd("a", 9, "Contacts are coming back.", progress={"contacts": {"state": "partial"}})])
    await status.ingest(parse_feed(feed, "auto", None, clock()))
    answerer = _answerer(pg, status)
    assert await status.snapshot() is not None  # read once, as the bot does when it starts
    pg_cluster.stop("immediate")
    clock.now += timedelta(minutes=1)  # long past the snapshot's few seconds: the next question reads again
    # a status question reads the status and the customer's devices: neither can be read now
    a = await answerer.answer(Question(customer_id=7, text="are my contacts restored?", channel_id=3, kind="dm"))
    assert (a.intent, a.source) == ("status", "offline") and "contacts partly restored" in a.text, a.text
    assert pg.outage.active
    pg_cluster.start()
    await until(lambda: not pg.outage.active)
    await asyncio.wait_for(answerer.conversations.flush(), 15)  # and it is on record once the server is back
    assert (await answerer.conversations.answer_record(a.answer_id or 0)) is not None


def _answerer(db: Database, status: StatusService) -> Answerer:
    prompts = load_prompts(PROMPTS)
    return Answerer(
        knowledge=KnowledgeBase(prompts.faq, paths=[PROMPTS / "faq.md"]),
        prompts=prompts,
        conversations=ConversationStore(db),
        registry=DeviceRegistry(db, DeviceCipher(TEST_KEY)),
        status=status,
        llm=None,
        company="Larkspur",
        handover_fallback="611",
        device_status=status.device_status,
    )
