"""Fixtures: a SandboxServer with a small world, and a real, unpatched discord.py bot connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import discord
import pytest
import yarl
from discord.ext import commands

from bot.sandbox import Channel, Driver, Guild, Role, SandboxServer, User
from bot.sandbox import permissions as P
from bot.sandbox.demo import DemoWorld, build_demo_world

T = TypeVar("T")


@dataclass
class World:
    server: SandboxServer
    driver: Driver
    guild: Guild
    general: Channel
    alice: User
    bob: User
    shy: User  # does not accept DMs
    mods: Role


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(rate_limit_scale=0.05) as srv:
        yield srv


@pytest.fixture
async def demo(server: SandboxServer) -> DemoWorld:
    """The demo world `python -m bot sandbox` starts with."""
    return await build_demo_world(server.driver)


@pytest.fixture
async def world(server: SandboxServer) -> World:
    d = server.driver
    alice = d.create_user("alice")
    bob = d.create_user("bob")
    shy = d.create_user("shy", accepts_dms=False)
    guild = await d.create_guild("Support")
    mods = await d.create_role(guild, "mods", P.MANAGE_MESSAGES | P.MENTION_EVERYONE, mentionable=False)
    for u in (alice, bob, shy):
        await d.add_member(guild, u)
    await d.add_role(guild, bob, mods)
    general = await d.create_text_channel(guild, "general")
    return World(server, d, guild, general, alice, bob, shy, mods)


class BotRunner:
    """Runs ``bot.start()`` as a task and races every wait against it, so a crash fails the test at once."""

    def __init__(self, bot: commands.Bot, token: str) -> None:
        self.bot = bot
        self.token = token
        self.task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 5.0) -> None:
        self.task = asyncio.create_task(self.bot.start(self.token))
        await self.wait(self.bot.wait_until_ready(), timeout)

    async def wait(self, aw: Awaitable[T], timeout: float = 5.0) -> T:
        assert self.task is not None
        fut: asyncio.Future[T] = asyncio.ensure_future(aw)
        others: set[asyncio.Future[Any]] = {fut, self.task}
        done, _ = await asyncio.wait(others, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if fut in done:
            return fut.result()
        fut.cancel()
        if self.task in done:
            exc = self.task.exception()
            raise AssertionError(f"bot.start() ended while waiting: {exc!r}") from exc
        raise TimeoutError(f"nothing happened within {timeout}s")

    async def close(self) -> None:
        await self.bot.close()
        if self.task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.task, 5)


BotFactory = Callable[..., Awaitable[BotRunner]]


@pytest.fixture
async def make_bot(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotFactory]:
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    runners: list[BotRunner] = []

    async def factory(setup: Callable[[commands.Bot], Any] | None = None, *,
                      intents: discord.Intents | None = None, token: str | None = None,
                      start: bool = True) -> BotRunner:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True
        bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.2)
        if setup is not None:
            res = setup(bot)
            if asyncio.iscoroutine(res):
                await res
        runner = BotRunner(bot, token or server.token)
        runners.append(runner)
        if start:
            await runner.start()
        return runner

    yield factory
    for r in runners:
        await r.close()
