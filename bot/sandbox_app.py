"""`python -m bot sandbox`: the Discord-compatible sandbox, the bot and a terminal chat, side by side.

Part of the composition root: the bot reaches the sandbox only over 127.0.0.1, exactly as it would
reach Discord; the terminal drives the sandbox as a person would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from bot.config import Settings, load_settings
from bot.core.services import build_services, resolve_device_key
from bot.demo_feed import DemoTimeline
from bot.runner import create_bot
from bot.sandbox import SandboxServer
from bot.sandbox.demo import build_demo_world
from bot.sandbox.history import load_history, save_history
from bot.sandbox.terminal import TerminalChat

log = logging.getLogger(__name__)

SAMPLE_FEED = Path("sample-status") / "recovery.json"
SAMPLE_TIMELINE = Path("sample-status") / "timeline.json"


DEMO_DEVICE = "358912048361525"
"""A device of the sample feed that the timeline restores (it is in_progress until then)."""


async def _keep_moving(timeline: DemoTimeline) -> None:
    """Advance the sample incident while the sandbox runs; the bot's poller picks the changes up."""
    while True:
        try:
            timeline.advance()
        except OSError as exc:  # a full disk must not stop the sandbox
            log.warning("could not advance the sample incident: %s", exc)
        await asyncio.sleep(min(timeline.step.total_seconds() / 4, 5.0))


async def _keep_saving(server: SandboxServer, path: Path) -> None:
    """Save the channel history now and then, so even a killed sandbox keeps most of it."""
    while True:
        await asyncio.sleep(10)
        try:
            save_history(server.world, path)
        except OSError as exc:
            log.warning("could not save the sandbox history: %s", exc)


def _say(text: str) -> None:
    print(text, flush=True)


async def run_sandbox(settings: Settings, data_dir: Path, *, latency: float = 0.0, jitter: float = 0.0) -> int:
    server = SandboxServer(stable_ids=True, bot_name="Larkspur Support Bot", latency=latency, jitter=jitter)
    await server.start()
    bot = None
    services = None
    timeline: DemoTimeline | None = None
    moving: asyncio.Task[None] | None = None
    saving: asyncio.Task[None] | None = None
    history = data_dir / "sandbox-history.json"
    try:
        world = await build_demo_world(server.driver)
        restored = load_history(server.world, history)  # the same world as last time: its messages come back
        saving = asyncio.create_task(_keep_saving(server, history), name="sandbox-history")
        overrides: dict[str, object] = {k.lower(): v for k, v in world.settings_env().items()}
        # a sandbox never touches the operator's real database
        overrides["database_url"] = settings.sandbox_database_url
        if settings.status_feed_url is None:
            template = settings.knowledge_dir / SAMPLE_FEED
            if template.is_file():
                timeline = DemoTimeline(
                    template,
                    settings.knowledge_dir / SAMPLE_TIMELINE,
                    data_dir,
                    step_seconds=settings.sandbox_step_seconds,
                )
                overrides["status_feed_url"] = str(timeline.start())
                moving = asyncio.create_task(_keep_moving(timeline), name="demo-timeline")
        overrides["status_poll_seconds"] = min(settings.status_poll_seconds, 15.0, settings.sandbox_step_seconds / 2)
        local = load_settings(**overrides)
        services = await build_services(local, device_key=resolve_device_key(local, generate_in=data_dir))
        bot = await create_bot(local, services, guild_ready_timeout=0.2)
        assert local.discord_token is not None
        started = asyncio.create_task(bot.start(local.discord_token.get_secret_value()), name="bot")
        ready = asyncio.create_task(bot.wait_until_ready())
        await asyncio.wait({started, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            _say("The bot could not connect to the sandbox; see data/sandbox.log.")
            return 1
        _say(
            f"Sandbox ready: {world.guild.name}, the bot is online. Data is kept in {data_dir}/ (logs in sandbox.log)."
        )
        if restored:
            _say(f"{restored} messages from your last session are back in their channels.")
        if timeline is not None and timeline.next_at() is not None:
            _say(
                f"The sample incident moves on every {settings.sandbox_step_seconds:g} seconds: watch #status. "
                f"Register device {DEMO_DEVICE} (/device register) to get its recovery message."
            )
        chat = asyncio.create_task(TerminalChat(server, world).run(), name="chat")
        await asyncio.wait({chat, started}, return_when=asyncio.FIRST_COMPLETED)
        if started.done() and not chat.done():
            chat.cancel()
            error = started.exception() if not started.cancelled() else None
            _say(f"The bot stopped unexpectedly ({error!r}); see {data_dir}/sandbox.log.")
            return 1
        _say("Bye! Your sandbox data is kept for next time.")
        return 0
    finally:
        for task in (moving, saving):
            if task is not None:
                task.cancel()
        with contextlib.suppress(OSError):
            save_history(server.world, history)
        if bot is not None:
            with contextlib.suppress(Exception):
                await bot.close()
        if services is not None:
            await services.close()
        await server.stop()
        sys.stdout.flush()
