"""Threads, computed rate limits, and malformed requests answered with Discord's errors."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
from discord.ext import commands

from bot.sandbox import SandboxServer

from .conftest import BotFactory, World


async def test_threads_public_from_message_and_private_with_member(world: World, make_bot: BotFactory) -> None:
    events: asyncio.Queue[str] = asyncio.Queue()

    def setup(bot: commands.Bot) -> None:
        @bot.event
        async def on_thread_create(thread: discord.Thread) -> None:
            await events.put(f"create:{thread.name}")

    runner = await make_bot(setup)
    d = world.driver
    said = await d.user_says(world.alice, world.general, "I need help")
    channel = runner.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    public = await runner.wait(channel.get_partial_message(said.id).create_thread(name="help-alice"))
    assert public.id == said.id and public.type is discord.ChannelType.public_thread
    assert await runner.wait(events.get()) == "create:help-alice"
    await runner.wait(public.send("hello in thread"))
    assert [m.content for m in d.messages_in(world.server.world.channels[public.id])] == ["hello in thread"]

    private = await runner.wait(channel.create_thread(name="case-42", type=discord.ChannelType.private_thread))
    assert private.type is discord.ChannelType.private_thread
    await runner.wait(private.add_user(discord.Object(world.alice.id)))
    th = world.server.world.channels[private.id]
    assert set(th.thread_members) == {d.bot_user.id, world.alice.id}
    assert [r.status for r in d.requests("PUT", "/channels/{channel_id}/thread-members/{user_id}")] == [204]
    # a private thread is invisible to a member who was not added
    from bot.sandbox import SandboxError

    try:
        await d.user_says(world.bob, th, "can I see?")
    except SandboxError:
        pass
    else:  # bob has MANAGE_MESSAGES but not MANAGE_THREADS: he must not see it
        raise AssertionError("bob could post in a private thread he is not in")
    await d.user_says(world.alice, th, "thanks")


async def test_burst_hits_per_route_limit_only_as_it_should(world: World, make_bot: BotFactory) -> None:
    runner = await make_bot()
    channel = runner.bot.get_channel(world.general.id)
    assert isinstance(channel, discord.TextChannel)
    sent = await runner.wait(asyncio.gather(*(channel.send(f"msg {i}") for i in range(30))), timeout=15)
    assert len({m.id for m in sent}) == 30
    contents = sorted(m.content for m in world.driver.messages_in(world.general))
    assert contents == sorted(f"msg {i}" for i in range(30))
    posts = world.driver.requests("POST", "/channels/{channel_id}/messages")
    limited = [r for r in posts if r.status == 429]
    # discord.py pre-emptively waits on Remaining: 0, so it should (almost) never see a 429
    assert world.driver.rate_limit_hits["message-create"] == len(limited) <= 1
    assert len(posts) == 30 + len(limited)


async def test_server_enforces_limits_on_a_client_that_ignores_headers(world: World) -> None:
    srv = world.server
    url = f"{srv.api_base}/channels/{world.general.id}/messages"
    headers = {"Authorization": f"Bot {srv.token}"}
    async with aiohttp.ClientSession() as http:
        statuses = []
        for i in range(6):
            async with http.post(url, json={"content": f"m{i}"}, headers=headers) as r:
                statuses.append(r.status)
                if r.status == 200:
                    assert r.headers["Content-Type"] == "application/json"
                    assert r.headers["X-RateLimit-Limit"] == "5"
                    assert r.headers["X-RateLimit-Remaining"] == str(4 - i)
                    bucket = r.headers["X-RateLimit-Bucket"]
                else:
                    body = await r.json()
                    assert r.headers["Via"] == "1.1 google" and r.headers["X-RateLimit-Bucket"] == bucket
                    assert body["global"] is False and 0 < body["retry_after"] <= 0.25
                    assert r.headers["X-RateLimit-Scope"] == "user"
    assert statuses == [200] * 5 + [429]
    assert world.driver.rate_limit_hits["message-create"] == 1


async def test_global_limit_and_switch_off() -> None:
    async with SandboxServer(global_rate_limit=3) as srv:
        headers = {"Authorization": f"Bot {srv.token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            codes = []
            for _ in range(4):
                async with http.get(f"{srv.api_base}/users/@me") as r:
                    codes.append(r.status)
                    if r.status == 429:
                        assert (await r.json())["global"] is True and r.headers["X-RateLimit-Global"] == "true"
            assert codes == [200, 200, 200, 429]
    async with SandboxServer(rate_limits=False) as srv:
        headers = {"Authorization": f"Bot {srv.token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            for _ in range(80):
                async with http.get(f"{srv.api_base}/users/@me") as r:
                    assert r.status == 200 and "X-RateLimit-Limit" not in r.headers


async def test_malformed_requests_get_discord_errors(world: World) -> None:
    srv = world.server
    srv.ratelimiter.enabled = False  # this test is about validation, not about the per-channel bucket
    api = srv.api_base
    auth = {"Authorization": f"Bot {srv.token}"}
    gen = world.general.id
    async with aiohttp.ClientSession() as http:
        async def call(method: str, path: str, *, data: bytes | None = None, json: object = None,
                       headers: dict[str, str] | None = None) -> tuple[int, dict]:
            h = dict(auth if headers is None else headers)
            if data is not None:
                h["Content-Type"] = "application/json"
            async with http.request(method, api + path, data=data, json=json, headers=h) as r:
                return r.status, await r.json()

        assert await call("POST", f"/channels/{gen}/messages", data=b"{not json") == (
            400, {"message": "The request body contains invalid JSON.", "code": 50109})
        st, body = await call("POST", "/channels/123456789012345678/messages", json={"content": "x"})
        assert (st, body["code"]) == (404, 10003)
        st, body = await call("GET", f"/channels/{gen}/messages/123456789012345678")
        assert (st, body["code"]) == (404, 10008)
        st, body = await call("GET", "/users/123456789012345678")
        assert (st, body["code"]) == (404, 10013)
        st, body = await call("POST", f"/webhooks/123/{'t' * 10}", json={"content": "x"})
        assert (st, body["code"]) == (404, 10015)
        st, body = await call("POST", f"/channels/{gen}/messages", json={"content": 5, "tts": "yes"})
        assert st == 400 and body["code"] == 50035 and set(body["errors"]) == {"content", "tts"}
        st, body = await call("POST", f"/channels/{gen}/messages", json=["a", "list"])
        assert st == 400 and body["code"] == 50035
        st, body = await call("POST", f"/channels/{gen}/messages", json={"content": "x", "components": [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": "c" * 101}]}]})
        assert st == 400 and "custom_id" in body["errors"]["components"]["0"]["components"]["0"]
        st, body = await call("POST", f"/channels/{gen}/messages", json={"content": "x", "components": [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "b", "custom_id": f"c{i}"}]}
            for i in range(6)]})
        assert st == 400 and body["errors"]["components"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
        st, body = await call("POST", f"/channels/{gen}/messages", json={"content": "x"}, headers={
            "Authorization": "Bot wrong"})
        assert (st, body["code"]) == (401, 0)
        st, body = await call("GET", "/channels/not-a-number")
        assert st == 400 and body["code"] == 50035
        st, body = await call("GET", "/no/such/route")
        assert st == 404
        st, body = await call("POST", f"/channels/{gen}/messages", json={
            "content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}})
        assert st == 400 and body["code"] == 50035
        # and the server is still serving
        st, body = await call("GET", "/users/@me")
        assert st == 200 and body["id"] == str(srv.world.bot_user.id)
    assert all(r.status < 500 for r in world.driver.requests())
