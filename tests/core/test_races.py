"""Writes that two processes (two engines on one database) or two presses make at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import DmChannel
from bot.core.outbox.dm_channels import DmChannels
from bot.core.status.subscriptions import Subscriptions


@pytest.fixture
async def other(database: Database) -> AsyncIterator[Database]:
    """A second engine on the same database, as a second process has."""
    db = Database(database.url, connect_args=database.connect_args)
    yield db
    await db.dispose()


async def test_concurrent_subscribes_report_one_new_subscription(database: Database, other: Database) -> None:
    subs = [Subscriptions(database), Subscriptions(other)] * 4
    for customer in range(1, 11):
        results = await asyncio.gather(*(s.subscribe(customer) for s in subs))
        assert results.count(True) == 1, (customer, results)
        assert await subs[1].is_subscribed(customer)
    for customer in range(1, 11):
        results = await asyncio.gather(*(s.unsubscribe(customer) for s in subs))
        assert results.count(True) == 1, (customer, results)
        assert not await subs[0].is_subscribed(customer)


async def test_two_processes_remember_the_same_dm_channels(database: Database, other: Database) -> None:
    one, two = DmChannels(database), DmChannels(other)
    for customer in range(1, 50):
        one.remember(customer, 1000 + customer)
        two.remember(customer, 1000 + customer)
    two.remember(99, 1099)
    await asyncio.gather(one.flush(), two.flush())
    async with database.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(DmChannel)) == 50
    assert await DmChannels(other).get(99) == 1099
