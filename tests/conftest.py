from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.core.crypto import DeviceCipher
from bot.core.db import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.openai_server import FakeOpenAI

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_BASE = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/test"
TEST_KEY = "test-device-id-key-0123456789"


@pytest.fixture(autouse=True)
def _clean_settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own settings."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if _pg_reachable():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}, and CI must run the PostgreSQL tests")
    pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}; these tests run in CI")


async def make_pg_database() -> tuple[Database, str]:
    """A Database confined to a fresh schema of the test database."""
    import asyncpg

    schema = "t_" + uuid.uuid4().hex[:12]
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    db = Database(PG_BASE, connect_args={"server_settings": {"search_path": schema}})
    return db, schema


async def drop_pg_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[Database]:
    """A migrated, empty database: a SQLite file, then the real PostgreSQL."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/test.db")
        await db.upgrade()
        yield db
        await db.dispose()
        return
    require_postgres()
    db, schema = await make_pg_database()
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()
        await drop_pg_schema(schema)


@pytest.fixture
def cipher() -> DeviceCipher:
    return DeviceCipher(TEST_KEY)


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeOpenAI]:
    """A local OpenAI-compatible server for the real `openai` client."""
    server = FakeOpenAI()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def feed() -> AsyncIterator[FeedServer]:
    """A local HTTP server for status feeds."""
    server = FeedServer()
    await server.start()
    yield server
    await server.stop()
