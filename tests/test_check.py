from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.check import run_checks
from bot.config import Settings
from bot.sandbox import SandboxServer
from bot.sandbox import permissions as P
from tests.conftest import TEST_KEY
from tests.e2e.conftest import World, build_world
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]


async def report(**values: object) -> tuple[int, str]:
    lines: list[str] = []
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    code = await run_checks(settings, printer=lines.append)
    return code, "\n".join(lines)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with SandboxServer() as server:
        yield await build_world(server)


def discord_settings(world: World, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "discord_token": world.server.token,
        "discord_api_base": world.server.api_base,
        "guild_id": world.guild.id,
        "support_channel_ids": [world.support.id],
        "status_channel_id": world.status.id,
        "staff_channel_id": world.staff.id,
        "staff_role_ids": [world.staff_role.id],
    }
    values.update(extra)
    return values


async def test_everything_reachable(tmp_path: Path, fake_llm: FakeOpenAI, world: World) -> None:
    code, text = await report(
        device_id_key=TEST_KEY, database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
        knowledge_dir=ROOT / "prompts", status_feed_url=str(ROOT / "prompts/sample-status/recovery.json"),
        openai_api_key="k", openai_base_url=fake_llm.base_url, **discord_settings(world),
    )
    assert code == 0, text
    assert "recovery feed, 1 incident, 5 updates, 10 device states" in text
    assert f"ok   status channel {world.status.id}" in text and "#staff: the bot can do what it must there" in text
    assert "FAQ entries" in text and "reachable, model" in text
    assert text.endswith("All checks passed.")


async def test_problems_are_named(tmp_path: Path) -> None:
    bad_prompts = tmp_path / "prompts"
    bad_prompts.mkdir()
    (bad_prompts / "faq.md").write_text("## A question with no answer\n", encoding="utf-8")
    code, text = await report(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/none", knowledge_dir=bad_prompts,
        status_feed_url=str(ROOT / "README.md"), openai_api_key="k", openai_base_url="http://127.0.0.1:9/v1",
    )
    assert code == 1
    assert "FAIL DISCORD_TOKEN" in text and "FAIL DEVICE_ID_KEY" in text
    assert "faq.md" in text and "line 1" in text
    assert "neither JSON nor XML" in text
    assert "server is running" in text
    assert "FAIL LLM" in text
    assert "Traceback" not in text


async def test_run_needs_its_channels_and_staff_role_configured(tmp_path: Path) -> None:
    code, text = await report(
        discord_token="t", device_id_key=TEST_KEY, database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
        knowledge_dir=ROOT / "prompts",
    )
    assert code == 1 and "All checks passed" not in text
    for name in ("GUILD_ID", "SUPPORT_CHANNEL_IDS", "STATUS_CHANNEL_ID", "STAFF_CHANNEL_ID", "STAFF_ROLE_IDS"):
        assert f"FAIL {name}" in text, name
    assert text.endswith("5 checks failed: `run` would not work.")


async def test_the_bot_must_be_able_to_post_where_it_must(tmp_path: Path, world: World) -> None:
    d = world.driver
    await d.set_overwrite(world.status, d.bot_role(world.guild), deny=P.SEND_MESSAGES | P.EMBED_LINKS)
    code, text = await report(
        device_id_key=TEST_KEY, database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db", knowledge_dir=ROOT / "prompts",
        **discord_settings(world, staff_role_ids=[world.staff_role.id, 42], staff_channel_id=987654321),
    )
    assert code == 1
    assert f"FAIL status channel {world.status.id}" in text and "lacks Send Messages, Embed Links" in text
    assert "FAIL staff channel 987654321" in text and "not visible to the bot" in text
    assert "FAIL STAFF_ROLE_IDS" in text and "role 42 does not exist" in text
    assert f"ok   support channel {world.support.id}" in text
    code, text = await report(
        device_id_key=TEST_KEY, database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db", knowledge_dir=ROOT / "prompts",
        **discord_settings(world, discord_token="not-the-token"),
    )
    assert code == 1 and "the token was refused (401)" in text
