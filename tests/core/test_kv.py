from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.db import Database
from bot.core.kv import Kv
from tests.helpers import sqlite_database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_database(tmp_path / "kv.db") as database:
        yield database


async def test_a_value_is_kept_replaced_and_deleted(db: Database) -> None:
    async with db.transaction() as s:
        assert await Kv.get(s, "k") is None
        await Kv.put(s, "k", "one")
        await Kv.put(s, "k", "two")
        await Kv.put(s, "gone", None)  # deleting what is not there is fine
    async with db.sessions() as s:
        assert await Kv.get(s, "k") == "two"
    async with db.transaction() as s:
        await Kv.put(s, "k", None)
    async with db.sessions() as s:
        assert await Kv.get(s, "k") is None
