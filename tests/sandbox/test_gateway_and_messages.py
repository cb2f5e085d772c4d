"""Login, READY/GUILD_CREATE, message round trips, pings, DMs, intents, RESUME — with the real discord.py."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord.ext import commands

from bot.sandbox import permissions as P

from .conftest import BotFactory, World


def echo_bot(seen: asyncio.Queue[discord.Message]):
    def setup(bot: commands.Bot) -> None:
        @bot.event
        async def on_message(message: discord.Message) -> None:
            if message.author.bot:
                return
            await seen.put(message)
            if message.content.startswith("echo "):
                await message.channel.send(f"you said {message.content[5:]}",
                                           allowed_mentions=discord.AllowedMentions.none())
            elif message.content == "shout":
                role = message.guild.roles[-1].id if message.guild else 0
                await message.channel.send(f"@everyone listen up <@&{role}>")

    return setup


async def test_login_ready_and_guild_create(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    bot = runner.bot
    assert bot.user is not None and bot.user.id == world.driver.bot_user.id
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Support"
    general = guild.get_channel(world.general.id)
    assert general is not None and general.name == "general"
    assert guild.member_count == 5 and guild.me is not None  # only the bot inlined without presences
    assert (await runner.wait(guild.fetch_member(world.alice.id))).name == "alice"
    assert world.driver.connected
    assert world.driver.intents == bot.intents.value
    assert bot.application_id == world.driver.application_id
    paths = [(r.method, r.path) for r in world.driver.requests()]
    assert ("GET", "/users/@me") in paths and ("GET", "/oauth2/applications/@me") in paths


async def test_member_chunking_with_members_intent(world: World, make_bot: BotFactory) -> None:
    intents = discord.Intents.default()
    intents.members = True
    runner = await make_bot(intents=intents)
    guild = runner.bot.get_guild(world.guild.id)
    assert guild is not None and guild.chunked
    assert {m.name for m in guild.members} == {"alice", "bob", "shy", "app-owner", "SandboxBot"}
    bob = guild.get_member(world.bob.id)
    assert bob is not None and [r.name for r in bob.roles] == ["@everyone", "mods"]


async def test_wrong_token_is_login_failure(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot(token="not-the-token", start=False)
    with pytest.raises(discord.LoginFailure):
        await asyncio.wait_for(runner.bot.start("not-the-token"), 5)
    assert world.driver.requests()[-1].status == 401


async def test_message_round_trip_without_pings(world: World, make_bot: BotFactory) -> None:
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()
    runner = await make_bot(echo_bot(seen))
    d = world.driver
    said = await d.user_says(world.alice, world.general, f"echo hi @everyone <@{world.bob.id}>")
    got = await runner.wait(seen.get())
    assert got.id == said.id and got.content.startswith("echo hi")
    assert said.pings.everyone is False  # alice may not mention everyone
    assert said.pings.users == {world.bob.id}
    reply = await runner.wait(d.wait_for_message(lambda m: m.content.startswith("you said"), after=said))
    assert reply.content == f"you said hi @everyone <@{world.bob.id}>"
    assert reply.pings.empty  # AllowedMentions.none()
    assert reply.author_id == d.bot_user.id and reply.channel_id == world.general.id
    post = d.requests("POST", "/channels/{channel_id}/messages")[-1]
    assert post.json["allowed_mentions"] == {"parse": []} and post.status == 200


async def test_default_send_pings_everyone_only_with_permission(world: World, make_bot: BotFactory) -> None:
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()
    runner = await make_bot(echo_bot(seen))
    d = world.driver
    said = await d.user_says(world.alice, world.general, "shout")
    m1 = await runner.wait(d.wait_for_message(lambda m: "listen up" in m.content, after=said))
    assert m1.pings.everyone is False and not m1.pings.roles  # bot lacks MENTION_EVERYONE
    d.bot_role(world.guild).permissions |= P.MENTION_EVERYONE
    said2 = await d.user_says(world.alice, world.general, "shout")
    m2 = await runner.wait(d.wait_for_message(lambda m: "listen up" in m.content, after=said2))
    assert m2.pings.everyone is True
    assert m2.id != m1.id


async def test_dm_round_trip_and_user_refusing_dms(world: World, make_bot: BotFactory) -> None:
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()
    runner = await make_bot(echo_bot(seen))
    d = world.driver
    said = await d.user_says(world.alice, "dm", "echo private")
    got = await runner.wait(seen.get())
    assert isinstance(got.channel, discord.DMChannel) and got.content == "echo private"
    reply = await runner.wait(d.wait_for_message(after=said))
    assert reply.channel_id == d.dm_channel(world.alice).id and reply.content == "you said private"
    shy = await runner.bot.fetch_user(world.shy.id)
    with pytest.raises(discord.Forbidden) as exc:
        await runner.wait(shy.send("hello"))
    assert exc.value.code == 50007
    with pytest.raises(discord.NotFound) as nf:
        await runner.wait(runner.bot.fetch_user(12345678901234567))
    assert nf.value.code == 10013


async def test_content_blanked_without_message_content_intent(world: World, make_bot: BotFactory) -> None:
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()
    runner = await make_bot(echo_bot(seen), intents=discord.Intents.default())
    d = world.driver
    assert d.intents is not None and not d.intents & (1 << 15)
    await d.user_says(world.alice, world.general, "secret words")
    assert (await runner.wait(seen.get())).content == ""
    await d.user_says(world.alice, world.general, f"<@{d.bot_user.id}> hello bot")
    assert (await runner.wait(seen.get())).content == f"<@{d.bot_user.id}> hello bot"
    await d.user_says(world.alice, "dm", "dm words")
    assert (await runner.wait(seen.get())).content == "dm words"


async def test_validation_errors_reach_the_client(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    channel = runner.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await runner.wait(channel.send("x" * 2001))
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "content" in too_long.value.text
    big = discord.Embed(title="t", description="d" * 4096)
    for i in range(25):
        big.add_field(name=f"f{i}", value="v" * 100)
    with pytest.raises(discord.HTTPException) as embed_err:
        await runner.wait(channel.send(embeds=[big, discord.Embed(description="e" * 2000)]))
    assert embed_err.value.code == 50035 and "6000" in embed_err.value.text
    with pytest.raises(discord.HTTPException) as empty:
        await runner.wait(runner.bot.http.send_message(channel.id, params=discord.http.MultipartParameters(
            payload={"content": ""}, multipart=None, files=None)))
    assert empty.value.code == 50006
    assert world.driver.bot_messages() == []


async def test_permissions_are_computed(world: World, make_bot: BotFactory) -> None:
    d = world.driver
    readonly = await d.create_text_channel(world.guild, "announcements",
                                           overwrites={d.everyone_role(world.guild): (0, P.SEND_MESSAGES)})
    hidden = await d.create_text_channel(world.guild, "staff",
                                         overwrites={d.everyone_role(world.guild): (0, P.VIEW_CHANNEL)})
    runner = await make_bot()
    bot = runner.bot
    ch = bot.get_channel(readonly.id)
    assert isinstance(ch, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as denied:
        await runner.wait(ch.send("hi"))
    assert denied.value.code == 50013
    await d.set_overwrite(readonly, d.bot_role(world.guild), allow=P.SEND_MESSAGES)
    await runner.wait(ch.send("now I can"))
    assert [m.content for m in d.messages_in(readonly)] == ["now I can"]
    with pytest.raises(discord.Forbidden) as hidden_err:
        await runner.wait(bot.http.send_message(hidden.id, params=discord.http.MultipartParameters(
            payload={"content": "x"}, multipart=None, files=None)))
    assert hidden_err.value.code == 50001
    said = await d.user_says(world.alice, world.general, "delete me")
    d.bot_role(world.guild).permissions &= ~P.MANAGE_MESSAGES
    general = bot.get_channel(world.general.id)
    assert isinstance(general, discord.TextChannel)
    with pytest.raises(discord.Forbidden):
        await runner.wait(general.get_partial_message(said.id).delete())
    d.bot_role(world.guild).permissions |= P.MANAGE_MESSAGES
    await runner.wait(general.get_partial_message(said.id).delete())
    assert said.deleted


async def test_attachment_and_reply(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    said = await world.driver.user_says(world.alice, world.general, "send me the log")
    ch = runner.bot.get_channel(world.general.id)
    assert isinstance(ch, discord.TextChannel)
    import io

    async with ch.typing():
        pass
    await runner.wait(world.driver.wait_for_event("typing", lambda e: e.data["channel_id"] == ch.id))
    sent = await runner.wait(ch.send("here", file=discord.File(io.BytesIO(b"log line\n" * 10), "log.txt"),
                                     reference=ch.get_partial_message(said.id)))
    assert sent.attachments[0].filename == "log.txt" and sent.attachments[0].size == 90
    rec = world.server.world.messages[sent.id]
    assert world.driver.attachment_bytes(rec) == b"log line\n" * 10
    assert rec.reference_id == said.id and rec.pings.users == {world.alice.id}  # replies ping by default


async def test_nonce_dedupe(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=world.general.id)
    body = {"content": "once", "nonce": "abc123", "enforce_nonce": True}
    first = await runner.wait(runner.bot.http.request(route, json=body))
    second = await runner.wait(runner.bot.http.request(route, json=body))
    assert first["id"] == second["id"]
    loose = {"content": "twice", "nonce": "zzz"}
    a = await runner.wait(runner.bot.http.request(route, json=loose))
    b = await runner.wait(runner.bot.http.request(route, json=loose))
    assert a["id"] != b["id"]
    assert [m.content for m in world.driver.messages_in(world.general)] == ["once", "twice", "twice"]


async def test_reconnect_resumes_and_replays(world: World, make_bot: BotFactory) -> None:
    seen: asyncio.Queue[discord.Message] = asyncio.Queue()
    resumed = asyncio.Event()

    def setup(bot: commands.Bot) -> None:
        echo_bot(seen)(bot)

        @bot.event
        async def on_resumed() -> None:
            resumed.set()

    runner = await make_bot(setup)
    d = world.driver
    await runner.wait(d.reconnect(wait=True))
    await runner.wait(resumed.wait())
    assert d.identify_count == 1 and d.resume_count == 1
    # events dispatched while the socket is down are replayed on RESUME
    await d.drop_connection()
    said = await d.user_says(world.alice, world.general, "echo after drop")
    got = await runner.wait(seen.get(), timeout=10)
    assert got.id == said.id
    await runner.wait(d.wait_for_message(lambda m: m.content == "you said after drop"), timeout=10)
    assert d.identify_count == 1 and d.resume_count == 2
