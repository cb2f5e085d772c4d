from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bot.core.db import Database
from bot.core.kv import Kv
from bot.core.models import KeyValue, SQLModel
from tests.conftest import drop_pg_schema, make_pg_database, require_postgres
from tests.helpers import sqlite_database


async def test_a_read_only_sqlite_database_refuses_every_write(tmp_path: Path) -> None:
    async with sqlite_database(tmp_path / "bot.db") as db, db.transaction() as s:
        await Kv.put(s, "k", "v")
    reader = Database(f"sqlite+aiosqlite:///{tmp_path}/bot.db", read_only=True)
    try:
        async with reader.sessions() as s:
            assert await Kv.get(s, "k") == "v"
        with pytest.raises(DBAPIError, match="readonly"):
            async with reader.transaction() as s:
                await Kv.put(s, "k", "changed")
    finally:
        await reader.dispose()


async def test_a_read_only_database_creates_no_folder(tmp_path: Path) -> None:
    Database(f"sqlite+aiosqlite:///{tmp_path}/missing/bot.db", read_only=True)
    assert not (tmp_path / "missing").exists()
    Database(f"sqlite+aiosqlite:///{tmp_path}/made/bot.db")
    assert (tmp_path / "made").is_dir()


async def test_a_read_only_postgres_database_refuses_every_write() -> None:
    require_postgres()
    db, schema = await make_pg_database()
    reader = Database(db.url, connect_args=db.connect_args, read_only=True)
    try:
        await db.upgrade()
        with pytest.raises(DBAPIError, match="read-only"):
            async with reader.transaction() as s:
                await Kv.put(s, "k", "v")
        async with reader.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(KeyValue)) == 0
    finally:
        await reader.dispose()
        await db.dispose()
        await drop_pg_schema(schema)


async def test_an_in_memory_database_keeps_its_tables_across_sessions() -> None:
    db = Database("sqlite+aiosqlite://")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        async with db.transaction() as s:
            await Kv.put(s, "k", "v")
        async with db.sessions() as s:
            assert await Kv.get(s, "k") == "v"
            assert await s.scalar(text("SELECT count(*) FROM kv")) == 1
    finally:
        await db.dispose()
