"""Migration 0007_staff on a database that already holds hand-overs and devices: nothing is lost, and from then
on a ticket number is never handed out twice (SQLite's table is rebuilt with AUTOINCREMENT)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.core.db import Database, alembic_config
from tests.conftest import drop_pg_schema, make_pg_database, require_postgres


async def _upgrade_to(db: Database, revision: str) -> None:
    cfg = alembic_config()

    def run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with db.engine.begin() as conn:
        await conn.run_sync(run)


@pytest.fixture(params=["sqlite", "postgres"])
async def empty(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/old.db")
        yield db
        await db.dispose()
        return
    require_postgres()
    db, schema = await make_pg_database()
    try:
        yield db
    finally:
        await db.dispose()
        await drop_pg_schema(schema)


async def test_existing_rows_survive_and_numbers_move_on(empty: Database) -> None:
    db = empty
    await _upgrade_to(db, "0005")
    async with db.engine.begin() as conn:
        for cid, reason in ((11, "upset"), (12, "asked")):
            await conn.execute(
                text(
                    "INSERT INTO tickets (customer_id, reason, summary, status, thread_id, created_at) "
                    "VALUES (:c, :r, 'Why: ...', 'open', 900, CURRENT_TIMESTAMP)"
                ),
                {"c": cid, "r": reason},
            )
        await conn.execute(
            text(
                "INSERT INTO devices (customer_id, kind, id_hash, id_cipher, tail, needs_review, created_at) "
                "VALUES (11, 'imei', 'h', 'c', '7518', false, CURRENT_TIMESTAMP)"
            )
        )
    await db.upgrade()
    async with db.engine.begin() as conn:
        rows = (await conn.execute(text("SELECT id, customer_id, priority, sla_level FROM tickets ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, 11, "high", 0), (2, 12, "normal", 0)]
        assert (await conn.execute(text("SELECT username FROM devices"))).scalar_one() == ""
        await conn.execute(text("DELETE FROM tickets WHERE id = 2"))
        await conn.execute(
            text(
                "INSERT INTO tickets (customer_id, reason, summary, status, created_at, waiting_since) "
                "VALUES (13, 'asked', '', 'open', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        assert (await conn.execute(text("SELECT max(id) FROM tickets"))).scalar_one() == 3
