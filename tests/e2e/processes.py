"""`python -m bot run` as real subprocesses against the sandbox and one PostgreSQL database.

For the tests of several instances on one token: what a deployment with two processes does, not a
simulation of it. A process is started in a scratch directory (no developer `.env` leaks in) with only the
settings given here, and can be SIGKILLed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from bot.config import Settings
from bot.sandbox import Driver, SandboxServer
from tests.conftest import PG_HOST, PG_PORT, TEST_KEY, require_postgres
from tests.e2e.conftest import World

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def pg_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (not a schema: subprocesses only get a URL); dropped afterwards."""
    import asyncpg

    require_postgres()
    name = "t_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def bot_env(server: SandboxServer, world: World, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        {
            "DISCORD_TOKEN": server.token,
            "DISCORD_API_BASE": server.api_base,
            "DISCORD_GATEWAY_URL": server.gateway_url,
            "GUILD_ID": str(world.guild.id),
            "SUPPORT_CHANNEL_IDS": str(world.support.id),
            "STATUS_CHANNEL_ID": str(world.status.id),
            "STAFF_CHANNEL_ID": str(world.staff.id),
            "STAFF_ROLE_IDS": str(world.staff_role.id),
            "DATABASE_URL": db_url,
            "DEVICE_ID_KEY": TEST_KEY,
            "KNOWLEDGE_DIR": str(ROOT / "prompts"),
            "STATUS_SUMMARY_EVERY": "off",
            "DM_PER_SECOND": "20",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], workdir: Path, name: str) -> None:
        self.log = workdir / f"{name}.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=workdir,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the process says it is connected (its commands are synced by then)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while "connected as" not in self.output():
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot process exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            if loop.time() > deadline:
                raise TimeoutError(f"bot process not ready in {timeout}s:\n{self.output()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._out.close()

    def stop(self) -> None:
        """SIGTERM, as a process manager stops it; SIGKILL if it does not go."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        self.kill()


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float = 30.0, every: float = 0.1) -> None:
    """Poll a condition (plain or async) until it holds: for what the sandbox does not see, e.g. a log."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(every)


async def quiet(driver: Driver, seconds: float = 2.0, timeout: float = 60.0) -> None:
    """Until the bots have sent no request for `seconds`: whatever a second process would do is done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    count, since = len(driver.requests()), loop.time()
    while loop.time() - since < seconds:
        await asyncio.sleep(0.2)
        now = len(driver.requests())
        if now != count:
            count, since = now, loop.time()
        assert loop.time() < deadline, "the bots never went quiet"
