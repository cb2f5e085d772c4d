"""End-to-end fixtures: the product bot, built exactly as `python -m bot run` builds it, against the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot.config import Settings
from bot.core.services import build_services
from bot.runner import create_bot
from bot.sandbox import Channel, Driver, Guild, Role, SandboxServer, User
from bot.sandbox import permissions as P
from bot.sandbox.demo import DEMO_BOT_PERMISSIONS
from tests.conftest import TEST_KEY
from tests.sandbox.conftest import BotRunner

ROOT = Path(__file__).resolve().parents[2]

BOT_PERMISSIONS = DEMO_BOT_PERMISSIONS  # what the README asks operators to grant


@dataclass
class World:
    server: SandboxServer
    driver: Driver
    guild: Guild
    support: Channel
    status: Channel
    staff: Channel
    general: Channel
    staff_role: Role
    alice: User
    bob: User
    shy: User  # does not accept DMs
    jordan: User  # staff


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(rate_limit_scale=0.05) as srv:
        yield srv


async def build_world(server: SandboxServer) -> World:
    d = server.driver
    alice, bob, shy, jordan = (d.create_user(n) for n in ("alice", "bob", "shy", "jordan"))
    shy.accepts_dms = False
    guild = await d.create_guild("Larkspur Support", bot_permissions=BOT_PERMISSIONS)
    staff_role = await d.create_role(guild, "Support Staff", P.MANAGE_MESSAGES, mentionable=True)
    for u in (alice, bob, shy, jordan):
        await d.add_member(guild, u)
    await d.add_role(guild, jordan, staff_role)
    support = await d.create_text_channel(guild, "support")
    status = await d.create_text_channel(guild, "status")
    staff = await d.create_text_channel(
        guild,
        "staff",
        overwrites={
            d.everyone_role(guild): (0, P.VIEW_CHANNEL),
            staff_role: (P.VIEW_CHANNEL, 0),
            d.bot_role(guild): (P.VIEW_CHANNEL, 0),
        },
    )
    general = await d.create_text_channel(guild, "general")
    return World(server, d, guild, support, status, staff, general, staff_role, alice, bob, shy, jordan)


@pytest.fixture
async def world(server: SandboxServer) -> World:
    return await build_world(server)


def settings_for(world: World, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "discord_token": world.server.token,
        "discord_api_base": world.server.api_base,
        "discord_gateway_url": world.server.gateway_url,
        "guild_id": world.guild.id,
        "support_channel_ids": [world.support.id],
        "status_channel_id": world.status.id,
        "staff_channel_id": world.staff.id,
        "staff_role_ids": [world.staff_role.id],
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/e2e.db",
        "device_id_key": TEST_KEY,
        "knowledge_dir": ROOT / "prompts",
        "dm_per_second": 20,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


StartBot = Callable[..., Awaitable[BotRunner]]


@pytest.fixture
async def start_bot(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[StartBot]:
    """Start the product bot; call again after closing one to simulate a restart on the same database."""
    # create_bot points discord.py at the sandbox, process-wide: restore it afterwards
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("wss://gateway.discord.gg/"))
    runners: list[BotRunner] = []

    async def start(**extra: Any) -> BotRunner:
        settings = settings_for(world, tmp_path, **extra)
        services = await build_services(settings, device_key=TEST_KEY)
        bot = await create_bot(settings, services, guild_ready_timeout=0.2)
        runner = BotRunner(bot, world.server.token)
        runners.append(runner)
        await runner.start(timeout=10)
        return runner

    yield start
    for r in runners:
        await r.close()
        await r.bot.services.close()  # type: ignore[attr-defined]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait until an async condition holds (for state the sandbox cannot observe, e.g. the database)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)
