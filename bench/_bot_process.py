"""One bot in its own process, for bench/bench_e2e_proc.py: `python -m bench._bot_process product|baseline`.

Reads the sandbox's address and the bot's settings from the environment (the parent sets them), prints
READY once the bot is connected, and runs until it is terminated. With BENCH_PROFILE=<file>, the product
is profiled (cProfile) from READY until SIGTERM and the stats are written to that file.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import signal
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import discord  # noqa: E402
import yarl  # noqa: E402

from bench._e2e_support import DEVICE_KEY, Runner, make_baseline_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.services import build_services  # noqa: E402
from bot.runner import create_bot  # noqa: E402


async def run(kind: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    profile_to = os.environ.get("BENCH_PROFILE")
    services = None
    with tempfile.TemporaryDirectory(prefix="bench_proc_") as tmp:
        if kind == "baseline":
            discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
            bot = make_baseline_bot()
        else:
            settings = Settings(
                _env_file=None,
                database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
                device_id_key=DEVICE_KEY,
                knowledge_dir=REPO / "prompts",
                questions_per_minute=600,
                discord_global_rate_limit=0,  # limits off, as for the do-nothing bot: we measure overhead
            )
            services = await build_services(settings, device_key=DEVICE_KEY)
            bot = await create_bot(settings, services, guild_ready_timeout=0.2)
        runner = Runner(bot, os.environ["DISCORD_TOKEN"])
        await runner.start(timeout=60)
        print("READY", flush=True)
        prof = cProfile.Profile() if profile_to and kind == "product" else None
        if prof is not None:
            prof.enable()
        await stop.wait()
        if prof is not None:
            prof.disable()
            prof.dump_stats(profile_to)
        await runner.close()
        if services is not None:
            await services.close()


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1]))
