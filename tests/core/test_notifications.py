"""bot/core/notifications.py: the outbox delivery loop gives up on a row Discord keeps refusing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot.core.notifications import MAX_ATTEMPTS, OutboxItem, OutboxWorker, RetryLater, enqueue, text_post
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import Outbox

STAFF_CH = 222


class AlwaysRateLimited:
    """The transport boundary answering 429 to every attempt."""

    def __init__(self) -> None:
        self.attempts: list[OutboxItem] = []

    async def deliver(self, item: OutboxItem) -> int | None:
        self.attempts.append(item)
        raise RetryLater(0.0, "429 Too Many Requests")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/outbox.db")
    await database.upgrade()
    yield database
    await database.dispose()


async def test_a_row_refused_every_time_is_given_up_after_max_attempts(db: Database) -> None:
    async with db.transaction() as session:
        await enqueue(session, [text_post(STAFF_CH, "report:1", "Broadcast finished.")])
    sender = AlwaysRateLimited()
    worker = OutboxWorker(db, sender)
    for _ in range(MAX_ATTEMPTS + 3):
        await worker.deliver_due()
    assert len(sender.attempts) == MAX_ATTEMPTS  # retried later each time, then no more
    async with db.sessions() as session:
        [row] = list(await session.scalars(select(Outbox)))
    assert row.status == "failed"
    assert row.attempts == MAX_ATTEMPTS
    assert f"gave up after {MAX_ATTEMPTS} attempts" in (row.last_error or "")
