"""Fixtures: a TerminalChat driven by a script, in the demo world, with the test support bot connected."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.demo import DemoWorld

from ..conftest import BotFactory
from .scripted import Script, support_bot


@pytest.fixture
async def term(server: SandboxServer, demo: DemoWorld, make_bot: BotFactory) -> AsyncIterator[Script]:
    runner = await make_bot(support_bot(demo))
    await runner.wait(runner.bot.tree.sync())
    script = Script(server, demo)
    await script.prompt("alex @ #support")
    yield script
    if not script.task.done():
        script.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await script.task
