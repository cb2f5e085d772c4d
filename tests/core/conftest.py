"""Core fixtures: every service of one process, built as the composition root builds them, on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.services import Services, build_services
from tests.conftest import TEST_KEY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db",
        knowledge_dir=ROOT / "prompts",
        status_channel_id=11,
        staff_channel_id=22,
    )
    svc = await build_services(settings, device_key=TEST_KEY)
    yield svc
    await svc.close()
