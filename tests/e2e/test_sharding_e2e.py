"""SHARD_COUNT and SHARD_IDS: the bot runs its shards with AutoShardedBot and still answers once."""

from __future__ import annotations

from discord.ext import commands

from tests.e2e.conftest import StartBot, World
from tests.e2e.processes import quiet


async def test_a_process_runs_the_shards_it_is_given_and_answers_once(world: World, start_bot: StartBot) -> None:
    runner = await start_bot(shard_count=2, shard_ids=[0, 1])
    d = world.driver
    assert isinstance(runner.bot, commands.AutoShardedBot)
    await d.sleep_until(lambda: len(world.server.gateway.sessions) == 2, timeout=10)
    shards = sorted(tuple(s.shard or ()) for s in world.server.gateway.sessions.values())
    assert shards == [(0, 2), (1, 2)]

    # the sandbox sends every event to both shards' sessions: the claim keeps it to one answer
    asked = await d.user_says(world.alice, "dm", "is my data lost?")
    await runner.wait(d.wait_for_message(after=asked, channel=d.dm_channel(world.alice)))
    handle = await d.run_slash(world.bob, "subscribe", channel=world.general)
    await runner.wait(handle.wait_message())
    await quiet(d)  # whatever a second shard would send is sent by now
    assert len(d.bot_messages(d.dm_channel(world.alice))) == 1
    assert len(d.requests("POST", "/interactions/{interaction_id}/{token}/callback")) == 1
