from __future__ import annotations

from bot.core.db import Database
from bot.core.models import DmChannel
from bot.core.outbox.dm_channels import DmChannels


async def test_a_channel_is_remembered_across_restarts(db: Database) -> None:
    channels = DmChannels(db)
    assert await channels.get(7) is None
    channels.remember(7, 700)
    channels.remember(8, 800)
    assert await channels.get(7) == 700
    await channels.flush()
    restarted = DmChannels(db)
    assert (await restarted.get(7), await restarted.get(8), await restarted.get(9)) == (700, 800, None)


async def test_a_known_channel_costs_no_database_read(db: Database) -> None:
    channels = DmChannels(db)
    channels.remember(7, 700)
    await channels.flush()
    async with db.transaction() as s:  # the row goes; the memory of it stays
        row = await s.get(DmChannel, 7)
        assert row is not None
        await s.delete(row)
    assert await channels.get(7) == 700
    channels.forget(7)
    assert await channels.get(7) is None


async def test_remembering_the_same_channel_twice_writes_once(db: Database) -> None:
    channels = DmChannels(db)
    channels.remember(7, 700)
    await channels.flush()
    channels.remember(7, 700)
    await channels.flush()
    async with db.sessions() as s:
        assert (await s.get(DmChannel, 7)) is not None
