"""Test-only entry point: a sandbox server, the demo world, an echo bot and TerminalChat on the real stdin/stdout.

Run as ``python tests/sandbox/terminal/terminal_demo_main.py`` (with the repository root on PYTHONPATH);
test_input.py drives it through a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

import discord
import yarl
from discord.ext import commands

from bot.sandbox import SandboxServer
from bot.sandbox.demo import build_demo_world
from bot.sandbox.terminal import TerminalChat


async def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("discord").setLevel(logging.ERROR)  # no "PyNaCl is not installed" noise
    async with SandboxServer(rate_limit_scale=0.05) as server:
        world = await build_demo_world(server.driver)
        discord.http.Route.BASE = server.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
        intents = discord.Intents.default()
        intents.message_content = True
        bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.2)

        @bot.event
        async def on_message(message: discord.Message) -> None:
            if not message.author.bot and message.channel.id == world.support.id:
                await message.channel.send(f"echo: {message.content}")

        task = asyncio.create_task(bot.start(server.token))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        try:
            await TerminalChat(server, world).run()
        finally:
            await bot.close()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
