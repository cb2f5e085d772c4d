"""Pinned messages in the sandbox, through the real discord.py client."""

from __future__ import annotations

import discord
import pytest

from .conftest import BotFactory, World


async def test_pin_list_and_unpin(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    channel = runner.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("first", allowed_mentions=discord.AllowedMentions.none())
    second = await channel.send("second", allowed_mentions=discord.AllowedMentions.none())
    await first.pin()
    await second.pin()
    await first.pin()  # pinning twice is not an error, and pins once
    assert [m.id async for m in channel.pins()] == [second.id, first.id]  # the latest first
    await first.unpin()
    assert [m.id async for m in channel.pins()] == [second.id]
    assert world.server.rest.pins.pinned[world.general.id] == [second.id]


async def test_pinning_an_unknown_message_is_not_found(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    channel = runner.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    msg = await channel.send("hello", allowed_mentions=discord.AllowedMentions.none())
    with pytest.raises(discord.NotFound):
        await channel.get_partial_message(msg.id + 1).pin()
    assert world.general.id not in world.server.rest.pins.pinned
